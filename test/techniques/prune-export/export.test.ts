import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, tfl } from '../../../src/engine/tf.js';
import { initBackend } from '../../../src/engine/backend.js';
import { createModel } from '../../../src/models/registry.js';
import { countParams } from '../../../src/models/stats.js';
import { SfpHook } from '../../../src/techniques/sfp/hook.js';
import { planRemoval } from '../../../src/techniques/prune-export/plan.js';
import { applyChannelMask, exportPrunedWithWeights } from '../../../src/techniques/prune-export/export.js';
import { randomArray } from '../../helpers/backends.js';

await initBackend('wasm');

async function roundTrip(m: tfl.LayersModel): Promise<tfl.LayersModel> {
  let art: tf.io.ModelArtifacts | undefined;
  await m.save(tf.io.withSaveHandler(async (a) => { art = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
  return tfl.loadLayersModel(tf.io.fromMemory(art!));
}

function maxRelDiff(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync(), y = b.dataSync();
  let num = 0, den = 0;
  for (let i = 0; i < x.length; i++) { num = Math.max(num, Math.abs(x[i] - y[i])); den = Math.max(den, Math.abs(y[i])); }
  return num / den;
}

for (const name of ['vanilla', 'resnet20'] as const) {
  test(`${name}: exported model equals the channel-masked model, is smaller, and saves/loads as a plain model`, async () => {
    const model = createModel(name, { inputShape: [8, 8, 3], numClasses: 4, seed: 2 });
    // Make BN statistics non-trivial so the BN path is really exercised.
    if (name === 'resnet20') {
      tf.tidy(() => {
        for (const l of model.layers) if (l.getClassName() === 'BatchNormalization') {
          const [g, b, m, v] = l.getWeights();
          l.setWeights([tf.add(g, 0.3), tf.add(b, 0.1), tf.add(m, 0.05), tf.add(v, 0.5)]);
        }
      });
    }
    new SfpHook({ keepRate: 0.6 }).mask({ model, log: () => {} }, 'test', 0);
    const plan = planRemoval(model);
    if (name === 'vanilla') {
      assert.deepEqual([...plan.remove.keys()], ['conv1', 'conv2', 'conv3']);
      for (const idx of plan.remove.values()) assert.equal(idx.length, 12); // int(32·0.4)
    } else {
      assert.equal(plan.remove.size, 9); // the first conv of each of the 9 blocks
      for (const k of plan.remove.keys()) assert.match(k, /^stage\d\.block\d\.conv1$/);
      assert.ok(plan.kept.some((k) => k.conv === 'conv1' && /residual/.test(k.reason)));
    }
    applyChannelMask(model, plan);
    const small = await exportPrunedWithWeights(model, plan);
    assert.ok(countParams(small) < countParams(model), `${countParams(small)} vs ${countParams(model)}`);
    const x = tf.tensor4d(randomArray(4 * 8 * 8 * 3, 9), [4, 8, 8, 3]);
    const y0 = model.predict(x) as tf.Tensor;
    const y1 = small.predict(x) as tf.Tensor;
    assert.ok(maxRelDiff(y1, y0) < 1e-5, `max rel diff ${maxRelDiff(y1, y0)}`);
    const reloaded = await roundTrip(small);
    const y2 = reloaded.predict(x) as tf.Tensor;
    assert.ok(maxRelDiff(y2, y1) < 1e-6);
    tf.dispose([x, y0, y1, y2]);
  });
}

test('a layer is never emptied; explicit selections are honoured', () => {
  const model = createModel('vanilla', { inputShape: [8, 8, 3], numClasses: 4, seed: 2 });
  const plan = planRemoval(model, new Map([['conv1', Array.from({ length: 32 }, (_, i) => i)], ['conv2', [0, 5]]]));
  assert.deepEqual([...plan.remove.entries()], [['conv2', [0, 5]]]);
  assert.match(plan.kept[0].reason, /never emptied/);
});
