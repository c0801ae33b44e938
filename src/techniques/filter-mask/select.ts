/**
 * Turns per-layer filter scores into the set of filters to drop: ranked over the whole network
 * (RePr's global ranking, methods.md §1.2) or per layer (the note's fix; SFP's fixed per-layer rate),
 * with excluded layers, a per-layer cap on the dropped fraction and a minimum kept count so a layer is
 * never emptied silently (siahuat0727/RePr issue #2; Torch-Pruning #260/#448/#479).
 */
export interface LayerScores {
  layer: string;
  scores: Float64Array;
}

export interface SelectOptions {
  /** Fraction of the (eligible) filters to drop, in [0, 1). */
  fraction: number;
  scope: 'global' | 'perLayer';
  /** true: high score dropped first (orthogonality); false: low score first (norms). */
  higherIsWorse: boolean;
  /** Most of a layer's filters that may be dropped (fraction); default 1 (no cap beyond minKeep). */
  maxLayerFraction?: number;
  /** Fewest filters a layer keeps; default 1. */
  minKeep?: number;
  /**
   * How many to drop per layer in perLayer scope: 'round' (nearest) or 'floor' (SFP: int(N·(1−rate))).
   * Global scope drops round(fraction · total eligible).
   */
  rounding?: 'round' | 'floor';
}

export interface Selection {
  /** Dropped filter indices per layer (sorted ascending). */
  dropped: Map<string, number[]>;
  /** Layers where the cap or minKeep stopped drops that the ranking asked for, with counts. */
  capped: Array<{ layer: string; wanted: number; allowed: number }>;
}

function layerLimit(n: number, o: SelectOptions): number {
  const minKeep = o.minKeep ?? 1;
  const byFrac = Math.floor(n * (o.maxLayerFraction ?? 1));
  return Math.max(0, Math.min(byFrac, n - minKeep));
}

function worstFirst(scores: Float64Array, higherIsWorse: boolean): number[] {
  const idx = Array.from(scores, (_, i) => i);
  // Stable tie-break by index so results are deterministic.
  idx.sort((a, b) => (higherIsWorse ? scores[b] - scores[a] : scores[a] - scores[b]) || a - b);
  return idx;
}

export function selectFilters(layers: LayerScores[], o: SelectOptions): Selection {
  if (!(o.fraction >= 0 && o.fraction < 1)) throw new RangeError(`drop fraction must be in [0, 1), got ${o.fraction}`);
  const dropped = new Map<string, number[]>();
  const capped: Selection['capped'] = [];
  if (o.scope === 'perLayer') {
    for (const l of layers) {
      const n = l.scores.length;
      const raw = n * o.fraction;
      const wanted = o.rounding === 'floor' ? Math.floor(raw + 1e-9) : Math.round(raw);
      const allowed = Math.min(wanted, layerLimit(n, o));
      if (allowed < wanted) capped.push({ layer: l.layer, wanted, allowed });
      dropped.set(l.layer, worstFirst(l.scores, o.higherIsWorse).slice(0, allowed).sort((a, b) => a - b));
    }
    return { dropped, capped };
  }
  const all: Array<{ layer: number; f: number; s: number }> = [];
  layers.forEach((l, li) => l.scores.forEach((s, f) => all.push({ layer: li, f, s })));
  all.sort((a, b) => (o.higherIsWorse ? b.s - a.s : a.s - b.s) || a.layer - b.layer || a.f - b.f);
  const total = Math.round(all.length * o.fraction);
  const per = layers.map(() => [] as number[]);
  const wantedPer = layers.map(() => 0);
  const limits = layers.map((l) => layerLimit(l.scores.length, o));
  let taken = 0;
  for (const c of all) {
    if (taken >= total) break;
    wantedPer[c.layer]++;
    if (per[c.layer].length < limits[c.layer]) {
      per[c.layer].push(c.f);
      taken++;
    }
  }
  layers.forEach((l, li) => {
    dropped.set(l.layer, per[li].sort((a, b) => a - b));
    if (wantedPer[li] > per[li].length) capped.push({ layer: l.layer, wanted: wantedPer[li], allowed: per[li].length });
  });
  return { dropped, capped };
}
