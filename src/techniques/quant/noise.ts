/**
 * Quant-Noise masks (methods.md §4.1, §4.2 step 4): 1 = this weight is replaced by q(w) in this forward,
 * drawn with probability p from a seeded Rng (never tfjs' unseeded random ops) as a typed array.
 * Blocks (methods.md §4.3 layouts, for kernels HWIO [kh, kw, in, out] or dense [in, out]):
 * - 'element': one draw per weight (fairseq scalar noise; block size 1);
 * - 'kernel': one draw per (in, out) pair covering the whole kh×kw kernel (what fairseq's k×k conv noise
 *   actually does); equals 'element' for dense kernels;
 * - B (number): B consecutive input channels, for each output channel and kernel position (fairseq's
 *   Linear / 1×1 layout); the input dimension must divide by B.
 * p ≥ 1 returns 'all' and p ≤ 0 'none' without drawing.
 */
import type { Rng } from '../../core/rng.js';
import { ShapeError } from '../../core/errors.js';
import type { NoiseBlock } from './config.js';

export type NoiseMask = Uint8Array | 'all' | 'none';

function dims(shape: readonly number[]): { spatial: number; cin: number; cout: number } {
  if (shape.length === 4) return { spatial: shape[0] * shape[1], cin: shape[2], cout: shape[3] };
  if (shape.length === 2) return { spatial: 1, cin: shape[0], cout: shape[1] };
  throw new ShapeError(`noise mask: expected a conv HWIO (rank 4) or dense [in, out] (rank 2) kernel, got [${shape}]`);
}

export function noiseMask(shape: readonly number[], p: number, block: NoiseBlock, rng: Rng): NoiseMask {
  if (p >= 1) return 'all';
  if (p <= 0) return 'none';
  const { spatial, cin, cout } = dims(shape);
  const n = spatial * cin * cout;
  const out = new Uint8Array(n);
  if (block === 'element' || (block === 'kernel' && spatial === 1)) {
    for (let i = 0; i < n; i++) out[i] = rng.next() < p ? 1 : 0;
    return out;
  }
  if (block === 'kernel') {
    const draws = new Uint8Array(cin * cout);
    for (let j = 0; j < draws.length; j++) draws[j] = rng.next() < p ? 1 : 0;
    for (let i = 0; i < n; i++) out[i] = draws[i % (cin * cout)];
    return out;
  }
  if (cin % block !== 0) {
    throw new ShapeError(`noise block size ${block} does not divide the ${cin} input channels of kernel [${shape}]`);
  }
  const groups = cin / block;
  const draws = new Uint8Array(spatial * groups * cout);
  for (let j = 0; j < draws.length; j++) draws[j] = rng.next() < p ? 1 : 0;
  // flat i = (pos·cin + c)·cout + o  →  block (pos·groups + ⌊c/B⌋)·cout + o
  for (let i = 0; i < n; i++) {
    const o = i % cout;
    const c = Math.floor(i / cout) % cin;
    const pos = Math.floor(i / (cout * cin));
    out[i] = draws[(pos * groups + Math.floor(c / block)) * cout + o];
  }
  return out;
}

/** Fraction of ones (for logging and tests). */
export function maskFraction(m: NoiseMask): number {
  if (m === 'all') return 1;
  if (m === 'none') return 0;
  let s = 0;
  for (let i = 0; i < m.length; i++) s += m[i];
  return s / m.length;
}
