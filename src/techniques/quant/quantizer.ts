/**
 * Scalar uniform quantiser, methods.md §4.2 step 3:
 *   q(w) = (clamp(round(w/s + z), 0, 2^b − 1) − z)·s,   b ∈ 2..8.
 * Every bit width gets its own 2^b levels over its own range (fairseq's int4 only clamps the 8-bit grid,
 * quirk (a)). Scales and zero points are per tensor or per output channel (conv HWIO → axis 3, dense
 * [in, out] → axis 1, i.e. the last axis). The JS path below reproduces the tensor path bit for bit:
 * every step is rounded to float32 and `round` is half-to-even like tf.round on cpu and wasm.
 */
import { ShapeError, ConfigError } from '../../core/errors.js';

/** Smallest scale, as PyTorch observers (float32 machine epsilon); avoids s = 0 for constant tensors. */
export const MIN_SCALE = 1.1920928955078125e-7;

export interface QParams {
  bits: number;
  /** Length C for per-channel (along `axis`), 1 for per-tensor; float32 values. */
  scale: Float32Array;
  /** Integer zero points in [0, 2^bits − 1] (float storage, so tensors need no cast). */
  zeroPoint: Float32Array;
  /** Channel axis, or null for per-tensor. */
  axis: number | null;
  symmetric: boolean;
}

export interface Range {
  min: number[];
  max: number[];
}

export function levels(bits: number): number {
  if (!Number.isInteger(bits) || bits < 2 || bits > 8) throw new ConfigError('bits', `must be an integer in 2..8, got ${bits}`);
  return 2 ** bits;
}

/** Output-channel axis of a kernel: HWIO conv → 3, dense [in, out] → 1 (the last axis). */
export function channelAxis(shape: readonly number[]): number {
  if (shape.length < 1) throw new ShapeError('channelAxis: scalar has no channel axis');
  return shape.length - 1;
}

const f32 = Math.fround;

/** Round half to even, as tf.round. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Scale and zero point from a range. Affine: the range is widened to contain 0 (so 0 is exact),
 * s = (hi − lo)/(2^b − 1), z = round(−lo/s), then s is enlarged just enough that the integer z still
 * gives a grid [−z·s, (2^b − 1 − z)·s] covering [lo, hi] (PyTorch keeps s and clips up to s/2 at one
 * end, so its min/max observer does not cover the min/max; ours does). Symmetric: z = 2^(b−1), s = max|·|/(2^(b−1) − 1), so
 * the grid [−z·s, (2^b − 1 − z)·s] covers ±max (one extra level on the negative side).
 */
export function qparamsFromRange(range: Range, bits: number, symmetric: boolean, axis: number | null): QParams {
  const L = levels(bits);
  const c = range.min.length;
  if (range.max.length !== c) throw new ShapeError(`qparamsFromRange: ${c} minima but ${range.max.length} maxima`);
  const scale = new Float32Array(c);
  const zeroPoint = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    const lo = Math.min(range.min[i], 0);
    const hi = Math.max(range.max[i], 0);
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new ShapeError(`qparamsFromRange: non-finite range [${lo}, ${hi}] at channel ${i}`);
    if (symmetric) {
      const a = Math.max(-lo, hi);
      scale[i] = Math.max(f32(a / (L / 2 - 1)), MIN_SCALE);
      zeroPoint[i] = L / 2;
    } else {
      const s0 = Math.max((hi - lo) / (L - 1), MIN_SCALE);
      let z = Math.min(L - 1, Math.max(0, roundHalfEven(-lo / s0)));
      if (z === 0 && lo < 0) z = 1; // a negative minimum needs at least one level below zero
      else if (z === L - 1 && hi > 0) z = L - 2;
      // Rounding z shifts the grid by up to s/2; widen s so the grid still covers [lo, hi].
      let s = Math.max(s0, z > 0 ? -lo / z : 0, z < L - 1 ? hi / (L - 1 - z) : 0);
      s = f32(s);
      for (let guard = 0; guard < 64 && (f32(-z * s) > lo || f32((L - 1 - z) * s) < hi); guard++) s = nextFloat32Up(s);
      scale[i] = s;
      zeroPoint[i] = z;
    }
  }
  return { bits, scale, zeroPoint, axis, symmetric };
}

function nextFloat32Up(x: number): number {
  const b = new Float32Array([x]);
  const u = new Uint32Array(b.buffer);
  u[0] += 1; // x > 0
  return b[0];
}

/** The clamp range [lo_c, hi_c] = [−z·s, (2^b − 1 − z)·s] per channel, float32. */
export function clampRange(qp: QParams): { lo: Float32Array; hi: Float32Array } {
  const L = levels(qp.bits);
  const lo = new Float32Array(qp.scale.length);
  const hi = new Float32Array(qp.scale.length);
  for (let i = 0; i < lo.length; i++) {
    lo[i] = f32(-qp.zeroPoint[i] * qp.scale[i]);
    hi[i] = f32((L - 1 - qp.zeroPoint[i]) * qp.scale[i]);
  }
  return { lo, hi };
}

