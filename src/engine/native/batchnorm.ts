/**
 * Training-mode batch norm as one op. tfjs-layers computes it as moments (Mean, Sub, Square, Mean) +
 * FusedBatchNorm, and differentiates all of it: ~10 full-size passes and 2 gradient accumulations per
 * layer. `batchNormTraining` does 2 passes forward and 2 backward (native kernels, custom gradient).
 * On other backends it is exactly the tfjs-layers composition.
 *
 * `patchBatchNormalizationLayer` makes tfjs-layers' BatchNormalization use it in training while the
 * native backend is active (channel-last, with gamma and beta; anything else runs the original code).
 * Same formulas, same moving-average update; WHITTLE_NATIVE_BN=0 turns the patch off.
 */
import { tf, tfl } from '../tf.js';
import type { NativeBackend } from './backend.js';
import { RELU_GRAD } from './grads.js';
import { sizeOf, type NativeKernel } from './kernels/types.js';

export const BN_STATS = 'WhittleBatchNormStats';
export const BN_APPLY = 'WhittleBatchNormApply';
export const BN_APPLY_BWD = 'WhittleBatchNormApplyBackward';

function channels(x: tf.TensorInfo, ...params: Array<tf.TensorInfo | undefined>): number | undefined {
  if (x.shape.length < 1) return undefined;
  const c = x.shape[x.shape.length - 1];
  return params.every((p) => !p || sizeOf(p.shape) === c) ? c : undefined;
}

/** moving - (moving - batch) * (1 - momentum) per channel, in float32 as tfjs-layers' update. */
export function movingAverage(moving: Float32Array, batch: Float32Array, momentum: number): Float32Array {
  const f = Math.fround(1 - momentum);
  const next = new Float32Array(moving.length);
  for (let j = 0; j < moving.length; j++) next[j] = moving[j] - Math.fround(Math.fround(moving[j] - batch[j]) * f);
  return next;
}

/** Batch statistics for `batchNormTraining`: mean and variance are per-channel values the apply/backward
 * kernels take as attributes (they are functions of x, differentiated inside BN_APPLY_BWD). */
interface BnStats { mean: Float32Array; variance: Float32Array; epsilon: number }

/**
 * [mean, variance] of x over all axes but the last (biased variance); with movingMean/movingVariance also
 * [moving - (moving - batch) * (1 - momentum)] for both, in float32 like tfjs-layers' update.
 */
export const bnStats: NativeKernel = ({ inputs, attrs, backend }) => {
  const { x, movingMean, movingVariance } = inputs;
  if (!x) return undefined;
  const c = channels(x, movingMean, movingVariance);
  if (!c) return undefined;
  const mean = new Float32Array(c);
  const variance = new Float32Array(c);
  const recorded = backend.batchStats(x); // summed by the conv that made x
  const known = recorded && recorded.mean.length === c ? recorded : undefined;
  const xb = known ? undefined : backend.blocked16(x); // a Winograd conv's output: no NHWC pass needed
  if (known) {
    mean.set(known.mean);
    variance.set(known.variance);
  } else if (xb) {
    const [n, h, w] = x.shape;
    backend.addon.bnStatsB16(xb, n, h * w, c, mean, variance);
  } else {
    const xv = backend.f32(x);
    if (!xv || xv.length === 0) return undefined;
    backend.addon.bnStats(xv, c, mean, variance);
  }
  const outs = [backend.output([c], mean), backend.output([c], variance)];
  if (movingMean && movingVariance) {
    const mm = backend.f32(movingMean);
    const mv = backend.f32(movingVariance);
    if (!mm || !mv) return undefined;
    const momentum = attrs.momentum as number;
    outs.push(backend.output([...movingMean.shape], movingAverage(mm, mean, momentum)),
      backend.output([...movingVariance.shape], movingAverage(mv, variance, momentum)));
  }
  return outs;
};

/** y = [relu](x * k + b [+ residual]) with k, b from the batch statistics; computed when first read. */
export const bnApply: NativeKernel = ({ inputs, attrs, backend }) => {
  const { x, gamma, beta, residual } = inputs;
  const st = attrs as unknown as BnStats & { relu: boolean };
  if (!x || x.dtype !== 'float32' || (residual && (residual.dtype !== 'float32' || residual.shape.join() !== x.shape.join()))) return undefined;
  const c = channels(x, gamma, beta);
  const n = sizeOf(x.shape);
  if (!c || n === 0 || st.mean.length !== c || st.variance.length !== c) return undefined;
  const deps = [x, gamma, beta, residual].filter((t): t is tf.TensorInfo => t !== undefined);
  const relu = Boolean(st.relu);
  const xb = backend.blocked16(x);
  const rb = xb && residual ? backend.toBlocked16(residual) : undefined;
  if (xb && (!residual || rb)) {
    // Blocked in, blocked out (filled when first used): the next Winograd conv reads it without a reorder.
    const [nn, h, w] = x.shape;
    const yb = backend.pool.alloc(n);
    return backend.blockedOutput([...x.shape], yb, deps, () => {
      backend.addon.bnApplyB16(xb, nn, h * w, c, st.mean, st.variance, gamma ? backend.f32(gamma)! : null,
        beta ? backend.f32(beta)! : null, st.epsilon, rb ?? null, relu, yb);
    });
  }
  return backend.lazyOutput([...x.shape], n, deps, (y) => {
    backend.addon.bnApply(backend.f32(x)!, st.mean, st.variance, gamma ? backend.f32(gamma)! : null, beta ? backend.f32(beta)! : null,
      st.epsilon, c, residual ? backend.f32(residual)! : null, relu, y);
  });
};

