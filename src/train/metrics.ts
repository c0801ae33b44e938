/** Loss and accuracy: softmax cross-entropy from logits, top-k correctness, running means. */
import { tf } from '../engine/tf.js';

export interface EvalMetrics {
  /** Mean cross-entropy. */
  loss: number;
  /** Fractions in [0, 1]. */
  top1: number;
  top5: number;
  n: number;
}

/** Per-example softmax cross-entropy of logits [n, C] against int labels [n] (PyTorch CrossEntropyLoss). */
export function crossEntropyPerExample(logits: tf.Tensor, labels: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const c = logits.shape[logits.shape.length - 1];
    const oneHot = tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, c);
    return tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), -1));
  });
}

export function crossEntropy(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(crossEntropyPerExample(logits, labels)) as tf.Scalar);
}

/**
 * Number of examples whose label is among the k largest logits (scalar float). Ties rank the lower
 * class index first, as tf.topk does, so constant logits are not counted as all-correct.
 */
export function topKCorrect(logits: tf.Tensor, labels: tf.Tensor, k: number): tf.Scalar {
  return tf.tidy(() => {
    const [n, c] = logits.shape;
    const lab = tf.cast(labels, 'int32');
    const target = tf.reshape(tf.sum(tf.mul(logits, tf.oneHot(lab as tf.Tensor1D, c)), -1), [n, 1]);
    const idx = tf.reshape(tf.range(0, c, 1, 'int32'), [1, c]);
    const before = tf.logicalOr(
      tf.greater(logits, target),
      tf.logicalAnd(tf.equal(logits, target), tf.less(idx, tf.reshape(lab, [n, 1]))),
    );
    const rank = tf.sum(tf.cast(before, 'float32'), -1);
    return tf.sum(tf.cast(tf.less(rank, Math.min(k, c)), 'float32')) as tf.Scalar;
  });
}

/** Plain-array top-k accuracy (same tie rule), for tests and reports. */
export function topKAccuracy(logits: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number, k: number): number {
  const n = labels.length;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    const t = logits[i * numClasses + y];
    let rank = 0;
    for (let j = 0; j < numClasses; j++) {
      const v = logits[i * numClasses + j];
      if (v > t || (v === t && j < y)) rank++;
    }
    if (rank < k) correct++;
  }
  return n === 0 ? 0 : correct / n;
}

/** Running weighted mean (e.g. loss over batches of different sizes). */
export class MeanMeter {
  sum = 0;
  count = 0;
  add(value: number, weight = 1): void {
    this.sum += value * weight;
    this.count += weight;
  }
  get mean(): number {
    return this.count === 0 ? NaN : this.sum / this.count;
  }
}
