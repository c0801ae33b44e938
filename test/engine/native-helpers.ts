/** Shared setup for the native-backend tests: whether the addon loads, and a cpu-vs-native runner. */
import { tf, tfl } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';

let reason: string | undefined;
let checked = false;

/** Undefined when the native backend is usable, else why the native tests skip. */
export async function nativeSkipReason(): Promise<string | undefined> {
  if (!checked) {
    checked = true;
    try {
      await initBackend('native');
    } catch (e) {
      reason = `native backend unavailable: ${(e as Error).message}`;
    }
  }
  return reason;
}

/** Runs `fn` on cpu and on native; returns the flattened outputs of each. */
export async function onBoth(fn: () => tf.Tensor | tf.Tensor[]): Promise<{ cpu: Float32Array[]; native: Float32Array[]; shapes: number[][] }> {
  const run = async (name: 'cpu' | 'native'): Promise<{ vals: Float32Array[]; shapes: number[][] }> => {
    await initBackend(name);
    const out = tf.tidy(fn);
    const list = Array.isArray(out) ? out : [out];
    const vals = list.map((t) => Float32Array.from(t.dataSync() as Float32Array));
    const shapes = list.map((t) => t.shape);
    tf.dispose(list);
    return { vals, shapes };
  };
  const c = await run('cpu');
  const n = await run('native');
  for (let i = 0; i < c.shapes.length; i++) {
    if (c.shapes[i].join(',') !== n.shapes[i].join(',')) throw new Error(`shape mismatch ${c.shapes[i]} vs ${n.shapes[i]}`);
  }
  return { cpu: c.vals, native: n.vals, shapes: c.shapes };
}

/** Losses, numTensors after each step, and the final weights (BatchNorm moving statistics included). */
export interface TrainRun { losses: number[]; tensors: number[]; weights: Float32Array[] }

/**
 * Trains `model` with SGD (lr 0.05) for `steps` steps on `batch(s)` through `model.apply(x, { training: true })`,
 * then disposes the model and the optimizer.
 */
export function trainSteps(model: tfl.LayersModel, steps: number, batch: (step: number) => { x: tf.Tensor; y: tf.Tensor }): TrainRun {
  const opt = tf.train.sgd(0.05);
  const losses: number[] = [];
  const tensors: number[] = [];
  for (let s = 0; s < steps; s++) {
    const { x, y } = batch(s % 3);
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true)!;
    losses.push(loss.dataSync()[0]);
    tf.dispose([x, y, loss]);
    tensors.push(tf.memory().numTensors);
  }
  const weights = model.getWeights().map((w) => Float32Array.from(w.dataSync() as Float32Array));
  model.dispose();
  opt.dispose();
  return { losses, tensors, weights };
}

/**
 * Trains `model` on one batch for `warmup` steps, then `steps` more (1000 with WHITTLE_LONG=1): numTensors
 * must not change and RSS grow by under 40 MiB over them. Disposes the model, optimizer and batch.
 */
export function expectFlatMemory(model: tfl.LayersModel, data: { x: tf.Tensor; y: tf.Tensor }, warmup: number, steps: number): void {
  const n = process.env.WHITTLE_LONG === '1' ? 1000 : steps;
  const opt = tf.train.sgd(0.01);
  const { x, y } = data;
  const step = (): void => {
    const l = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true)!;
    l.dataSync();
    l.dispose();
  };
  for (let i = 0; i < warmup; i++) step();
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  const t0 = tf.memory().numTensors;
  for (let i = 0; i < n; i++) step();
  global.gc?.();
  const grow = (process.memoryUsage().rss - rss0) / 2 ** 20;
  const t1 = tf.memory().numTensors;
  tf.dispose([x, y]);
  model.dispose();
  opt.dispose();
  if (t1 !== t0) throw new Error(`numTensors ${t0} -> ${t1} over ${n} steps`);
  if (grow >= 40) throw new Error(`RSS grew by ${grow.toFixed(1)} MiB over ${n} steps`);
}
