/** One training step and batch → tensor conversion; everything inside tf.tidy. */
import { tf, tfl } from '../engine/tf.js';
import { ShapeError, WhittleError } from '../core/errors.js';
import { collectFreezeMasks, type TrainContext, type TrainHook } from './hooks.js';
import { crossEntropy, topKCorrect } from './metrics.js';
import type { Batch } from './types.js';

/** The per-example input shape of a model ([h, w, c] for images). */
export function modelInputShape(model: tfl.LayersModel): number[] {
  const s = model.inputs[0].shape.slice(1);
  if (s.some((d) => d == null)) throw new ShapeError(`model input shape [${model.inputs[0].shape}] has unknown dimensions`);
  return s as number[];
}

/** Batch arrays → tensors (x: [n, ...inputShape] float32, y: [n] int32). Call inside tidy. */
export function batchTensors(batch: Batch, inputShape: readonly number[]): { x: tf.Tensor; y: tf.Tensor1D } {
  const per = inputShape.reduce((a, b) => a * b, 1);
  if (batch.x.length < batch.n * per || batch.y.length < batch.n) {
    throw new ShapeError(`batch of n=${batch.n} has x.length ${batch.x.length} and y.length ${batch.y.length}; the model wants ${per} values per example ([${inputShape}])`);
  }
  const x = tf.tensor(batch.x.subarray(0, batch.n * per), [batch.n, ...inputShape], 'float32');
  const y = tf.tensor1d(batch.y.subarray(0, batch.n), 'int32');
  return { x, y };
}

export interface StepResult {
  loss: number;
  /** Top-1 correct count in this batch (from the training-mode forward pass). */
  correct: number;
  n: number;
}

export interface StepParts {
  model: tfl.LayersModel;
  inputShape: readonly number[];
  /** Trainable variables by key (the order is the order gradients are taken in). */
  trainable: ReadonlyMap<string, tf.Variable>;
  hooks: readonly TrainHook[];
  /** Custom training-mode forward pass (e.g. stochastic depth's lazy executor); default model.apply. */
  forward?: (model: tfl.LayersModel, x: tf.Tensor) => tf.Tensor;
}

/** Forward (training=true, so BN updates its running stats), backward, hooks, optimizer. */
export function trainStep(ctx: TrainContext, parts: StepParts, batch: Batch): StepResult {
  let correctT: tf.Tensor | undefined;
  const lossT = tf.tidy(() => {
    const { x, y } = batchTensors(batch, parts.inputShape);
    const vars = [...parts.trainable.values()];
    const { value, grads } = tf.variableGrads(() => {
      const logits = parts.forward ? parts.forward(parts.model, x) : (parts.model.apply(x, { training: true }) as tf.Tensor);
      correctT = tf.keep(topKCorrect(logits, y, 1));
      return crossEntropy(logits, y);
    }, vars);
    let g = new Map<string, tf.Tensor>();
    for (const [key, v] of parts.trainable) {
      const t = grads[v.name];
      if (t) g.set(key, t);
    }
    for (const h of parts.hooks) if (h.transformGradients) g = h.transformGradients(ctx, g);
    const masks = collectFreezeMasks(parts.hooks, ctx);
    ctx.optimizer.apply(parts.trainable as ReadonlyMap<string, tf.Variable>, g, ctx.lr, masks);
    return value;
  });
  const loss = lossT.dataSync()[0];
  lossT.dispose();
  const correct = correctT ? correctT.dataSync()[0] : 0;
  correctT?.dispose();
  if (!Number.isFinite(loss)) {
    throw new WhittleError(`training loss is ${loss} at epoch ${ctx.epoch} step ${ctx.step} (iteration ${ctx.iteration}); lower the learning rate?`);
  }
  return { loss, correct, n: batch.n };
}
