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
 * must not change, and RSS (sampled after a GC at ten points) must not grow by 40 MiB or more from the first
 * samples to the last ones (medians of three: RSS wobbles by 10-20 MiB around a flat line as the
 * allocator and V8 resize their pools, where a leak climbs steadily). Disposes the model, optimizer and batch.
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
  const rss = (): number => {
    global.gc?.();
    return process.memoryUsage().rss / 2 ** 20;
  };
  for (let i = 0; i < warmup; i++) step();
  const samples = [rss()];
  const t0 = tf.memory().numTensors;
  for (let k = 1; k <= 10; k++) {
    for (let i = Math.floor(((k - 1) * n) / 10); i < Math.floor((k * n) / 10); i++) step();
    samples.push(rss());
  }
  const t1 = tf.memory().numTensors;
  tf.dispose([x, y]);
  model.dispose();
  opt.dispose();
  const median3 = (v: number[]): number => [...v].sort((a, b) => a - b)[1];
  const grow = median3(samples.slice(-3)) - median3(samples.slice(0, 3));
  if (t1 !== t0) throw new Error(`numTensors ${t0} -> ${t1} over ${n} steps`);
  if (grow >= 40) throw new Error(`RSS grew by ${grow.toFixed(1)} MiB over ${n} steps (samples ${samples.map((v) => v.toFixed(0)).join(' ')})`);
}
