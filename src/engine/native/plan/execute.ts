/**
 * Forward and backward passes of a training plan (graph.ts) straight on the addon: the same native calls,
 * in the same order and on the same layouts, as the per-op path (kernels/conv.ts, batchnorm.ts, grads.ts)
 * makes for these layers, without tfjs's per-op engine, tape and layer bookkeeping around each of them.
 * Activations live in plan-owned pooled buffers (NHWC and/or oneDNN's nChw16c for Winograd geometries),
 * returned to the pool when the backward pass ends.
 */
import { tf, type tfl } from '../../tf.js';
import type { NativeBackend } from '../backend.js';
import { movingAverage } from '../batchnorm.js';
import { BIN, UN, binaryFlat } from '../kernels/elementwise.js';
import { RED } from '../kernels/reduce.js';
import { sizeOf } from '../kernels/types.js';
import type { BnStep, ConvStep, DenseStep, PlanGraph, ShortcutStep } from './graph.js';

/** An activation or gradient: NHWC values, blocked values, or both (same numbers). */
interface Val {
  shape: number[];
  nhwc?: Float32Array;
  b16?: Float32Array;
  /** Per-channel batch mean and biased variance, when the conv that made it summed them. */
  stats?: { mean: Float32Array; variance: Float32Array };
}

interface BnSaved { mean: Float32Array; variance: Float32Array }

/** What the backward pass needs from a forward pass. */
export interface PlanContext {
  graph: PlanGraph;
  vals: Val[];
  bn: Map<BnStep, BnSaved>;
  params: Float32Array[];
  paramInfos: tf.TensorInfo[];
  /** Plan-owned buffers, recycled after the backward pass. */
  owned: Float32Array[];
  /** The model input's values are the caller's: never recycled. */
  input: Float32Array;
  /** Batch-norm moving averages to write once the forward pass has succeeded. */
  moving: Array<[tfl.LayerVariable, Float32Array]>;
  done: boolean;
}

/** Per conv geometry: whether the addon ran Winograd (learned from the first forward call). */
const winograd = new Map<string, boolean>();
/** Per conv geometry: whether the addon ran both backward passes in one call. */
const oneCall = new Map<string, boolean>();

/** Winograd is decided per geometry and bias (oneDNN may have it without bias only). */
const convKey = (s: ConvStep, dims: Int32Array): string => `${dims.join(',')}${s.b === undefined ? '' : ',bias'}`;

/** The last geometry computed per conv step (the batch shape rarely changes between steps). */
const dimsCache = new WeakMap<ConvStep, { key: string; dims: Int32Array }>();

function convDims(s: ConvStep, xShape: number[], inC: number): Int32Array {
  const key = `${xShape.join(',')},${inC}`;
  const hit = dimsCache.get(s);
  if (hit?.key === key) return hit.dims;
  const dims = computeConvDims(s, xShape, inC);
  dimsCache.set(s, { key, dims });
  return dims;
}

function computeConvDims(s: ConvStep, xShape: number[], inC: number): Int32Array {
  const [n, h, w] = xShape;
  const [kh, kw] = s.kernel;
  const [sh, sw] = s.strides;
  if (Array.isArray(s.pad)) {
    const [pt, pb, pl, pr] = s.pad;
    const oh = Math.floor((h + pt + pb - kh) / sh) + 1;
    const ow = Math.floor((w + pl + pr - kw) / sw) + 1;
    return Int32Array.from([n, h, w, inC, kh, kw, s.filters, oh, ow, sh, sw, pt, pl, pb, pr, 1, 1]);
  }
  const c = tf.backend_util.computeConv2DInfo(
    [n, h, w, inC], [kh, kw, inC, s.filters], [sh, sw], 1, s.pad, undefined, false, 'channelsLast',
  );
  const p = c.padInfo;
  return Int32Array.from([n, h, w, inC, kh, kw, s.filters, c.outHeight, c.outWidth, sh, sw, p.top, p.left, p.bottom, p.right, 1, 1]);
}

class Runner {
  constructor(readonly be: NativeBackend, readonly ctx: PlanContext) {}

  alloc(n: number): Float32Array {
    const b = this.be.pool.alloc(n);
    this.ctx.owned.push(b);
    return b;
  }

  nhwc(v: Val): Float32Array {
    if (!v.nhwc) {
      const [n, h, w, c] = v.shape;
      v.nhwc = this.alloc(sizeOf(v.shape));
      this.be.addon.fromBlocked16(v.b16!, n, h * w, c, v.nhwc);
    }
    return v.nhwc;
  }

