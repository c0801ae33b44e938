import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../../src/engine/tf.js';
import { initBackend } from '../../../src/engine/backend.js';
import { Rng } from '../../../src/core/rng.js';
import { createModel } from '../../../src/models/registry.js';
import { modelParams } from '../../../src/models/params.js';
import { kernelToBlocks } from '../../../src/techniques/pq/blocks.js';
import { blockNoiseMask, withBlockNoise, withoutBlockNoise } from '../../../src/techniques/pq/noise-layers.js';

before(async () => {
  await initBackend('cpu');
});

test('block noise mask: whole §5.2 blocks dropped with probability p, kept ones scaled 1/(1-p)', () => {
  const shape = [3, 3, 8, 16];
  const m = kernelToBlocks(blockNoiseMask(shape, 9, 0.25, new Rng(1)), shape, 9);
  let dropped = 0;
  for (let b = 0; b < 128; b++) {
    const blk = [...m.subarray(b * 9, b * 9 + 9)];
    assert.ok(blk.every((v) => v === 0) || blk.every((v) => Math.abs(v - 4 / 3) < 1e-6), `block ${b}: ${blk}`);
    if (blk[0] === 0) dropped++;
  }
  assert.ok(dropped > 16 && dropped < 50, `dropped ${dropped}/128`);
});

test('float-layer Quant-Noise (iPQ proxy): stored weights never change; eval unchanged; plain again after', async () => {
  const model = createModel('resnet20', { inputShape: [8, 8, 3], seed: 2 });
  const x = tf.tensor(new Rng(3).fillNormal(new Float32Array(2 * 192), 0, 1), [2, 8, 8, 3]);
  const sizes = new Map(model.layers.filter((l) => ['Conv2D', 'Dense'].includes(l.getClassName())).map((l) => [l.name, l.getClassName() === 'Dense' ? 8 : 9]));
  const noisy = await withBlockNoise(model, sizes, 0.2, 1);
  assert.equal(noisy.getLayer('stage1.block0.conv1').getClassName(), 'WhittleBlockNoiseConv2D');
  assert.equal(noisy.getLayer('fc').getClassName(), 'WhittleBlockNoiseDense');
  assert.deepEqual(modelParams(noisy).map((p) => p.key), modelParams(model).map((p) => p.key));
  const ref = (model.predict(x) as tf.Tensor).dataSync();
  assert.deepEqual((noisy.predict(x) as tf.Tensor).dataSync(), ref);
  const before = modelParams(noisy).filter((p) => p.key.endsWith('/kernel')).map((p) => Array.from(p.variable.dataSync()));
  const n0 = tf.memory().numTensors;
  const outs = [0, 1, 2].map(() => tf.tidy(() => (noisy.apply(x, { training: true }) as tf.Tensor).dataSync()));
  assert.equal(tf.memory().numTensors, n0);
  assert.notDeepEqual(outs[0], outs[1]); // a fresh mask per forward
  const after = modelParams(noisy).filter((p) => p.key.endsWith('/kernel')).map((p) => Array.from(p.variable.dataSync()));
  assert.deepEqual(after, before);
  const plain = await withoutBlockNoise(noisy);
  assert.equal(plain.getLayer('fc').getClassName(), 'Dense');
  // (training-mode forwards moved BN running stats, so compare with the noisy model's eval output now)
  const err = tf.max(tf.abs(tf.sub(plain.predict(x) as tf.Tensor, noisy.predict(x) as tf.Tensor))).dataSync()[0];
  assert.ok(err < 1e-6, `${err}`);
});
