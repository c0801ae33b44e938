/**
 * Uniform and ENC-Map rank selection (methods.md §3.4; reference compress/utils/uniform.py,
 * enc_map.py `ENC_Map`, `Ro_determination`, `make_R`).
 */
import { pchip } from './pchip.js';
import { complexity, roundHalfEven, type CostModel } from './cost.js';
import type { LayerCurve } from './metrics.js';

/** What the searches work on: searched layers only (fixed layers live in `cost.fixedMacs`). */
export interface SearchProblem {
  names: string[];
  rMax: number[];
  cost: CostModel;
}

/** Uniform ranks r_l = round(R_max,l·ratio), at least 1 (uniform.py `Uniform_comp`). */
export function uniformRanks(rMax: number[], ratio: number): number[] {
  return rMax.map((R) => Math.min(R, Math.max(1, roundHalfEven(R * ratio))));
}

/**
 * Uniform compression at a complexity target. The reference uses ratio = target directly (R_max is the
 * break-even rank, so C ≈ ratio); we bisect the ratio so the realised C is the closest to the target.
 */
export function uniformSearch(p: SearchProblem, target: number): { ranks: number[]; complexity: number; ratio: number } {
  let lo = 0;
  let hi = 1;
  let best = { ranks: uniformRanks(p.rMax, target), complexity: 0, ratio: target };
  best.complexity = complexity(p.cost, best.ranks);
  for (let it = 0; it < 50; it++) {
    const mid = (lo + hi) / 2;
    const ranks = uniformRanks(p.rMax, mid);
    const c = complexity(p.cost, ranks);
    if (Math.abs(c - target) < Math.abs(best.complexity - target)) best = { ranks, complexity: c, ratio: mid };
    if (c < target) lo = mid;
    else hi = mid;
  }
  return best;
}

export interface MapResult {
  ranks: number[];
  complexity: number;
  /** The common layer-metric level a*. */
  level: number;
  /** How the tolerance was met: the reference nudge loop, bisection on a, or ±1 rank adjustments. */
  how: 'reference' | 'bisection' | 'adjusted' | 'best-effort';
  iterations: number;
}

/** Ranks at a common layer-metric level a: r_l = round(PCHIP⁻¹_l(a)·R_max,l) (`make_R`), in [1, R_max]. */
export function ranksAtLevel(curves: LayerCurve[], a: number): number[] {
  return curves.map((cv) => Math.min(cv.rMax, Math.max(1, roundHalfEven(cv.inverse(a) * cv.rMax))));
}

/**
 * ENC-Map: equal layer metric across layers, realised complexity within `tol` (0.001) of
 * `target + space` (`space` ≠ 0 gives the band edges ENC-Model/Inf start from).
 */
export function encMap(p: SearchProblem, curves: LayerCurve[], target: number, opts: { space?: number; tol?: number } = {}): MapResult {
  const tol = opts.tol ?? 0.001;
  const goal = target + (opts.space ?? 0);
  const cOf = (a: number) => complexity(p.cost, ranksAtLevel(curves, a));
  // 1–2. C(a) on a ∈ {0.10, …, 1.00}, with (0, 0) prepended and duplicates of C removed (np.unique).
  const pts = new Map<number, number>([[0, 0]]);
  for (let i = 10; i <= 100; i++) {
    const a = i / 100;
    const c = cOf(a);
    if (!pts.has(c)) pts.set(c, a);
  }
  const cs = [...pts.keys()].sort((x, y) => x - y);
  const inv = cs.length >= 2 ? pchip(cs, cs.map((c) => pts.get(c) as number)) : undefined;
  // 3. The reference's refinement: nudge the queried complexity by ±0.001 until C is within tol (≤ 500).
  let delta = 0;
  let best: MapResult | undefined;
  const consider = (a: number, how: MapResult['how'], iterations: number) => {
    const ranks = ranksAtLevel(curves, a);
    const c = complexity(p.cost, ranks);
    if (!best || Math.abs(c - goal) < Math.abs(best.complexity - goal)) best = { ranks, complexity: c, level: a, how, iterations };
    return c;
  };
  for (let k = 1; k <= 500 && inv; k++) {
    const q = goal + delta;
    const a = q > 1 ? 1 : inv.at(q);
    const c = consider(a, 'reference', k);
    if (Math.abs(c - goal) < tol) return best as MapResult;
    delta += c <= goal ? 0.001 : -0.001;
  }
  // Fallback 1: bisection on the level a (C(a) is non-decreasing up to rounding).
  let lo = 0;
  let hi = 1;
  for (let it = 0; it < 60; it++) {
    const mid = (lo + hi) / 2;
    const c = consider(mid, 'bisection', it + 1);
    if (Math.abs(c - goal) < tol) return best as MapResult;
    if (c < goal) lo = mid;
    else hi = mid;
  }
  // Fallback 2: ±1 rank steps on single layers, each time the step that lands closest to the goal.
  const res = best as MapResult;
  const ranks = res.ranks.slice();
  let c = res.complexity;
  for (let it = 0; it < 10000 && Math.abs(c - goal) >= tol; it++) {
    let pick = -1;
    let pickC = c;
    for (let l = 0; l < ranks.length; l++) {
      const dir = c > goal ? -1 : 1;
      const r = ranks[l] + dir;
      if (r < 1 || r > p.rMax[l]) continue;
      const c2 = c + (dir * p.cost.c[l]) / p.cost.origMacs;
      if (Math.abs(c2 - goal) < Math.abs(pickC - goal)) {
        pick = l;
        pickC = c2;
      }
    }
    if (pick < 0) break;
    ranks[pick] += c > goal ? -1 : 1;
    c = complexity(p.cost, ranks);
  }
  return { ranks, complexity: c, level: res.level, how: Math.abs(c - goal) < tol ? 'adjusted' : 'best-effort', iterations: res.iterations };
}
