/**
 * Filter importance criteria as small pure functions over a conv kernel in tfjs HWIO layout
 * ([kh, kw, in, out]); each returns one score per output filter. Conventions:
 * - `orthogonality` (RePr, methods.md §1.2): HIGHER = less orthogonal = dropped first.
 * - `l2` / `l1` (SFP, methods.md §2.1): LOWER = dropped first.
 * `selectFilters` turns scores into drops using each criterion's direction.
 */

export type CriterionName = 'orthogonality' | 'l2' | 'l1';

export interface KernelView {
  /** HWIO data, length kh·kw·in·out. */
  data: Float32Array;
  shape: [number, number, number, number];
}

/** Rows = filters, each flattened in (in, kh, kw) order as PyTorch does (the order does not change any score). */
export function filterRows(k: KernelView): Float64Array[] {
  const [kh, kw, ci, co] = k.shape;
  const d = kh * kw * ci;
  const rows: Float64Array[] = [];
  for (let f = 0; f < co; f++) rows.push(new Float64Array(d));
  for (let h = 0; h < kh; h++)
    for (let w = 0; w < kw; w++)
      for (let c = 0; c < ci; c++) {
        const base = ((h * kw + w) * ci + c) * co;
        const col = (c * kh + h) * kw + w;
        for (let f = 0; f < co; f++) rows[f][col] = k.data[base + f];
      }
  return rows;
}

export function l2Norms(k: KernelView): Float64Array {
  return Float64Array.from(filterRows(k), (r) => Math.sqrt(r.reduce((s, v) => s + v * v, 0)));
}

export function l1Norms(k: KernelView): Float64Array {
  return Float64Array.from(filterRows(k), (r) => r.reduce((s, v) => s + Math.abs(v), 0));
}

/**
 * RePr inter-filter orthogonality, exactly as methods.md §1.2: L2-normalise each flattened filter
 * (eps 1e-12, so an all-zero filter stays zero), P = |ŴŴᵀ − I|, O[f] = Σ_j P[f, j] / J.
 */
export function orthogonalityScores(k: KernelView): Float64Array {
  const rows = filterRows(k).map((r) => {
    const n = Math.max(Math.sqrt(r.reduce((s, v) => s + v * v, 0)), 1e-12);
    return r.map((v) => v / n);
  });
  const J = rows.length;
  const out = new Float64Array(J);
  for (let f = 0; f < J; f++) {
    let s = 0;
    for (let j = 0; j < J; j++) {
      let dot = 0;
      const a = rows[f];
      const b = rows[j];
      for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
      s += Math.abs(dot - (f === j ? 1 : 0));
    }
    out[f] = s / J;
  }
  return out;
}

/**
 * Fan-in correction of the orthogonality score (the research note's fix): O · fanIn^exponent.
 * Random unit vectors in d dims have E|cos| ≈ √(2/(πd)), so exponent 0.5 roughly removes the
 * dimensional bias that makes global ranking empty the 27-dim first layer (§1.2 "Dimensional bias").
 */
export function fanInCorrected(scores: Float64Array, fanIn: number, exponent: number): Float64Array {
  if (exponent === 0) return scores;
  const f = Math.pow(fanIn, exponent);
  return scores.map((s) => s * f);
}

export function criterionScores(name: CriterionName, k: KernelView): Float64Array {
  switch (name) {
    case 'orthogonality':
      return orthogonalityScores(k);
    case 'l2':
      return l2Norms(k);
    case 'l1':
      return l1Norms(k);
  }
}

/** true when a higher score means "drop first". */
export function higherIsWorse(name: CriterionName): boolean {
  return name === 'orthogonality';
}
