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

function forward(args: NativeArgs, fused: boolean): tf.TensorInfo | undefined {
  const { inputs, attrs, backend } = args;
  const { x, filter, bias } = inputs;
  if (!x || !filter || x.dtype !== 'float32') return undefined;
  const act = fused ? ((attrs.activation as string | undefined) ?? 'linear') : 'linear';
  if (act !== 'linear' && act !== 'relu') return undefined;
  if (fused && inputs.preluActivationWeights) return undefined;
  const info = convInfo(x.shape, filter.shape, attrs, attrs.dilations as number | [number, number]);
  if (!info) return undefined;
  const dims = dimsOf(info);
  const wv = backend.f32(filter);
  if (!dims || !wv) return undefined;
  let bv: Float32Array | null = null;
  if (bias) {
    const b = backend.f32(bias);
    if (!b || sizeOf(bias.shape) !== info.outChannels || (bias.shape.length > 0 && bias.shape[bias.shape.length - 1] !== info.outChannels)) {
      return undefined;
    }
    bv = b;
  }
  const outShape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  const relu = act === 'relu';
  // Winograd geometries (learned on first use) keep activations in oneDNN's blocked layout: x's blocked
  // copy stays for the backward pass (or is reused when x already has one) and y is returned blocked, its
  // NHWC values computed only if a kernel without a blocked path reads them.
  const key = dims.join(',') + (relu ? ',relu' : '') + (bv ? ',bias' : '');
  const known = winoForward.get(key);
  const nx = sizeOf(x.shape);
  // Blocked outputs and kept inputs pay off when gradients are being recorded (the batch-norm training
  // kernels and the backward pass read them); in inference the next kernel wants NHWC.
  const training = (tf.engine().state as unknown as { gradientDepth: number }).gradientDepth > 0;
  const xGiven = known === true && blockedActivations ? backend.blocked16(x) : undefined;
  const xv = xGiven ? null : (backend.f32(x) ?? null);
  if (!xGiven && !xv) return undefined;
  const xb = xGiven ?? (known !== false && training && !backend.blocked16(x) ? backend.pool.alloc(nx) : null);
  const yb = known === true && blockedActivations && training ? backend.pool.alloc(sizeOf(outShape)) : null;
  const y = yb ? null : backend.pool.alloc(sizeOf(outShape));
  // The 16-channel direct kernel sums its output per channel on the way: the batch norm that follows in
  // training reads these statistics instead of making a pass of its own.
  const stats = training && known !== true && info.outChannels === 16 ? new Float32Array(32) : null;
  // Inference reads the same weights call after call (CLIP towers): their copy in oneDNN's layout is kept
  // with the weight tensor instead of being reordered each time (24 of 84 ms per RN50 image at batch 1).
  const prep = training ? undefined : preparedWeights(backend, filter, dims, !!bv, relu);
  let wino: boolean;
  let gotStats: boolean;
  try {
    const r = backend.addon.conv2d(xv, wv, bv, y, dims, relu, xb, !!xGiven, yb, stats, prep?.buf ?? null, prep?.filled ?? false);
    wino = r === 1;
    gotStats = r === 2;
  } catch {
    for (const b of [y, yb, xGiven ? null : xb]) if (b) backend.pool.recycle(b);
    if (prep && !prep.filled) backend.forgetPrepared(filter, prep.key);
    return undefined; // oneDNN rejected the geometry: let the cpu kernel handle it
  }
  if (known === undefined) winoForward.set(key, wino);
  if (wino) winoGeometries.add(dims.join(','));
  if (xb && !xGiven) {
    if (wino) backend.setBlocked16(x, xb);
    else backend.pool.recycle(xb);
  }
  if (known === undefined && wino && training && blockedActivations) {
    // The first call only learned that the geometry runs Winograd: the output is made again as later calls
    // make it (blocked), so the kernels after it run the same code paths in a fresh process as in a
    // long-running one (bit-identical resume).
    if (y) backend.pool.recycle(y);
    return forward(args, fused);
  }
  const out = yb ? backend.blockedOutput(outShape, yb) : backend.output(outShape, y!);
  if (gotStats && stats) backend.setBatchStats(out, stats.subarray(0, 16), stats.subarray(16));
  return out;
}

/** Prepared-weights size per forward geometry (with bias/relu flags); 0 = none is used. */
const preparedSize = new Map<string, number>();

function preparedWeights(
  backend: NativeArgs['backend'], filter: tf.TensorInfo, dims: Int32Array, bias: boolean, relu: boolean,
): { buf: Float32Array; filled: boolean; key: string } | undefined {
  const key = `${dims.join(',')},${bias ? 1 : 0},${relu ? 1 : 0}`;
  let size = preparedSize.get(key);
  if (size === undefined) preparedSize.set(key, (size = backend.addon.conv2dWeightsSize(dims, bias, relu)));
  return size > 0 ? { ...backend.preparedCopy(filter, key, size), key } : undefined;
}

/** WHITTLE_BLOCKED=0: Winograd convs take and return NHWC (reordering around each pass), as before. */
const blockedActivations = process.env.WHITTLE_BLOCKED !== '0';

/** Per forward geometry (with relu/bias flags): whether the native conv runs Winograd (blocked operands). */
const winoForward = new Map<string, boolean>();
/** Conv geometries whose forward ran Winograd: their backward takes and gives blocked operands too. */
const winoGeometries = new Set<string>();
/** Other geometries by whether the addon ran both backward passes in one call (Whittle's 16-channel direct
 * kernel does, on AVX-512 CPUs), learned from the first try: the addon decides, not a copy of its rule. */