  b16(v: Val): Float32Array {
    if (!v.b16) {
      const [n, h, w, c] = v.shape;
      v.b16 = this.alloc(sizeOf(v.shape));
      this.be.addon.toBlocked16(v.nhwc!, n, h * w, c, v.b16);
    }
    return v.b16;
  }

  /** The same layout as `like` (blocked when it is), for element-wise passes over both. */
  as(v: Val, blocked: boolean): Float32Array {
    return blocked ? this.b16(v) : this.nhwc(v);
  }

  conv(s: ConvStep, x: Val): Val {
    const { addon } = this.be;
    const dims = convDims(s, x.shape, x.shape[3]);
    const key = convKey(s, dims);
    const w = this.ctx.params[s.w];
    const bias = s.b === undefined ? null : this.ctx.params[s.b];
    const outShape = [dims[0], dims[7], dims[8], s.filters];
    const ny = sizeOf(outShape);
    const known = winograd.get(key);
    if (known === true) {
      // Blocked in (x's blocked copy, made now if missing and kept for the backward pass), blocked out.
      const given = x.b16 !== undefined;
      const xb = x.b16 ?? this.alloc(sizeOf(x.shape));
      const yb = this.alloc(ny);
      addon.conv2d(given ? null : this.nhwc(x), w, bias, null, dims, false, xb, given, yb, null);
      x.b16 = xb;
      return { shape: outShape, b16: yb };
    }
    const xb = known === undefined && !x.b16 ? this.alloc(sizeOf(x.shape)) : null;
    const y = this.alloc(ny);
    const stats = s.filters === 16 ? new Float32Array(32) : null;
    const r = addon.conv2d(this.nhwc(x), w, bias, y, dims, false, xb, false, null, stats);
    if (known === undefined) winograd.set(key, r === 1);
    if (r === 1 && xb) x.b16 = xb;
    // The first call of a Winograd geometry only learns that it is one: its output is made again as every
    // later call makes it (blocked), so the layers after it take the same (blocked) code paths, and sum in
    // the same order, in a fresh process as in a long-running one: a resumed run stays bit-identical.
    if (r === 1) return this.conv(s, x);
    const out: Val = { shape: outShape, nhwc: y };
    if (r === 2 && stats) out.stats = { mean: stats.subarray(0, 16), variance: stats.subarray(16) };
    return out;
  }

  bn(s: BnStep, x: Val, residual: Val | undefined): Val {
    const { addon } = this.be;
    const [n, h, w, c] = x.shape;
    const mean = new Float32Array(c);
    const variance = new Float32Array(c);
    if (x.stats && x.stats.mean.length === c) {
      mean.set(x.stats.mean);
      variance.set(x.stats.variance);
    } else if (x.b16) {
      addon.bnStatsB16(x.b16, n, h * w, c, mean, variance);
    } else {
      addon.bnStats(x.nhwc!, c, mean, variance);
    }
    this.movingAverages(s, mean, variance);
    this.ctx.bn.set(s, { mean, variance });
    const gamma = this.ctx.params[s.gamma];
    const beta = this.ctx.params[s.beta];
    if (x.b16) {
      const yb = this.alloc(x.b16.length);
      addon.bnApplyB16(x.b16, n, h * w, c, mean, variance, gamma, beta, s.epsilon, residual ? this.b16(residual) : null, true, yb);
      return { shape: x.shape, b16: yb };
    }
    const y = this.alloc(x.nhwc!.length);
    addon.bnApply(x.nhwc!, mean, variance, gamma, beta, s.epsilon, c, residual ? this.nhwc(residual) : null, true, y);
    return { shape: x.shape, nhwc: y };
  }

  /** The layer's moving-average updates (batchnorm.ts's), written once the forward pass has succeeded. */
  private movingAverages(s: BnStep, mean: Float32Array, variance: Float32Array): void {
    const layer = s.layer as unknown as { movingMean: tfl.LayerVariable; movingVariance: tfl.LayerVariable };
    for (const [v, batch] of [[layer.movingMean, mean], [layer.movingVariance, variance]] as const) {
      this.ctx.moving.push([v, movingAverage(this.be.f32(v.read())!, batch, s.momentum)]);
    }
  }

