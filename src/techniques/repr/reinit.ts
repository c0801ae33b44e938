/**
 * RePr orthogonal re-initialisation (methods.md §1.4). For one conv layer:
 *   A = [old values of the dropped filters; current filters (dropped rows still zero)]
 *   null basis = orthogonal complement of A's rows (pivoted Householder QR, eps = float64 ε as the reference)
 *   k-th dropped filter (index order) ← k-th null vector while they last, then U(−stdv, stdv).
 * Scale of the new filters (the paper does not specify one):
 *   'clamp' — the reference (siahuat0727/RePr `reinitialize`): the unit null vector clamped element-wise
 *             to ±stdv, stdv = 1/√(C·kh·kw) (PyTorch's default conv bound);
 *   'match-kept' — Whittle's option: the unit null vector scaled to the mean L2 norm of the kept
 *             filters, which keeps the direction exactly orthogonal.
 * For a first layer of fan-in 27 with 32+ rows in A the null space is empty, so every re-initialised
 * filter is uniform-random: expected, and reported as `randomFallback`.
 */
import { orthogonalComplement } from '../../linalg/qr.js';
import type { Rng } from '../../core/rng.js';
import { filterRows, type KernelView } from '../filter-mask/criteria.js';

export type ReinitScale = 'clamp' | 'match-kept';

export interface ReinitResult {
  /** New HWIO kernel data (a copy). */
  data: Float32Array;
  /** Unit null-space vectors used, before clamping/scaling (for verification). */
  nullVectors: Float64Array[];
  /** Rows of A the new filters had to avoid. */
  avoided: Float64Array[];
  /** Dropped filters that got a uniform-random value because the null space was exhausted. */
  randomFallback: number[];
}

/** Writes a row (flattened in (in, kh, kw) order) into filter `f` of an HWIO kernel. */
export function writeFilterRow(data: Float32Array, shape: KernelView['shape'], f: number, row: ArrayLike<number>): void {
  const [kh, kw, ci, co] = shape;
  for (let h = 0; h < kh; h++)
    for (let w = 0; w < kw; w++)
      for (let c = 0; c < ci; c++) data[((h * kw + w) * ci + c) * co + f] = row[(c * kh + h) * kw + w];
}

export function reinitializeFilters(
  kernel: KernelView,
  dropped: number[],
  oldDroppedRows: Float64Array[],
  rng: Rng,
  scale: ReinitScale = 'clamp',
): ReinitResult {
  const [kh, kw, ci] = kernel.shape;
  const d = kh * kw * ci;
  const rows = filterRows(kernel);
  const droppedSet = new Set(dropped);
  for (const f of dropped) rows[f].fill(0); // the reference's current W has the dropped rows at zero
  const avoided = [...oldDroppedRows, ...rows].filter((r) => r.some((v) => v !== 0));
  const flat = new Float64Array(avoided.length * d);
  avoided.forEach((r, i) => flat.set(r, i * d));
  const nullVectors = avoided.length === 0 ? identityRows(d) : orthogonalComplement(flat, avoided.length, d);
  const stdv = 1 / Math.sqrt(d);
  const keptNorm = meanNorm(rows.filter((_, f) => !droppedSet.has(f)));
  const data = kernel.data.slice();
  const randomFallback: number[] = [];
  const used: Float64Array[] = [];
  [...dropped].sort((a, b) => a - b).forEach((f, k) => {
    let row: Float64Array;
    if (k < nullVectors.length) {
      const v = nullVectors[k];
      used.push(v);
      row = scale === 'clamp' ? v.map((x) => Math.max(-stdv, Math.min(stdv, x))) : v.map((x) => x * (keptNorm || stdv * Math.sqrt(d)));
    } else {
      randomFallback.push(f);
      row = new Float64Array(d).map(() => rng.uniform(-stdv, stdv));
    }
    writeFilterRow(data, kernel.shape, f, row);
  });
  return { data, nullVectors: used, avoided, randomFallback };
}

function meanNorm(rows: Float64Array[]): number {
  if (rows.length === 0) return 0;
  return rows.reduce((s, r) => s + Math.sqrt(r.reduce((a, v) => a + v * v, 0)), 0) / rows.length;
}

function identityRows(d: number): Float64Array[] {
  return Array.from({ length: d }, (_, i) => {
    const r = new Float64Array(d);
    r[i] = 1;
    return r;
  });
}
