/** Evaluation with training=false (BN uses running stats): mean loss, top-1, top-5. */
import { tf, tfl } from '../engine/tf.js';
import { batchTensors, modelInputShape } from './step.js';
import { crossEntropyPerExample, topKCorrect, type EvalMetrics } from './metrics.js';
import type { Batch } from './types.js';

export async function evaluate(
  model: tfl.LayersModel,
  batches: Iterable<Batch>,
  opts: { onBatch?: (done: number) => void } = {},
): Promise<EvalMetrics> {
  const inputShape = modelInputShape(model);
  let lossSum = 0;
  let c1 = 0;
  let c5 = 0;
  let n = 0;
  let done = 0;
  for (const b of batches) {
    if (b.n === 0) continue;
    const r = tf.tidy(() => {
      const { x, y } = batchTensors(b, inputShape);
      const logits = model.apply(x, { training: false }) as tf.Tensor;
      return tf.stack([tf.sum(crossEntropyPerExample(logits, y)), topKCorrect(logits, y, 1), topKCorrect(logits, y, 5)]);
    });
    const [l, a1, a5] = r.dataSync();
    r.dispose();
    lossSum += l;
    c1 += a1;
    c5 += a5;
    n += b.n;
    opts.onBatch?.(++done);
    await new Promise((res) => setImmediate(res));
  }
  return n === 0 ? { loss: NaN, top1: NaN, top5: NaN, n: 0 } : { loss: lossSum / n, top1: c1 / n, top5: c5 / n, n };
}