  shortcut(s: ShortcutStep, x: Val): Val {
    const [n, h, w, c] = x.shape;
    const oh = Math.floor((h - 1) / s.stride) + 1;
    const ow = Math.floor((w - 1) / s.stride) + 1;
    const oc = s.outChannels;
    const y = this.alloc(n * oh * ow * oc);
    if (oc > c) this.be.addon.fill(y, 0);
    this.be.addon.stridedCopy(Int32Array.of(n, oh, ow, c), this.nhwc(x), Int32Array.of(h * w * c, s.stride * w * c, s.stride * c, 1), 0,
      y, Int32Array.of(oh * ow * oc, ow * oc, oc, 1), 0);
    return { shape: [n, oh, ow, oc], nhwc: y };
  }

  shortcutBackward(s: ShortcutStep, x: Val, dy: Val): Val {
    const [n, h, w, c] = x.shape;
    const [, oh, ow, oc] = dy.shape;
    const dx = this.alloc(n * h * w * c);
    if (s.stride > 1) this.be.addon.fill(dx, 0);
    this.be.addon.stridedCopy(Int32Array.of(n, oh, ow, c), this.nhwc(dy), Int32Array.of(oh * ow * oc, ow * oc, oc, 1), 0,
      dx, Int32Array.of(h * w * c, s.stride * w * c, s.stride * c, 1), 0);
    return { shape: x.shape, nhwc: dx };
  }

  relu(x: Val): Val {
    const blocked = x.b16 !== undefined;
    const xv = this.as(x, blocked);
    const y = this.alloc(xv.length);
    this.be.addon.unary(UN.relu, xv, y, 0);
    return blocked ? { shape: x.shape, b16: y } : { shape: x.shape, nhwc: y };
  }

  /** Per-channel sums of a gradient (a conv's bias gradient), from NHWC or blocked values. */
  channelSums(g: Val, out: Float32Array): void {
    const [n, h, w, c] = g.shape;
    if (!g.b16) {
      this.be.addon.reduce(RED.sum, 1, n * h * w, c, g.nhwc!, out);
      return;
    }
    // nChw16c is [n][c/16][h*w][16]: sum the pixels of each image and block, then the images.
    const perImage = new Float32Array(n * c);
    this.be.addon.reduce(RED.sum, n * (c / 16), h * w, 16, g.b16, perImage);
    this.be.addon.reduce(RED.sum, 1, n, c, perImage, out);
  }

  gap(x: Val): Val {
    const [n, h, w, c] = x.shape;
    const y = this.alloc(n * c);
    this.be.addon.reduce(RED.mean, n, h * w, c, this.nhwc(x), y);
    return { shape: [n, c], nhwc: y };
  }

  gapBackward(x: Val, dy: Val): Val {
    const [n, h, w, c] = x.shape;
    const dx = this.alloc(sizeOf(x.shape));
    this.be.addon.binary(BIN.div, Int32Array.of(n, h * w, c), dy.nhwc!, Int32Array.of(c, 0, 1), Float32Array.of(h * w), Int32Array.of(0, 0, 0), dx);
    return { shape: x.shape, nhwc: dx };
  }

  dense(s: DenseStep, x: Val, out: Float32Array): void {
    const [n, k] = x.shape;
    const units = out.length / n;
    this.be.addon.gemm(false, false, 1, n, units, k, this.nhwc(x), 0, this.ctx.params[s.w], 0, out, s.b === undefined ? null : this.ctx.params[s.b], 0);
  }
}

/** Runs the forward pass; `out` receives the model output (the last step's). */
export function planForward(be: NativeBackend, ctx: PlanContext, xShape: number[], out: Float32Array): void {
  const r = new Runner(be, ctx);
  const { vals, graph } = ctx;
  vals[0] = { shape: xShape, nhwc: ctx.input };
  for (const s of graph.steps) {
    const x = vals[s.x];
    if (s.kind === 'conv') vals[s.y] = r.conv(s, x);
    else if (s.kind === 'bn') vals[s.y] = r.bn(s, x, s.residual === undefined ? undefined : vals[s.residual]);
    else if (s.kind === 'shortcutA') vals[s.y] = r.shortcut(s, x);
    else if (s.kind === 'gap') vals[s.y] = r.gap(x);
    else if (s.kind === 'relu') vals[s.y] = r.relu(x);
    else if (s.kind === 'flatten') vals[s.y] = { shape: [x.shape[0], sizeOf(x.shape) / x.shape[0]], nhwc: r.nhwc(x) };
    else {
      const units = ctx.paramInfos[s.w].shape[1];
      const y = s.y === graph.output ? out : r.alloc(x.shape[0] * units);
      r.dense(s, x, y);
      vals[s.y] = { shape: [x.shape[0], units], nhwc: y };
    }
  }
  tf.tidy(() => {
    for (const [v, next] of ctx.moving) v.write(tf.tensor(next, v.read().shape));
  });
}

