/** FusedBatchNorm (inference formula, per channel), Softmax over the last axis, Transpose. */
import type { tf } from '../../tf.js';
import { sizeOf, type NativeKernel } from './types.js';

export const fusedBatchNorm: NativeKernel = ({ inputs, attrs, backend }) => {
  const { x, mean, variance, offset, scale } = inputs;
  if (!x || !mean || !variance || x.shape.length === 0) return undefined;
  const c = x.shape[x.shape.length - 1];
  const xv = backend.f32(x);
  if (!xv || xv.length === 0 || c === 0) return undefined;
  // Every parameter must be per-channel (size c, last dim c) or a scalar.
  const param = (t: tf.TensorInfo | undefined): Float32Array | null | false => {
    if (!t) return null;
    const v = backend.f32(t);
    const n = sizeOf(t.shape);
    if (!v) return false;
    if (n === 1) return v;
    if (n === c && t.shape[t.shape.length - 1] === c) return v;
    return false;
  };
  const m = param(mean);
  const va = param(variance);
  const o = param(offset);
  const s = param(scale);
  if (!m || !va || o === false || s === false) return undefined;
  const eps = (attrs.varianceEpsilon as number | undefined) ?? 0.001;
  const y = backend.pool.alloc(xv.length);
  backend.addon.batchNorm(xv, m, va, o, s, eps, c, y);
  return backend.output([...x.shape], y);
};

export const softmax: NativeKernel = ({ inputs, attrs, backend }) => {
  const x = inputs.logits;
  if (!x || x.shape.length === 0) return undefined;
  const rank = x.shape.length;
  const dim = (attrs.dim as number | undefined) ?? -1;
  if (dim !== -1 && dim !== rank - 1) return undefined;
  const xv = backend.f32(x);
  if (!xv || xv.length === 0) return undefined;
  const cols = x.shape[rank - 1];
  const y = backend.pool.alloc(xv.length);
  backend.addon.softmax(xv.length / cols, cols, xv, y, false);
  return backend.output([...x.shape], y);
};

export const transpose: NativeKernel = ({ inputs, attrs, backend }) => {
  const x = inputs.x;
  if (!x) return undefined;
  const xv = backend.f32(x);
  const perm = attrs.perm as number[];
  if (!xv || xv.length === 0 || x.shape.length > 8 || x.shape.length === 0) return undefined;
  const outShape = perm.map((p) => x.shape[p]);
  const y = backend.pool.alloc(xv.length);
  backend.addon.transpose(Int32Array.from(x.shape), Int32Array.from(perm), xv, y);
  return backend.output(outShape, y);
};
