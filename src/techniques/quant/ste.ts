/**
 * Tensor-side fake quantisation and the straight-through estimator with clipping (methods.md §4.2
 * steps 3–5, written as the correct form of quirk (e)):
 *   forward  w_used = clamp(w) + mask·(q(w) − clamp(w))      (noise term carries no gradient)
 *   backward ∂w_used/∂w = 1 inside [lo, hi], 0 outside.
 * tfjs has no stopGradient (ecosystem.md §2.4.4), so the whole expression is one `tf.customGrad`. The
 * forward selects with `tf.where` rather than adding the difference, so p = 1 gives exactly q(w) (QAT)
 * and p = 0 exactly clamp(w); noised out-of-range weights become q(w) = the clamp bound, not the
 * reflection 2·hi − w fairseq produces. Nothing here writes to a variable.
 */
import { tf, type Tensor } from '../../engine/tf.js';
import { clampRange, levels, type QParams } from './quantizer.js';
import type { NoiseMask } from './noise.js';

/** Scale, zero point and clamp bounds as tensors broadcastable against a tensor of rank `rank`. */
export interface QTensors {
  scale: Tensor;
  zero: Tensor;
  lo: Tensor;
  hi: Tensor;
  qmax: number;
}

export function qTensors(qp: QParams, rank: number): QTensors {
  const shape = new Array<number>(rank).fill(1);
  if (qp.axis !== null) shape[qp.axis] = qp.scale.length;
  const { lo, hi } = clampRange(qp);
  const t = (a: Float32Array) => (qp.axis === null ? tf.scalar(a[0]) : tf.tensor(a, shape));
  return { scale: t(qp.scale), zero: t(qp.zeroPoint), lo: t(lo), hi: t(hi), qmax: levels(qp.bits) - 1 };
}

/** q(x) = (clamp(round(x/s + z), 0, 2^b − 1) − z)·s; no gradient handling (evaluation path). */
export function fakeQuant(x: Tensor, q: QTensors): Tensor {
  return tf.tidy(() => {
    const codes = tf.clipByValue(tf.round(tf.add(tf.div(x, q.scale), q.zero)), 0, q.qmax);
    return tf.mul(tf.sub(codes, q.zero), q.scale);
  });
}

/** clamp(x, lo, hi) with per-channel bounds. */
export function clampTo(x: Tensor, q: QTensors): Tensor {
  return tf.tidy(() => tf.minimum(tf.maximum(x, q.lo), q.hi));
}

/** Mask as a bool tensor of `shape` (built from the typed array). */
export function maskTensor(mask: NoiseMask, shape: number[]): Tensor | 'all' | 'none' {
  if (mask === 'all' || mask === 'none') return mask;
  return tf.tensor(mask, shape, 'bool');
}

/**
 * `value(x)` in the forward; in the backward the upstream gradient where lo ≤ x ≤ hi, 0 elsewhere.
 * The in-range indicator is saved (not closed over): the layer's tidy disposes closure tensors before
 * the backward pass runs.
 */
function clippedStraightThrough(w: Tensor, q: QTensors, value: (x: Tensor) => Tensor): Tensor {
  const f = tf.customGrad(((...args: Array<Tensor | tf.GradSaveFunc>) => {
    const x = args[0] as Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const inside = tf.cast(tf.logicalAnd(tf.greaterEqual(x, q.lo), tf.lessEqual(x, q.hi)), 'float32');
    save([inside]);
    return { value: value(x), gradFunc: (dy: Tensor, saved: Tensor[]) => tf.mul(dy, saved[0]) };
  }) as Parameters<typeof tf.customGrad>[0]);
  return f(w) as Tensor;
}

/**
 * Quant-Noise forward with STE (QAT when `mask` is 'all'). The gradient is the upstream gradient inside
 * [lo, hi] and 0 outside, for every weight, noised or not (fairseq's clamp + detach semantics).
 */
export function quantNoise(w: Tensor, q: QTensors, mask: Tensor | 'all' | 'none'): Tensor {
  return clippedStraightThrough(w, q, (x) => {
    if (mask === 'none') return clampTo(x, q);
    if (mask === 'all') return fakeQuant(x, q);
    return tf.where(mask, fakeQuant(x, q), clampTo(x, q));
  });
}

/**
 * Activation path (methods.md §4.2 step 6): clamp during training (gradient 0 outside, as torch.clamp),
 * fake quantisation at evaluation.
 */
export function quantizeActivation(x: Tensor, q: QTensors, training: boolean): Tensor {
  return training ? clippedStraightThrough(x, q, (a) => clampTo(a, q)) : fakeQuant(x, q);
}
