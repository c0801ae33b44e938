/** Before/after numbers for a pruned model: parameters, FLOPs (multiply-accumulates) and latency. */
import { tf, tfl } from '../../engine/tf.js';
import { countParams, countFlops } from '../../models/stats.js';

export interface ModelMeasure {
  params: number;
  flops: number;
  /** Median milliseconds per forward pass of a batch of `batch` images. */
  latencyMs: number;
  batch: number;
}

export function measureModel(model: tfl.LayersModel, opts: { batch?: number; runs?: number } = {}): ModelMeasure {
  const batch = opts.batch ?? 32;
  const runs = opts.runs ?? 10;
  const shape = model.inputs[0].shape.slice(1) as number[];
  const x = tf.zeros([batch, ...shape]);
  const times: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    const t0 = performance.now();
    const y = model.predict(x) as tf.Tensor;
    y.dataSync();
    y.dispose();
    if (i >= 2) times.push(performance.now() - t0); // two warm-up passes
  }
  x.dispose();
  times.sort((a, b) => a - b);
  return { params: countParams(model), flops: countFlops(model, shape as [number, number, number]).total, latencyMs: times[Math.floor(times.length / 2)], batch };
}
