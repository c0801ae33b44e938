/** Sum / Mean / Max / Min over a contiguous block of axes, as [outer, r, inner] loops. */
import { tf } from '../../tf.js';
import { sizeOf, type NativeKernel } from './types.js';

/** Reduction op codes (native/src/kernels.h RedOp). */
export const RED = { sum: 0, mean: 1, max: 2, min: 3 } as const;

const reduce = (op: number): NativeKernel => ({ inputs, attrs, backend }) => {
  const x = inputs.x;
  if (!x) return undefined;
  const xv = backend.f32(x);
  if (!xv || xv.length === 0) return undefined;
  const rank = x.shape.length;
  const axes = tf.util.parseAxisParam((attrs.axis ?? attrs.reductionIndices) as number | number[], x.shape).sort((p, q) => p - q);
  // Drop size-1 axes from consideration when checking contiguity: they do not change the layout.
  const real = axes.filter((a) => x.shape[a] !== 1);
  for (let i = 1; i < real.length; i++) {
    for (let d = real[i - 1] + 1; d < real[i]; d++) if (x.shape[d] !== 1) return undefined;
  }
  const lo = real.length ? real[0] : rank;
  const hi = real.length ? real[real.length - 1] : rank - 1;
  const outer = sizeOf(x.shape.slice(0, lo));
  const r = real.length ? sizeOf(x.shape.slice(lo, hi + 1)) : 1;
  const inner = real.length ? sizeOf(x.shape.slice(hi + 1)) : xv.length / outer;
  const keep = Boolean(attrs.keepDims);
  const outShape = keep ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
  const out = backend.pool.alloc(outer * inner);
  backend.addon.reduce(op, outer, r, inner, xv, out);
  return backend.output(outShape, out);
};

export const sum = reduce(RED.sum);
export const mean = reduce(RED.mean);
export const max = reduce(RED.max);
export const min = reduce(RED.min);