const oneCallBackward = new Map<string, boolean>();

export const conv2D: NativeKernel = (a) => forward(a, false);
export const fusedConv2D: NativeKernel = (a) => forward(a, true);

/** Geometries oneDNN accepted for backward-data (later calls may then run lazily). */
const goodBackpropInput = new Set<string>();

/**
 * Lazy backward-data outputs by their dy: tfjs's conv gradient asks for dx, then for dfilter from the same
 * dy, so the filter kernel can compute both in one native call (Winograd geometries share dy's reorder).
 */
interface PendingDx { dx: tf.TensorInfo; filter: tf.TensorInfo; key: string }
const pendingDx = new WeakMap<object, PendingDx>();

export const conv2DBackpropInput: NativeKernel = ({ inputs, attrs, backend }) => {
  const { dy, filter } = inputs;
  if (!dy || !filter) return undefined;
  const inputShape = attrs.inputShape as number[];
  const info = convInfo(inputShape, filter.shape, attrs);
  if (!info) return undefined;
  const dims = dimsOf(info);
  if (!dims || dy.dtype !== 'float32' || filter.dtype !== 'float32') return undefined;
  const key = dims.join(',');
  if (!goodBackpropInput.has(key)) {
    // First use of the geometry: one eager trial (oneDNN may reject it: the cpu kernel runs instead), whose
    // result is dropped. dx is then made lazily as on every later call, so that conv2DBackpropFilter can
    // take both passes in one call from the first step on: a fresh process runs the same native calls as a
    // long-running one (the separate passes sum the weight gradient in another order).
    const dyv = backend.f32(dy);
    const wv = backend.f32(filter);
    if (!dyv || !wv) return undefined;
    const trial = backend.pool.alloc(sizeOf(inputShape));
    try {
      backend.addon.conv2dBackpropInput(dyv, wv, trial, dims);
    } catch {
      return undefined;
    } finally {
      backend.pool.recycle(trial);
    }
    goodBackpropInput.add(key);
  }
  // Lazy: tfjs's fused-conv gradient computes dx even for the network input, which nothing reads.
  const out = backend.lazyOutput([...inputShape], sizeOf(inputShape), [dy, filter], (dx) => {
    pendingDx.delete(dy.dataId);
    backend.addon.conv2dBackpropInput(backend.f32(dy)!, backend.f32(filter)!, dx, dims);
  });
  pendingDx.set(dy.dataId, { dx: out, filter, key });
  return out; // (dy's values are not read here: it may exist only in the blocked layout until then)
};

export const conv2DBackpropFilter: NativeKernel = ({ inputs, attrs, backend }) => {
  const { x, dy } = inputs;
  if (!x || !dy) return undefined;
  const filterShape = attrs.filterShape as number[];
  const info = convInfo(x.shape, filterShape, attrs);
  if (!info) return undefined;
  const dims = dimsOf(info);
  if (!dims) return undefined;
  const dw = backend.pool.alloc(sizeOf(filterShape));
  const key = dims.join(',');
  const pend = pendingDx.get(dy.dataId);
  const wino = winoGeometries.has(key);
  if (pend && pend.key === key && (wino || oneCallBackward.get(key) !== false) && backend.isPending(pend.dx) && x.dtype === 'float32' && dy.dtype === 'float32') {
    // Both backward passes in one call: Winograd's on blocked operands where they exist, dx staying blocked
    // (its NHWC values computed only if read) for the batch-norm backward before it; the 16-channel direct
    // kernel's image by image on NHWC.
    pendingDx.delete(dy.dataId);
    const xb = backend.blocked16(x);
    const dyb = backend.blocked16(dy);
    const xv = xb ? null : (backend.f32(x) ?? null);
    const dyv = dyb ? null : (backend.f32(dy) ?? null);
    const wv = backend.f32(pend.filter);
    const nx = sizeOf(pend.dx.shape);
    const dxb = blockedActivations && wino ? backend.pool.alloc(nx) : null;
    let both = false;
    if (wv && (xb || xv) && (dyb || dyv)) {
      try {
        both = backend.addon.conv2dBackward(xv, dyv, wv, dxb ? null : backend.lazyBuffer(pend.dx)!, dw, dims, xb, dyb, dxb);
      } catch {
        both = false; // the separate passes below (and dx's own lazy pass) still run, or fall back to cpu
      }
      if (!wino) oneCallBackward.set(key, both);
    }
    if (both && dxb) {
      const [n, h, w, c] = pend.dx.shape;
      backend.setBlocked16(pend.dx, dxb);
      backend.replaceLazyRun(pend.dx, (nhwc) => backend.addon.fromBlocked16(dxb, n, h * w, c, nhwc));
      return backend.output([...filterShape], dw);
    }
    if (both) {
      backend.completeLazy(pend.dx);
      return backend.output([...filterShape], dw);
    }
    if (dxb) backend.pool.recycle(dxb);
  }
  const xv = backend.f32(x);
  const dyv = backend.f32(dy);
  if (!xv || !dyv) {
    backend.pool.recycle(dw);
    return undefined;
  }
  try {
    backend.addon.conv2dBackpropFilter(xv, dyv, dw, null, dims);
  } catch {
    backend.pool.recycle(dw);
    return undefined;
  }
  return backend.output([...filterShape], dw);
};
