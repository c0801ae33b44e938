/** Broadcasting binary ops and unary ops as OpenMP loops (op codes match native/src/kernels.h). */
import { tf } from '../../tf.js';
import type { NativeAddon } from '../addon.js';
import type { NativeBackend } from '../backend.js';
import { sizeOf, type NativeKernel } from './types.js';

export const BIN = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5, sqdiff: 6, pow: 7, reluGrad: 8, stepMul: 9, twiceMul: 10 } as const;
export const UN = {
  relu: 0, step: 1, sqrt: 2, rsqrt: 3, square: 4, exp: 5, log: 6, neg: 7, abs: 8, sigmoid: 9, tanh: 10,
  recip: 11, relu6: 12, copy: 13, elu: 14, sign: 15, leaky: 16,
} as const;

/** out = a op b element by element over arrays of out's size (any layout both operands share). */
export function binaryFlat(addon: NativeAddon, op: number, a: Float32Array, b: Float32Array, out: Float32Array): void {
  const one = Int32Array.of(1);
  addon.binary(op, Int32Array.of(out.length), a, one, b, one, out);
}

/**
 * Output shape plus per-operand element strides (0 where broadcast), with adjacent dimensions merged
 * where both operands stay contiguous, so the innermost loop is as long as possible.
 */
export function broadcastPlan(as: number[], bs: number[]): { out: number[]; shape: number[]; sa: number[]; sb: number[] } {
  const out = tf.backend_util.assertAndGetBroadcastShape(as, bs);
  const r = out.length;
  const strides = (s: number[]): number[] => {
    const st = new Array<number>(r).fill(0);
    let acc = 1;
    for (let i = s.length - 1; i >= 0; i--) {
      const d = r - s.length + i;
      st[d] = s[i] === 1 ? 0 : acc;
      acc *= s[i];
    }
    return st;
  };
  const fa = strides(as);
  const fb = strides(bs);
  const shape: number[] = [];
  const sa: number[] = [];
  const sb: number[] = [];
  for (let d = 0; d < r; d++) {
    if (out[d] === 1) continue;
    const k = shape.length - 1;
    if (k >= 0 && sa[k] === fa[d] * out[d] && sb[k] === fb[d] * out[d]) {
      shape[k] *= out[d];
      sa[k] = fa[d];
      sb[k] = fb[d];
    } else {
      shape.push(out[d]);
      sa.push(fa[d]);
      sb.push(fb[d]);
    }
  }
  if (shape.length === 0) {
    shape.push(1);
    sa.push(0);
    sb.push(0);
  }
  return { out, shape, sa, sb };
}

export function binaryOp(backend: NativeBackend, op: number, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo | undefined {
  const av = backend.f32(a);
  const bv = backend.f32(b);
  if (!av || !bv) return undefined;
  let plan;
  try {
    plan = broadcastPlan(a.shape, b.shape);
  } catch {
    return undefined; // let the cpu kernel produce its error message
  }
  if (plan.shape.length > 8) return undefined;
  const n = sizeOf(plan.out);
  if (n === 0) return undefined;
  const out = backend.pool.alloc(n);
  backend.addon.binary(op, Int32Array.from(plan.shape), av, Int32Array.from(plan.sa), bv, Int32Array.from(plan.sb), out);
  return backend.output(plan.out, out);
}

const binary = (op: number): NativeKernel => ({ inputs, backend }) =>
  inputs.a && inputs.b ? binaryOp(backend, op, inputs.a, inputs.b) : undefined;

/** Same-shape float32 sums at least this large are lazy (see `add`). */
export const LAZY_ADD_MIN = 1 << 16;

/**
 * Add. Large same-shape float32 sums are lazy outputs tagged with their operands: the gradient
 * accumulations tfjs's tape inserts are consumed by one ReLU-gradient kernel, which then reads the two
 * operands directly (grads.ts `reluGrad`), and the sum itself is never written.
 */
export const add: NativeKernel = (args) => {
  const { inputs, backend } = args;
  const { a, b } = inputs;
  if (a && b && a.dtype === 'float32' && b.dtype === 'float32' && a.shape.length === b.shape.length &&
    a.shape.every((d, i) => d === b.shape[i]) && sizeOf(a.shape) >= LAZY_ADD_MIN) {
    return backend.lazyOutput([...a.shape], sizeOf(a.shape), [a, b], (out) => {
      binaryFlat(backend.addon, BIN.add, backend.f32(a)!, backend.f32(b)!, out);
    }, { op: 'add', a, b });
  }
  return binary(BIN.add)(args);
};
export const sub = binary(BIN.sub);
export const mul = binary(BIN.mul);
export const realDiv = binary(BIN.div);
export const maximum = binary(BIN.max);
export const minimum = binary(BIN.min);
export const squaredDifference = binary(BIN.sqdiff);

export function unaryOp(backend: NativeBackend, op: number, x: tf.TensorInfo, alpha = 0): tf.TensorInfo | undefined {
  const xv = backend.f32(x);
  if (!xv || xv.length === 0) return undefined;
  const out = backend.pool.alloc(xv.length);
  backend.addon.unary(op, xv, out, alpha);
  return backend.output([...x.shape], out);
}

const unary = (op: number, alphaAttr?: string, alphaDefault = 0): NativeKernel => ({ inputs, attrs, backend }) => {
  if (!inputs.x) return undefined;
  const alpha = alphaAttr ? ((attrs[alphaAttr] as number | undefined) ?? alphaDefault) : 0;
  return unaryOp(backend, op, inputs.x, alpha);
};

export const relu = unary(UN.relu);
export const step = unary(UN.step, 'alpha', 0);
export const sqrt = unary(UN.sqrt);
export const rsqrt = unary(UN.rsqrt);
export const square = unary(UN.square);
export const exp = unary(UN.exp);
export const log = unary(UN.log);
export const neg = unary(UN.neg);
export const abs = unary(UN.abs);
export const sigmoid = unary(UN.sigmoid);
export const tanh = unary(UN.tanh);
export const reciprocal = unary(UN.recip);
export const relu6 = unary(UN.relu6);
export const elu = unary(UN.elu);
export const sign = unary(UN.sign);
export const leakyRelu = unary(UN.leaky, 'alpha', 0.2);

export const addN: NativeKernel = ({ inputs, backend }) => {
  const xs = Object.keys(inputs).sort((p, q) => Number(p) - Number(q)).map((k) => inputs[k]!);
  if (xs.length === 0) return undefined;
  const vals = xs.map((t) => backend.f32(t));
  const shape = xs[0].shape;
  if (vals.some((v) => !v) || xs.some((t) => t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))) return undefined;
  const n = sizeOf(shape);
  if (n === 0) return undefined;
  const out = backend.pool.alloc(n);
  backend.addon.addN(vals as Float32Array[], out);
  return backend.output([...shape], out);
};