/**
 * The backward pass from dy (the output's gradient): the gradient of every plan input, in order (x first;
 * its gradient is computed only if read), as backend tensor infos. Recycles the plan's buffers.
 */
export function planBackward(be: NativeBackend, ctx: PlanContext, dy: Float32Array): tf.TensorInfo[] {
  const r = new Runner(be, ctx);
  const { addon } = be;
  const { vals, graph } = ctx;
  const grads: Val[][] = vals.map(() => []);
  grads[graph.output].push({ shape: vals[graph.output].shape, nhwc: dy });
  const pgrads: Array<tf.TensorInfo | undefined> = ctx.paramInfos.map(() => undefined);
  const paramGrad = (ref: number): Float32Array => {
    const info = ctx.paramInfos[ref];
    const buf = be.pool.alloc(sizeOf(info.shape));
    pgrads[ref] = be.output([...info.shape], buf);
    return buf;
  };
  let inputGrad: tf.TensorInfo | undefined;
  /** The sum of a value's gradient contributions, in the layout of `blocked`. */
  const sum = (v: number, blocked: boolean): Val | undefined => {
    const g = grads[v];
    if (g.length === 0) return undefined;
    if (g.length === 1) return g[0];
    const shape = vals[v].shape;
    let acc = r.as(g[0], blocked);
    for (let i = 1; i < g.length; i++) {
      const o = r.alloc(acc.length);
      binaryFlat(addon, BIN.add, acc, r.as(g[i], blocked), o);
      acc = o;
    }
    return blocked ? { shape, b16: acc } : { shape, nhwc: acc };
  };
  /** A value's gradient where `mask` > 0, else 0, in the layout of `blocked` (as grads.ts's reluGrad: two
   * contributions are added in the same pass). */
  const reluMasked = (v: number, mask: Val, blocked: boolean): Float32Array | undefined => {
    const g = grads[v];
    if (g.length === 0) return undefined;
    const mv = r.as(mask, blocked);
    const out = r.alloc(mv.length);
    if (g.length === 2) addon.reluGradAdd(r.as(g[0], blocked), r.as(g[1], blocked), mv, out);
    else binaryFlat(addon, BIN.reluGrad, r.as(sum(v, blocked)!, blocked), mv, out);
    return out;
  };

  for (let i = graph.steps.length - 1; i >= 0; i--) {
    const s = graph.steps[i];
    const x = vals[s.x];
    const y = vals[s.y];
    if (s.kind === 'dense') {
      const g = sum(s.y, false);
      const [n, k] = x.shape;
      const units = y.shape[1];
      const dw = paramGrad(s.w);
      if (!g) {
        dw.fill(0);
        if (s.b !== undefined) paramGrad(s.b).fill(0);
        continue;
      }
      const gv = r.nhwc(g);
      addon.gemm(true, false, 1, k, units, n, r.nhwc(x), 0, gv, 0, dw, null, 0);
      if (s.b !== undefined) addon.reduce(RED.sum, 1, n, units, gv, paramGrad(s.b));
      const dx = r.alloc(n * k);
      addon.gemm(false, true, 1, n, k, units, gv, 0, ctx.params[s.w], 0, dx, null, 0);
      grads[s.x].push({ shape: x.shape, nhwc: dx });
    } else if (s.kind === 'gap') {
      const g = sum(s.y, false);
      if (g) grads[s.x].push(r.gapBackward(x, { shape: g.shape, nhwc: r.nhwc(g) }));
    } else if (s.kind === 'flatten') {
      const g = sum(s.y, false);
      if (g) grads[s.x].push({ shape: x.shape, nhwc: r.nhwc(g) });
    } else if (s.kind === 'relu') {
      // In the input's layout, as grads.ts's reluGrad (blocked when the input is).
      const blocked = x.b16 !== undefined;
      const dx = reluMasked(s.y, x, blocked);
      if (dx) grads[s.x].push(blocked ? { shape: x.shape, b16: dx } : { shape: x.shape, nhwc: dx });
    } else if (s.kind === 'shortcutA') {
      const g = sum(s.y, false);
      if (g) grads[s.x].push(r.shortcutBackward(s, x, g));
    } else if (s.kind === 'bn') {
      const st = ctx.bn.get(s)!;
      const blocked = x.b16 !== undefined;
      const [n, h, w, c] = x.shape;
      const dg = paramGrad(s.gamma);
      const db = paramGrad(s.beta);
      const gamma = ctx.params[s.gamma];
      const beta = ctx.params[s.beta];
      let dyv: Float32Array | undefined;
      let relu = true;
      if (s.residual !== undefined) {
        // relu(bn(x) + residual): the ReLU mask from the output, then the batch norm without it; the mask's
        // output is also the residual's gradient (batchnorm.ts's bnApplyOp with a residual).
        dyv = reluMasked(s.y, y, blocked);
        if (dyv) grads[s.residual].push(blocked ? { shape: x.shape, b16: dyv } : { shape: x.shape, nhwc: dyv });
        relu = false;
      } else {
        const g = sum(s.y, blocked);
        if (g) dyv = r.as(g, blocked);
      }
      if (!dyv) {
        dg.fill(0);
        db.fill(0);
        continue;
      }
      const dx = r.alloc(sizeOf(x.shape));
      if (blocked) addon.bnApplyBwdB16(x.b16!, dyv, n, h * w, c, st.mean, st.variance, gamma, beta, s.epsilon, relu, dx, dg, db);
      else addon.bnApplyBackward(x.nhwc!, dyv, st.mean, st.variance, gamma, beta, s.epsilon, c, relu, dx, dg, db);
      grads[s.x].push(blocked ? { shape: x.shape, b16: dx } : { shape: x.shape, nhwc: dx });
    } else {
      const dw = paramGrad(s.w);
      const db = s.b === undefined ? undefined : paramGrad(s.b);
      const dims = convDims(s, x.shape, x.shape[3]);
      const wv = ctx.params[s.w];
      const wino = winograd.get(convKey(s, dims)) === true;
      const key = dims.join(',');
      const g = sum(s.y, wino && grads[s.y].some((v) => v.b16));
      if (!g) {
        dw.fill(0);
        db?.fill(0);
        continue;
      }
      if (db) r.channelSums(g, db);
      const isInput = s.x === 0;
      if (wino) {
        const dxb = r.alloc(sizeOf(x.shape));
        addon.conv2dBackward(x.b16 ? null : r.nhwc(x), g.b16 ? null : r.nhwc(g), wv, null, dw, dims, x.b16 ?? null, g.b16 ?? null, dxb);
        grads[s.x].push({ shape: x.shape, b16: dxb });
        continue;
      }
      const gv = r.nhwc(g);
      if (!isInput && oneCall.get(key) !== false) {
        const dx = r.alloc(sizeOf(x.shape));
        const both = addon.conv2dBackward(r.nhwc(x), gv, wv, dx, dw, dims);
        oneCall.set(key, both);
        if (both) {
          grads[s.x].push({ shape: x.shape, nhwc: dx });
          continue;
        }
      }
      addon.conv2dBackpropFilter(r.nhwc(x), gv, dw, null, dims);
      if (isInput) {
        // The network input's gradient, computed only if something reads it (as conv.ts's lazy dx).
        // dy's buffer moves from the plan to a tensor the lazy output keeps alive.
        const at = ctx.owned.indexOf(gv);
        const dyInfo = be.output([...g.shape], at >= 0 ? gv : gv.slice());
        if (at >= 0) ctx.owned.splice(at, 1);
        const wInfo = ctx.paramInfos[s.w];
        inputGrad = be.lazyOutput([...x.shape], sizeOf(x.shape), [dyInfo, wInfo], (dx) => {
          addon.conv2dBackpropInput(be.f32(dyInfo)!, be.f32(wInfo)!, dx, dims);
        });
        be.disposeData(dyInfo.dataId);
      } else {
        const dx = r.alloc(sizeOf(x.shape));
        addon.conv2dBackpropInput(gv, wv, dx, dims);
        grads[s.x].push({ shape: x.shape, nhwc: dx });
      }
    }
  }
  if (!inputGrad) {
    const g = sum(0, false);
    const buf = be.pool.alloc(sizeOf(vals[0].shape));
    if (g) buf.set(r.nhwc(g));
    else addon.fill(buf, 0);
    inputGrad = be.output([...vals[0].shape], buf);
  }
  release(be, ctx);
  return [inputGrad, ...pgrads.map((p, i) => p ?? be.output([...ctx.paramInfos[i].shape], new Float32Array(sizeOf(ctx.paramInfos[i].shape))))];
}

/** Returns the plan's buffers to the pool (after the backward pass, or when it will not run). */
export function release(be: NativeBackend, ctx: PlanContext): void {
  if (ctx.done) return;
  ctx.done = true;
  for (const b of ctx.owned) if (b !== ctx.input) be.pool.recycle(b);
  ctx.owned.length = 0;
  ctx.vals.length = 0;
}