/** [dx, dgamma, dbeta] of `bnApply` without residual (with it, the residual's gradient is dy itself). */
export const bnApplyBackward: NativeKernel = ({ inputs, attrs, backend }) => {
  const { x, dy, gamma, beta } = inputs;
  const st = attrs as unknown as BnStats & { relu: boolean };
  if (!x || !dy) return undefined;
  const c = channels(x, gamma, beta);
  if (!c || x.shape.join() !== dy.shape.join()) return undefined;
  const dg = new Float32Array(c);
  const db = new Float32Array(c);
  const xb = backend.blocked16(x);
  const dyb = xb ? backend.toBlocked16(dy) : undefined;
  if (xb && dyb) {
    const [n, h, w] = x.shape;
    const dxb = backend.pool.alloc(xb.length);
    backend.addon.bnApplyBwdB16(xb, dyb, n, h * w, c, st.mean, st.variance, gamma ? backend.f32(gamma)! : null,
      beta ? backend.f32(beta)! : null, st.epsilon, Boolean(st.relu), dxb, dg, db);
    return [backend.blockedOutput([...x.shape], dxb), backend.output([...(gamma?.shape ?? [c])], dg), backend.output([...(beta?.shape ?? [c])], db)];
  }
  const xv = backend.f32(x);
  const dv = backend.f32(dy);
  if (!xv || !dv || xv.length === 0 || dv.length !== xv.length) return undefined;
  const dx = backend.pool.alloc(xv.length);
  backend.addon.bnApplyBackward(xv, dv, st.mean, st.variance, gamma ? backend.f32(gamma)! : null, beta ? backend.f32(beta)! : null,
    st.epsilon, c, Boolean(st.relu), dx, dg, db);
  return [backend.output([...x.shape], dx), backend.output([...(gamma?.shape ?? [c])], dg), backend.output([...(beta?.shape ?? [c])], db)];
};

const runK = (name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): tf.Tensor | tf.Tensor[] =>
  tf.engine().runKernel(name, inputs as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];

/**
 * [relu](batchnorm(x) [+ residual]) with the given batch statistics of x, differentiated as training batch
 * norm (through the statistics). Native backend only.
 */