/** Size of the block of consecutive elements sharing one channel index: product of dims after `axis`. */
function innerSize(shape: readonly number[], axis: number): number {
  let n = 1;
  for (let i = axis + 1; i < shape.length; i++) n *= shape[i];
  return n;
}

/** Channel index of each flat element (row-major), or all zeros for per-tensor. */
export function channelOf(shape: readonly number[], qp: QParams): (i: number) => number {
  if (qp.axis === null) return () => 0;
  const axis = qp.axis;
  if (axis < 0 || axis >= shape.length) throw new ShapeError(`quantizer: axis ${axis} out of range for shape [${shape}]`);
  if (shape[axis] !== qp.scale.length) {
    throw new ShapeError(`quantizer: shape [${shape}] has ${shape[axis]} channels on axis ${axis}, qparams have ${qp.scale.length}`);
  }
  const inner = innerSize(shape, axis);
  const c = shape[axis];
  return inner === 1 ? (i) => i % c : (i) => Math.floor(i / inner) % c;
}

/** Integer codes clamp(round(w/s + z), 0, 2^b − 1), exactly as the tensor path computes them. */
export function quantizeCodes(data: ArrayLike<number>, shape: readonly number[], qp: QParams): Uint8Array {
  const L = levels(qp.bits);
  const ch = channelOf(shape, qp);
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const c = ch(i);
    const t = f32(f32(data[i] / qp.scale[c]) + qp.zeroPoint[c]);
    const r = roundHalfEven(t);
    out[i] = r < 0 ? 0 : r > L - 1 ? L - 1 : r;
  }
  return out;
}

/** (code − z)·s in float32. */
export function dequantizeCodes(codes: ArrayLike<number>, shape: readonly number[], qp: QParams): Float32Array {
  const ch = channelOf(shape, qp);
  const out = new Float32Array(codes.length);
  for (let i = 0; i < codes.length; i++) {
    const c = ch(i);
    out[i] = f32((codes[i] - qp.zeroPoint[c]) * qp.scale[c]);
  }
  return out;
}

/** q(w) on plain arrays (reference implementation; the training path uses ste.ts). */
export function fakeQuantArray(data: ArrayLike<number>, shape: readonly number[], qp: QParams): Float32Array {
  return dequantizeCodes(quantizeCodes(data, shape, qp), shape, qp);
}

/** Sum of squared quantisation error Σ(w − q(w))², in float64. */
export function quantError(data: ArrayLike<number>, shape: readonly number[], qp: QParams): number {
  const q = fakeQuantArray(data, shape, qp);
  let e = 0;
  for (let i = 0; i < data.length; i++) e += (data[i] - q[i]) ** 2;
  return e;
}

/** Per-channel (or whole-tensor) min and max. */
export function minMaxOf(data: ArrayLike<number>, shape: readonly number[], axis: number | null): Range {
  const c = axis === null ? 1 : shape[axis];
  const min = new Array<number>(c).fill(Infinity);
  const max = new Array<number>(c).fill(-Infinity);
  const ch = axis === null ? () => 0 : channelOf(shape, { bits: 8, scale: new Float32Array(c), zeroPoint: new Float32Array(c), axis, symmetric: false });
  for (let i = 0; i < data.length; i++) {
    const k = ch(i);
    const v = data[i];
    if (v < min[k]) min[k] = v;
    if (v > max[k]) max[k] = v;
  }
  for (let k = 0; k < c; k++) {
    if (min[k] === Infinity) {
      min[k] = 0;
      max[k] = 0;
    }
  }
  return { min, max };
}

/** The elements of each channel as separate arrays (for per-channel histograms). */
export function splitChannels(data: ArrayLike<number>, shape: readonly number[], axis: number | null): Float32Array[] {
  if (axis === null) return [Float32Array.from(data)];
  const c = shape[axis];
  const per = data.length / c;
  const out = Array.from({ length: c }, () => new Float32Array(per));
  const fill = new Int32Array(c);
  const ch = channelOf(shape, { bits: 8, scale: new Float32Array(c), zeroPoint: new Float32Array(c), axis, symmetric: false });
  for (let i = 0; i < data.length; i++) {
    const k = ch(i);
    out[k][fill[k]++] = data[i];
  }
  return out;
}

export function qparamsToJSON(qp: QParams): { bits: number; scale: number[]; zeroPoint: number[]; axis: number | null; symmetric: boolean } {
  return { bits: qp.bits, scale: Array.from(qp.scale), zeroPoint: Array.from(qp.zeroPoint), axis: qp.axis, symmetric: qp.symmetric };
}

export function qparamsFromJSON(j: ReturnType<typeof qparamsToJSON>): QParams {
  return { bits: j.bits, scale: Float32Array.from(j.scale), zeroPoint: Float32Array.from(j.zeroPoint), axis: j.axis, symmetric: j.symmetric };
}
