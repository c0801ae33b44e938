/** Shared bits of the model-zoo tests. */
import { readFileSync } from 'node:fs';
import { tf, tfl } from '../../src/engine/tf.js';
import { modelParams } from '../../src/models/params.js';

export interface FixtureModel {
  trainable: number;
  nonTrainable: number;
  convLayers: number;
  convMacs: number;
  denseMacs: number;
}

/** PyTorch reference counts written by scripts/fixtures/model-params.py. */
export const fixture = JSON.parse(readFileSync(new URL('../fixtures/models/params.json', import.meta.url), 'utf8')) as {
  models: Record<string, FixtureModel>;
  /** Eval-mode logits of a PyTorch net with formula weights (see the generator's `forward_fixture`). */
  forward: { model: string; batch: number; size: number; logits: number[] };
};

/** Every weight as bytes, keyed by stable param key. */
export function weightBytes(model: tfl.LayersModel): Map<string, Float32Array> {
  return new Map(modelParams(model).map((p) => [p.key, p.variable.dataSync() as Float32Array]));
}

/** Mean softmax cross-entropy of logits against integer labels. */
export function xent(logits: tf.Tensor, labels: Int32Array, numClasses: number): tf.Scalar {
  return tf.tidy(() => {
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses);
    return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
  });
}
