/** Data movement as one strided copy: Slice, StridedSlice, PadV2, Tile, Transpose, 1x1 AvgPool (+grad). */
import { tf } from '../../tf.js';
import type { NativeBackend } from '../backend.js';
import { sizeOf, type NativeKernel } from './types.js';

function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Copies `shape` elements from src (strides/offset) to dst (strides/offset); drops size-1 dims. */
function copy(
  b: NativeBackend, shape: number[], src: Float32Array, ss: number[], so: number, dst: Float32Array, ds: number[], dof: number,
): void {
  const sh: number[] = [];
  const s1: number[] = [];
  const d1: number[] = [];
  shape.forEach((n, i) => {
    if (n !== 1) {
      sh.push(n);
      s1.push(ss[i]);
      d1.push(ds[i]);
    }
  });
  if (sh.length === 0) {
    sh.push(1);
    s1.push(0);
    d1.push(0);
  }
  if (sh.length > 16) throw new Error('stridedCopy: rank too large');
  b.addon.stridedCopy(Int32Array.from(sh), src, Int32Array.from(s1), so, dst, Int32Array.from(d1), dof);
}

export const slice: NativeKernel = ({ inputs, attrs, backend }) => {
  const x = inputs.x;
  if (!x) return undefined;
  const xv = backend.f32(x);
  if (!xv || x.shape.length === 0) return undefined;
  const [begin, size] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, attrs.begin as number[], attrs.size as number[]);
  tf.slice_util.assertParamsValid(x as unknown as tf.Tensor, begin, size);
  const n = sizeOf(size);
  if (n === 0) return undefined;
  const st = stridesOf(x.shape);
  const off = begin.reduce((a, bgn, i) => a + bgn * st[i], 0);
  const out = backend.pool.alloc(n);
  copy(backend, size, xv, st, off, out, stridesOf(size), 0);
  return backend.output(size, out);
};

export const stridedSlice: NativeKernel = ({ inputs, attrs, backend }) => {
  const x = inputs.x;
  if (!x) return undefined;
  const xv = backend.f32(x);
  if (!xv || x.shape.length === 0) return undefined;
  const a = attrs as Record<string, number & number[]>;
  const info = tf.slice_util.sliceInfo(x.shape, a.begin, a.end, a.strides, a.beginMask, a.endMask, a.ellipsisMask, a.newAxisMask, a.shrinkAxisMask);
  const sparse = info.finalShapeSparse;
  if (info.isIdentity || sparse.length !== x.shape.length) return undefined;
  const n = sizeOf(sparse);
  if (n === 0) return undefined;
  const st = stridesOf(x.shape);
  const off = info.begin.reduce((acc, bgn, i) => acc + bgn * st[i], 0);
  const out = backend.pool.alloc(n);
  copy(backend, sparse, xv, st.map((s, i) => s * info.strides[i]), off, out, stridesOf(sparse), 0);
  return backend.output(info.finalShape, out);
};

export const padV2: NativeKernel = ({ inputs, attrs, backend }) => {
  const x = inputs.x;
  if (!x) return undefined;
  const xv = backend.f32(x);
  const paddings = attrs.paddings as Array<[number, number]>;
  if (!xv || x.shape.length === 0 || xv.length === 0 || paddings.some(([p, q]) => p < 0 || q < 0)) return undefined;
  const outShape = x.shape.map((d, i) => paddings[i][0] + d + paddings[i][1]);
  const out = backend.pool.alloc(sizeOf(outShape));
  backend.addon.fill(out, (attrs.constantValue as number | undefined) ?? 0);
  const os = stridesOf(outShape);
  const off = paddings.reduce((acc, [p], i) => acc + p * os[i], 0);
  copy(backend, [...x.shape], xv, stridesOf(x.shape), 0, out, os, off);
  return backend.output(outShape, out);
};

