/** Conv2D / FusedConv2D (bias + ReLU fused) / Conv2DBackpropInput / Conv2DBackpropFilter on oneDNN. */
import { tf } from '../../tf.js';
import { sizeOf, type NativeArgs, type NativeKernel } from './types.js';

type ConvInfo = tf.backend_util.Conv2DInfo;

function convInfo(
  xShape: number[], fShape: number[], attrs: Record<string, unknown>, dilations: number | [number, number] = 1,
): ConvInfo | undefined {
  const fmt = (attrs.dataFormat as string | undefined) ?? 'NHWC';
  if (fmt !== 'NHWC' && fmt !== 'channelsLast') return undefined;
  if (xShape.length !== 4 || fShape.length !== 4) return undefined;
  const pad = attrs.pad as 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], fShape as [number, number, number, number],
    attrs.strides as number | [number, number], dilations, pad,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined, false, 'channelsLast',
  );
}

function dimsOf(c: ConvInfo): Int32Array | undefined {
  const p = c.padInfo;
  if (p.top < 0 || p.bottom < 0 || p.left < 0 || p.right < 0 || c.outHeight <= 0 || c.outWidth <= 0) return undefined;
  if (c.batchSize === 0 || c.inChannels === 0 || c.outChannels === 0) return undefined;
  return Int32Array.from([
    c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.filterHeight, c.filterWidth, c.outChannels,
    c.outHeight, c.outWidth, c.strideHeight, c.strideWidth, p.top, p.left, p.bottom, p.right,
    c.dilationHeight, c.dilationWidth,
  ]);
}

function forward({ inputs, attrs, backend }: NativeArgs, fused: boolean): tf.TensorInfo | undefined {
  const { x, filter, bias } = inputs;
  if (!x || !filter) return undefined;
  const act = fused ? ((attrs.activation as string | undefined) ?? 'linear') : 'linear';
  if (act !== 'linear' && act !== 'relu') return undefined;
  if (fused && inputs.preluActivationWeights) return undefined;
  const info = convInfo(x.shape, filter.shape, attrs, attrs.dilations as number | [number, number]);
  if (!info) return undefined;
  const dims = dimsOf(info);
  const xv = backend.f32(x);
  const wv = backend.f32(filter);
  if (!dims || !xv || !wv) return undefined;
  let bv: Float32Array | null = null;
  if (bias) {
    const b = backend.f32(bias);
    if (!b || sizeOf(bias.shape) !== info.outChannels || (bias.shape.length > 0 && bias.shape[bias.shape.length - 1] !== info.outChannels)) {
      return undefined;
    }
    bv = b;
  }
  const outShape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  const y = backend.pool.alloc(sizeOf(outShape));
  // Winograd geometries can leave x in oneDNN's blocked layout for the backward-weights pass (one reorder
  // fewer per conv and step), at the cost of a copy of x kept until x is disposed. Learned per geometry.
  const key = dims.join(',') + (act === 'relu' ? ',relu' : '') + (bv ? ',bias' : '');
  const keep = keepsBlocked.get(key) ?? true;
  const xb = keep && !backend.getDerived(x) ? backend.pool.alloc(xv.length) : null;
  let kept: boolean;
  try {
    kept = backend.addon.conv2d(xv, wv, bv, y, dims, act === 'relu', xb);
  } catch {
    backend.pool.recycle(y);
    if (xb) backend.pool.recycle(xb);
    return undefined; // oneDNN rejected the geometry: let the cpu kernel handle it
  }
  if (xb) {
    keepsBlocked.set(key, kept);
    if (kept) backend.setDerived(x, xb);
    else backend.pool.recycle(xb);
  }
  return backend.output(outShape, y);
}

/** Per forward geometry: whether the native conv keeps a blocked copy of x (Winograd) when given a buffer. */
const keepsBlocked = new Map<string, boolean>();

export const conv2D: NativeKernel = (a) => forward(a, false);
export const fusedConv2D: NativeKernel = (a) => forward(a, true);

/** Geometries oneDNN accepted for backward-data (later calls may then run lazily). */
const goodBackpropInput = new Set<string>();

/**
 * Lazy backward-data outputs by their dy: tfjs's conv gradient asks for dx, then for dfilter from the same
 * dy, so the filter kernel can compute both in one native call (Winograd geometries share dy's reorder).
 */
interface PendingDx { dx: tf.TensorInfo; buf: Float32Array; filter: tf.TensorInfo; key: string }
const pendingDx = new WeakMap<object, PendingDx>();

export const conv2DBackpropInput: NativeKernel = ({ inputs, attrs, backend }) => {
  const { dy, filter } = inputs;
  if (!dy || !filter) return undefined;
  const inputShape = attrs.inputShape as number[];
  const info = convInfo(inputShape, filter.shape, attrs);
  if (!info) return undefined;
  const dims = dimsOf(info);
  const dyv = backend.f32(dy);
  const wv = backend.f32(filter);
  if (!dims || !dyv || !wv) return undefined;
  const dx = backend.pool.alloc(sizeOf(inputShape));
  const key = dims.join(',');
  if (goodBackpropInput.has(key)) {
    // Lazy: tfjs's fused-conv gradient computes dx even for the network input, which nothing reads.
    const out = backend.lazyOutput([...inputShape], dx, [dy, filter], () => {
      pendingDx.delete(dy.dataId);
      backend.addon.conv2dBackpropInput(backend.f32(dy)!, backend.f32(filter)!, dx, dims);
    });
    pendingDx.set(dy.dataId, { dx: out, buf: dx, filter, key });
    return out;
  }
  try {
    backend.addon.conv2dBackpropInput(dyv, wv, dx, dims); // first time eagerly: errors fall back to cpu
  } catch {
    backend.pool.recycle(dx);
    return undefined;
  }
  goodBackpropInput.add(key);
  return backend.output([...inputShape], dx);
};

export const conv2DBackpropFilter: NativeKernel = ({ inputs, attrs, backend }) => {
  const { x, dy } = inputs;
  if (!x || !dy) return undefined;
  const filterShape = attrs.filterShape as number[];
  const info = convInfo(x.shape, filterShape, attrs);
  if (!info) return undefined;
  const dims = dimsOf(info);
  const xv = backend.f32(x);
  const dyv = backend.f32(dy);
  if (!dims || !xv || !dyv) return undefined;
  const dw = backend.pool.alloc(sizeOf(filterShape));
  const pend = pendingDx.get(dy.dataId);
  if (pend && pend.key === dims.join(',')) {
    pendingDx.delete(dy.dataId);
    const wv = backend.isPending(pend.dx) ? backend.f32(pend.filter) : undefined;
    let both: boolean;
    try {
      both = !!wv && backend.addon.conv2dBackward(xv, dyv, wv, pend.buf, dw, dims, backend.getDerived(x) ?? null);
    } catch {
      both = false; // the separate passes below (and dx's own lazy pass) still run, or fall back to cpu
    }
    if (both) {
      backend.completeLazy(pend.dx);
      return backend.output([...filterShape], dw);
    }
  }
  try {
    backend.addon.conv2dBackpropFilter(xv, dyv, dw, null, dims);
  } catch {
    backend.pool.recycle(dw);
    return undefined;
  }
  return backend.output([...filterShape], dw);
};
