/**
 * Issue #22's root cause: the first training step of a conv geometry in a process must run the same
 * native calls (layouts, reduction orders, one-call backward) as every later step, or a resumed run (a fresh
 * process) drifts from the uninterrupted one. Each model here sees batch sizes no other test uses, so its
 * first call below really is the first of its geometries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomArray, tf } from '../helpers/backends.js';
import { initBackend } from '../../src/engine/backend.js';
import type { tfl } from '../../src/engine/tf.js';
import { createResNetCifar } from '../../src/models/resnet-cifar.js';
import { createModel } from '../../src/models/registry.js';
import { nativeSkipReason } from './native-helpers.js';

const skip = await nativeSkipReason();

/** The gradients of the loss at the model's current weights, three times over (sorted by variable name). */
function gradsThrice(model: tfl.LayersModel, n: number): Float32Array[][] {
  const x = tf.tensor(randomArray(n * 12 * 12 * 3, 5 + n), [n, 12, 12, 3]);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: n }, (_, i) => i % 10), 'int32'), 10);
  const calls: Float32Array[][] = [];
  for (let k = 0; k < 3; k++) {
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
    calls.push(Object.keys(grads).sort().map((name) => Float32Array.from(grads[name].dataSync() as Float32Array)));
    tf.dispose([value, grads]);
  }
  tf.dispose([x, y]);
  return calls;
}

function expectBitIdentical(calls: Float32Array[][], what: string): void {
  for (let k = 1; k < calls.length; k++) {
    calls[0].forEach((g, i) => {
      const at = g.findIndex((v, j) => !Object.is(v, calls[k][i][j]));
      assert.equal(at, -1, `${what}: gradient ${i} of call 1 and call ${k + 1} differ at ${at}`);
    });
  }
}

for (const plan of [true, false]) {
  const path = plan ? 'the training plan' : 'the per-op path (WHITTLE_NATIVE_PLAN=0)';
  test(`on ${path}, the first step of a geometry gives the same gradients, bit for bit, as later ones`, { skip }, async () => {
    await initBackend('native');
    const prev = process.env.WHITTLE_NATIVE_PLAN;
    process.env.WHITTLE_NATIVE_PLAN = plan ? '1' : '0';
    try {
      // Vanilla: biased 32-channel Winograd convs (the bias gradient summed from NHWC vs blocked values);
      // ResNet-8: batch norms after Winograd and 16-channel direct convs, the one-call backward.
      const vanilla = createModel('vanilla', { inputShape: [12, 12, 3], seed: 4 });
      expectBitIdentical(gradsThrice(vanilla, plan ? 7 : 9), `vanilla on ${path}`);
      vanilla.dispose();
      const resnet = createResNetCifar(8, { inputShape: [12, 12, 3], seed: 3 });
      expectBitIdentical(gradsThrice(resnet, plan ? 5 : 6), `resnet-8 on ${path}`);
      resnet.dispose();
    } finally {
      if (prev === undefined) delete process.env.WHITTLE_NATIVE_PLAN;
      else process.env.WHITTLE_NATIVE_PLAN = prev;
    }
  });
}