export const tile: NativeKernel = ({ inputs, attrs, backend }) => {
  const x = inputs.x;
  if (!x) return undefined;
  const xv = backend.f32(x);
  const reps = attrs.reps as number[];
  if (!xv || x.shape.length === 0 || xv.length === 0 || reps.length !== x.shape.length || x.shape.length > 8) return undefined;
  const outShape = x.shape.map((d, i) => d * reps[i]);
  const n = sizeOf(outShape);
  if (n === 0) return undefined;
  const xs = stridesOf(x.shape);
  const os = stridesOf(outShape);
  const shape: number[] = [];
  const ss: number[] = [];
  const ds: number[] = [];
  x.shape.forEach((d, i) => {
    shape.push(reps[i], d);
    ss.push(0, xs[i]);
    ds.push(d * os[i], os[i]);
  });
  const out = backend.pool.alloc(n);
  copy(backend, shape, xv, ss, 0, out, ds, 0);
  return backend.output(outShape, out);
};

export const transpose: NativeKernel = ({ inputs, attrs, backend }) => {
  const x = inputs.x;
  if (!x) return undefined;
  const xv = backend.f32(x);
  const perm = attrs.perm as number[];
  if (!xv || xv.length === 0 || x.shape.length === 0) return undefined;
  const outShape = perm.map((p) => x.shape[p]);
  const xs = stridesOf(x.shape);
  const out = backend.pool.alloc(xv.length);
  copy(backend, outShape, xv, perm.map((p) => xs[p]), 0, out, stridesOf(outShape), 0);
  return backend.output(outShape, out);
};

/** 1x1 average pooling with stride s is subsampling (ResNet option-A shortcuts). */
function poolInfo(xShape: number[], attrs: Record<string, unknown>): tf.backend_util.Conv2DInfo | undefined {
  if (xShape.length !== 4) return undefined;
  return tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number], attrs.filterSize as [number, number] | number, attrs.strides as [number, number] | number,
    1, attrs.pad as 'valid' | 'same' | number, attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
  );
}

/** A 1×1 window without padding: pooling is a strided copy. */
function subsampleInfo(xShape: number[], attrs: Record<string, unknown>): tf.backend_util.Conv2DInfo | undefined {
  const info = poolInfo(xShape, attrs);
  if (!info || info.filterHeight !== 1 || info.filterWidth !== 1) return undefined;
  const p = info.padInfo;
  if (p.top !== 0 || p.left !== 0) return undefined;
  return info;
}

export const avgPool: NativeKernel = ({ inputs, attrs, backend }) => {
  const x = inputs.x;
  if (!x) return undefined;
  const xv = backend.f32(x);
  const info = xv && poolInfo(x.shape, attrs);
  if (!xv || !info) return undefined;
  const outShape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  const n = sizeOf(outShape);
  if (n === 0) return undefined;
  const out = backend.pool.alloc(n);
  if (subsampleInfo(x.shape, attrs)) {
    const xs = stridesOf(x.shape);
    copy(backend, outShape, xv, [xs[0], xs[1] * info.strideHeight, xs[2] * info.strideWidth, 1], 0, out, stridesOf(outShape), 0);
  } else {
    // Windowed average (tfjs's cpu kernel took 62 of 220 ms per CLIP RN50 image on its 2×2 pools).
    const p = info.padInfo;
    backend.addon.avgPool(xv, Int32Array.from([info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight,
      info.outWidth, info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, p.top, p.left]), out);
  }
  return backend.output(outShape, out);
};

export const avgPoolGrad: NativeKernel = ({ inputs, attrs, backend }) => {
  const { dy, input } = inputs;
  if (!dy || !input) return undefined;
  const dv = backend.f32(dy);
  const info = dv && subsampleInfo(input.shape, attrs);
  if (!dv || !info || info.outHeight !== dy.shape[1] || info.outWidth !== dy.shape[2]) return undefined;
  const n = sizeOf(input.shape);
  const out = backend.pool.alloc(n);
  backend.addon.fill(out, 0);
  const xs = stridesOf(input.shape);
  copy(backend, [...dy.shape], dv, stridesOf(dy.shape), 0, out, [xs[0], xs[1] * info.strideHeight, xs[2] * info.strideWidth, 1], 0);
  return backend.output([...input.shape], out);
};
