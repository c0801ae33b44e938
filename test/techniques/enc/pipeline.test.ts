import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, tfl } from '../../../src/engine/tf.js';
import { initBackend } from '../../../src/engine/backend.js';
import { createModel } from '../../../src/models/registry.js';
import { countFlops } from '../../../src/models/stats.js';
import { createSession, compareMethods, formatComparison, type Evaluator } from '../../../src/techniques/enc/index.js';
import { randomArray } from '../../helpers/backends.js';

/** Agreement with the original model's predictions on fixed random inputs, as a stand-in accuracy. */
function agreementEvaluator(ref: tfl.LayersModel, n: number, hw: number): Evaluator {
  const x = tf.tensor(randomArray(n * hw * hw * 3, 7), [n, hw, hw, 3]);
  const labels = tf.tidy(() => tf.argMax(ref.predict(x) as tf.Tensor, -1).dataSync().slice());
  return async (m) => {
    const pred = tf.tidy(() => tf.argMax(m.predict(x) as tf.Tensor, -1).dataSync());
    let ok = 0;
    for (let i = 0; i < n; i++) if (pred[i] === labels[i]) ok++;
    return ok / n;
  };
}

test('ENC on ResNet-20: R_max list, all four methods at 50 % FLOPs (PCA metric), realised FLOPs near target', async () => {
  await initBackend('wasm');
  const model = createModel('resnet20', { seed: 1 });
  const s = createSession(model, { conv1: 'fixed' });
  const rmax = new Map(s.analysis.layers.map((l) => [l.spec.name, l.rMax]));
  assert.equal(rmax.get('conv1'), 10);
  assert.equal(rmax.get('stage1.block0.conv1'), 24);
  assert.equal(rmax.get('stage2.block0.conv1'), 32);
  assert.equal(rmax.get('stage2.block1.conv1'), 48);
  assert.equal(rmax.get('stage3.block0.conv1'), 64);
  assert.equal(rmax.get('stage3.block0.conv2'), 96);
  assert.equal(s.problem.cost.origMacs, countFlops(model).conv);
  const evaluate = agreementEvaluator(model, 16, 32);
  const rows = await compareMethods(s, { target: 0.5, methods: ['uniform', 'map', 'model', 'inf'], evaluate, topN: 3 });
  console.log(formatComparison(rows));
  for (const r of rows) {
    // The search's cost model and the built model's MAC count agree exactly.
    assert.ok(Math.abs(r.flopsRatio - r.complexity) < 1e-12, `${r.method}: ${r.flopsRatio} vs ${r.complexity}`);
    assert.ok(Math.abs(r.flopsRatio - 0.5) < (r.method === 'uniform' ? 0.02 : 0.006), `${r.method}: ${r.flopsRatio}`);
    assert.ok(r.params < r.origParams);
    assert.equal(r.ranks.conv1, undefined, 'conv1 kept as is');
  }
  const map = rows.find((r) => r.method === 'map');
  assert.ok(map && Math.abs(map.flopsRatio - 0.5) < 0.001);
  const inf = rows.find((r) => r.method === 'inf');
  assert.ok(inf && inf.accuracy !== undefined && inf.accBefore !== undefined && Math.abs(inf.accuracy - inf.accBefore) < 1e-9);
});
