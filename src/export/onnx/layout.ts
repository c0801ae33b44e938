/**
 * Layout helpers for the ONNX writer. Inside the ONNX graph every rank-4 tensor is NCHW (ONNX Conv's
 * layout); the tfjs model's logical shapes stay NHWC, so a logical axis maps to a physical one and
 * kernels are transposed (HWIO → OIHW, depthwise [kh, kw, C, M] → [C·M, 1, kh, kw]).
 */
import { WhittleError } from '../../core/errors.js';

export type Shape = Array<number | null>;

/** NHWC axis (negative allowed) → NCHW axis for rank-4 tensors; other ranks keep their axes. */
export function physicalAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new WhittleError(`axis ${axis} out of range for rank ${rank}`);
  return rank === 4 ? [0, 2, 3, 1][a] : a;
}

type Typed = Float32Array | Uint8Array;

/** Conv kernel HWIO [kh, kw, I, O] → OIHW. */
export function hwioToOihw<T extends Typed>(k: T, shape: number[]): T {
  const [kh, kw, ci, co] = shape;
  const out = new (k.constructor as new (n: number) => T)(k.length);
  for (let h = 0; h < kh; h++)
    for (let w = 0; w < kw; w++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++) out[((o * ci + i) * kh + h) * kw + w] = k[((h * kw + w) * ci + i) * co + o];
  return out;
}

/** Depthwise kernel [kh, kw, C, M] → [C·M, 1, kh, kw] (ONNX Conv with group = C; output channel c·M + m). */
export function depthwiseToOihw(k: Float32Array, shape: number[]): Float32Array {
  const [kh, kw, c, m] = shape;
  const out = new Float32Array(k.length);
  for (let h = 0; h < kh; h++)
    for (let w = 0; w < kw; w++)
      for (let ci = 0; ci < c; ci++)
        for (let mi = 0; mi < m; mi++) out[((ci * m + mi) * kh + h) * kw + w] = k[((h * kw + w) * c + ci) * m + mi];
  return out;
}

/**
 * Explicit ONNX pads [h0, w0, h1, w1] for tfjs padding: 'valid' → 0; 'same' → TensorFlow's rule (total
 * = max((ceil(in/s) − 1)·s + (k − 1)·d + 1 − in, 0), the odd pixel at the end).
 */
export function convPads(padding: string, inHW: Shape, kernel: number[], strides: number[], dilations: number[] = [1, 1]): number[] {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding !== 'same') throw new WhittleError(`padding "${padding}" is not supported (same|valid)`);
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < 2; i++) {
    const n = inHW[i];
    if (n === null) throw new WhittleError('"same" padding needs a static input size');
    const eff = (kernel[i] - 1) * dilations[i] + 1;
    const total = Math.max((Math.ceil(n / strides[i]) - 1) * strides[i] + eff - n, 0);
    begin.push(Math.floor(total / 2));
    end.push(total - Math.floor(total / 2));
  }
  return [...begin, ...end];
}

export function pair(v: unknown, what: string): number[] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return v as number[];
  throw new WhittleError(`unsupported ${what} ${JSON.stringify(v)}`);
}
