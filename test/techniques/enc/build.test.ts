import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, tfl } from '../../../src/engine/tf.js';
import { initBackend } from '../../../src/engine/backend.js';
import { analyseModel } from '../../../src/techniques/enc/analyse.js';
import { buildFactorisedModel, maskRanks } from '../../../src/techniques/enc/build.js';
import { randomArray, relError } from '../../helpers/backends.js';
import { smallNet } from './nets.js';

function run(m: tfl.LayersModel, x: tf.Tensor): Float32Array {
  const y = m.predict(x) as tf.Tensor;
  const d = y.dataSync() as Float32Array;
  y.dispose();
  return d;
}

test('factorised tfjs model at full rank reproduces the original (channel, spatial, strided, dense, residual)', async () => {
  await initBackend('cpu');
  const m = smallNet();
  const x = tf.tensor(randomArray(2 * 9 * 9 * 3, 99), [2, 9, 9, 3]);
  const a = analyseModel(m, { includeDense: true, factorRank: 'full' });
  assert.deepEqual(a.layers.map((l) => `${l.spec.name}:${l.spec.scheme}`), ['conv1:channel', 'conv2:spatial', 'conv3:spatial', 'conv4:spatial', 'fc:dense']);
  const ranks = Object.fromEntries(a.layers.map((l) => [l.spec.name, l.rMax]));
  const fm = await buildFactorisedModel(m, a.layers, ranks, { strideMode: 'exact' });
  assert.ok(fm.getLayer('conv3.a') && fm.getLayer('conv3.b') && fm.getLayer('fc.b'));
  const e = relError(run(fm, x), run(m, x));
  assert.ok(e < 1e-5, `rel err ${e}`);
  // Save and load through the tfjs IO layer: plain layers, no custom objects.
  let artifacts: tf.io.ModelArtifacts | undefined;
  await fm.save(tf.io.withSaveHandler(async (art) => {
    artifacts = art;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
  assert.ok(relError(run(loaded, x), run(m, x)) < 1e-5);
  // 'reference' stride placement (same-padded conv4 only) changes the output: not equivalent.
  const fr = await buildFactorisedModel(m, a.layers, ranks, { strideMode: 'reference' });
  assert.deepEqual(fr.getLayer('conv4.a').getConfig().strides, [2, 2]);
  assert.deepEqual(fr.getLayer('conv3.a').getConfig().strides, [2, 1], 'valid-padded layers fall back to exact');
  x.dispose();
});

test('rank masking on the R_max model equals building the sliced model', async () => {
  await initBackend('cpu');
  const m = smallNet();
  const x = tf.tensor(randomArray(2 * 9 * 9 * 3, 5), [2, 9, 9, 3]);
  const a = analyseModel(m);
  assert.deepEqual(a.layers.map((l) => l.rMax), [6, 12, 10, 6]);
  const full = Object.fromEntries(a.layers.map((l) => [l.spec.name, l.rMax]));
  const low = Object.fromEntries(a.layers.map((l) => [l.spec.name, Math.max(1, l.rMax - 3)]));
  const fm = await buildFactorisedModel(m, a.layers, full);
  const current: Record<string, number> = { ...full };
  maskRanks(fm, a.layers, low, current);
  const sliced = await buildFactorisedModel(m, a.layers, low);
  assert.ok(relError(run(fm, x), run(sliced, x)) < 1e-5);
  const before = tf.memory().numTensors;
  maskRanks(fm, a.layers, full, current);
  maskRanks(fm, a.layers, low, current);
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
});