function bnApplyOp(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, st: BnStats, relu: boolean, residual?: tf.Tensor): tf.Tensor {
  const attrs = { mean: st.mean, variance: st.variance, epsilon: st.epsilon };
  const backward = (dy: tf.Tensor, sx: tf.Tensor, sg: tf.Tensor, sb: tf.Tensor, fold: boolean): tf.Tensor[] =>
    runK(BN_APPLY_BWD, { x: sx, dy, gamma: sg, beta: sb }, { ...attrs, relu: fold }) as tf.Tensor[];
  // gamma/beta are usually layer Variables, alive across the step: the gradient reads them directly instead
  // of saving them (each saved tensor is a clone, an Identity op on the tape; ~270 fewer per ResNet-56 step).
  const direct = gamma instanceof tf.Variable && beta instanceof tf.Variable;
  const params = (saved: tf.Tensor[], at: number): [tf.Tensor, tf.Tensor] => (direct ? [gamma, beta] : [saved[at], saved[at + 1]]);
  if (!residual) {
    const op = tf.customGrad(((xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
      save(direct ? [xx] : [xx, g, b]);
      return {
        value: runK(BN_APPLY, { x: xx, gamma: g, beta: b }, { ...attrs, relu }) as tf.Tensor,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => backward(dy, saved[0], ...params(saved, 1), relu),
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return op(x, gamma, beta);
  }
  const op = tf.customGrad(((xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor, r: tf.Tensor, save: tf.GradSaveFunc) => {
    const y = runK(BN_APPLY, { x: xx, gamma: g, beta: b, residual: r }, { ...attrs, relu }) as tf.Tensor;
    save([xx, ...(direct ? [] : [g, b]), ...(relu ? [y] : [])]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const gy = relu ? (runK(RELU_GRAD, { dy, x: saved[saved.length - 1] }, {}) as tf.Tensor) : tf.clone(dy);
        return [...backward(gy, saved[0], ...params(saved, 1), false), relu ? gy : tf.clone(gy)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x, gamma, beta, residual);
}

function statsOf(mean: tf.Tensor, variance: tf.Tensor, epsilon: number): BnStats {
  const be = tf.backend() as unknown as NativeBackend;
  return { mean: be.f32(mean)!, variance: be.f32(variance)!, epsilon };
}

/**
 * Batch norm over all axes but the last, with batch statistics (biased variance), as in training.
 * @example const { y, mean, variance } = batchNormTraining(x, gamma, beta, 1e-5);
 */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number, nativeBackend = 'native'): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
  if (tf.getBackend() !== nativeBackend || x.dtype !== 'float32') {
    const axes = x.shape.map((_, i) => i).slice(0, -1);
    const { mean, variance } = tf.moments(x, axes);
    return { y: tf.batchNorm(x, mean, variance, beta, gamma, epsilon), mean, variance };
  }
  const [mean, variance] = tf.engine().runKernel(BN_STATS, { x }, {}) as tf.Tensor[];
  const y = bnApplyOp(x, gamma, beta, statsOf(mean, variance, epsilon), false);
  return { y, mean, variance };
}

interface BNLayer {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma: tfl.LayerVariable | null;
  beta: tfl.LayerVariable | null;
  movingMean: tfl.LayerVariable;
  movingVariance: tfl.LayerVariable;
}
type Call = (this: BNLayer, inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }) => tf.Tensor | tf.Tensor[];

/**
 * Training batch-norm outputs that a following ReLU layer (or Add layer, then ReLU) may recompute as one
 * fused pass from the batch-norm input. The batch-norm output itself is lazy (BN_APPLY), so when nothing
 * else reads it, its pass never runs. Keys are the tensors the layers returned.
 */
interface PendingBn { x: tf.Tensor; gamma: tf.Tensor; beta: tf.Tensor; stats: BnStats; residual?: tf.Tensor }
const pendingBn = new WeakMap<tf.Tensor, PendingBn>();

function usable(rec: PendingBn | undefined): rec is PendingBn {
  return !!rec && !rec.x.isDisposed && !rec.gamma.isDisposed && !rec.beta.isDisposed && !(rec.residual?.isDisposed ?? false);
}

let patched = false;

export function patchBatchNormalizationLayer(nativeBackend: string): void {
  if (patched || process.env.WHITTLE_NATIVE_BN === '0') return;
  patched = true;
  const proto = Object.getPrototypeOf(tfl.layers.batchNormalization({})) as { call: Call };
  const original = proto.call;
  proto.call = function (this: BNLayer, inputs, kwargs) {
    const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    const training = Boolean(kwargs?.training);
    if (!training || !x || tf.getBackend() !== nativeBackend || !this.gamma || !this.beta || x.dtype !== 'float32' ||
      (this.axis !== -1 && this.axis !== x.rank - 1)) {
      return original.call(this, inputs, kwargs);
    }
    const gamma = this.gamma.read();
    const beta = this.beta.read();
    return tf.tidy(() => {
      // Batch statistics and both moving averages in one kernel (tfjs-layers: 2 x (Sub, Mul, Sub)).
      const [mean, variance, movingMean, movingVariance] = tf.engine().runKernel(BN_STATS,
        { x, movingMean: this.movingMean.read(), movingVariance: this.movingVariance.read() }, { momentum: this.momentum }) as tf.Tensor[];
      this.movingMean.write(movingMean);
      this.movingVariance.write(movingVariance);
      const stats = statsOf(mean, variance, this.epsilon);
      const y = bnApplyOp(x, gamma, beta, stats, false);
      pendingBn.set(y, { x, gamma, beta, stats });
      return y;
    });
  };

  // ReLU right after a training batch norm (or after batch norm + residual Add): one fused pass forward,
  // and without a residual the ReLU mask folds into the batch-norm backward.
  type ReluLayer = { maxValue?: number | null };
  const reluProto = Object.getPrototypeOf(tfl.layers.reLU({})) as { call: (this: ReluLayer, inputs: tf.Tensor | tf.Tensor[], kwargs: unknown) => tf.Tensor | tf.Tensor[] };
  const reluCall = reluProto.call;
  reluProto.call = function (this: ReluLayer, inputs, kwargs) {
    const t = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    const rec = t ? pendingBn.get(t) : undefined;
    if (this.maxValue == null && tf.getBackend() === nativeBackend && usable(rec)) {
      return tf.tidy(() => bnApplyOp(rec.x, rec.gamma, rec.beta, rec.stats, true, rec.residual));
    }
    return reluCall.call(this, inputs, kwargs);
  };

  // Add(shortcut, batchnorm(x)) as one lazy pass (read only if something other than a ReLU consumes it).
  const addProto = Object.getPrototypeOf(tfl.layers.add({})) as { mergeFunction: (this: unknown, inputs: tf.Tensor[]) => tf.Tensor };
  const merge = addProto.mergeFunction;
  addProto.mergeFunction = function (this: unknown, inputs) {
    if (inputs.length === 2 && tf.getBackend() === nativeBackend) {
      for (const [i, o] of [[1, 0], [0, 1]]) {
        const rec = pendingBn.get(inputs[i]);
        const other = inputs[o];
        if (usable(rec) && !rec.residual && !other.isDisposed && other.dtype === 'float32' && other.shape.join() === rec.x.shape.join()) {
          const out = tf.tidy(() => bnApplyOp(rec.x, rec.gamma, rec.beta, rec.stats, false, other));
          pendingBn.set(out, { ...rec, residual: other });
          return out;
        }
      }
    }
    return merge.call(this, inputs);
  };
}
