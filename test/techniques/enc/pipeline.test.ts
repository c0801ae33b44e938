import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../../src/engine/backend.js';
import { createModel } from '../../../src/models/registry.js';
import { countFlops } from '../../../src/models/stats.js';
import { createSession, compareMethods, formatComparison } from '../../../src/techniques/enc/index.js';
import { agreementEvaluator, smallNet } from './nets.js';

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
  const evaluate = agreementEvaluator(model, 16, [32, 32, 3]);
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

test('ENC validation-accuracy metric (val and combined) on a small net: 4L+1 passes, curves, all methods', async () => {
  await initBackend('wasm');
  const model = smallNet();
  const evaluate = agreementEvaluator(model, 64, [9, 9, 3]);
  const s = createSession(model, { conv1: 'half' });
  assert.equal(Object.keys(s.pinned).join(), 'conv1');
  for (const metric of ['val', 'combined'] as const) {
    const rows = await compareMethods(s, { target: 0.6, methods: ['uniform', 'map', 'model', 'inf'], metric, evaluate, topN: 4 });
    for (const r of rows) {
      assert.ok(Math.abs(r.flopsRatio - r.complexity) < 1e-12);
      assert.ok(r.ranks.conv1 === 3, 'conv1 at half of R_max 6');
      assert.ok(Number.isFinite(r.Am) && Number.isFinite(r.Ac));
    }
    assert.ok(Math.abs((rows.find((r) => r.method === 'map') as { flopsRatio: number }).flopsRatio - 0.6) < 0.05);
  }
  assert.ok(s.metricEvaluations >= 1 + s.searched.length && s.accuracy?.length === s.searched.length);
  for (const cv of s.accuracy ?? []) assert.ok(Math.abs(cv.value(cv.rMax) - 1) < 1e-12);
});

test('ENC with includeDense: the Dense layer is searched and split into two Dense layers; FLOPs count conv + dense', async () => {
  await initBackend('wasm');
  const model = smallNet();
  const flops = countFlops(model);
  const convOnly = createSession(model, { conv1: 'fixed' });
  assert.ok(!convOnly.problem.names.includes('fc'));
  assert.equal(convOnly.problem.cost.origMacs, flops.conv);
  const s = createSession(model, { conv1: 'fixed', includeDense: true });
  assert.deepEqual(s.problem.names, ['conv2', 'conv3', 'conv4', 'fc']);
  assert.equal(s.problem.cost.origMacs, flops.conv + flops.dense);
  const fc = s.analysis.layers.find((l) => l.spec.name === 'fc');
  assert.equal(fc?.spec.cin, 45);
  assert.equal(fc?.rMax, 4, 'dense 45→4: round(45·4/49) = 4 = min(45, 4)');
  const evaluate = agreementEvaluator(model, 16, [9, 9, 3]);
  let built: string[] = [];
  const rows = await compareMethods(s, {
    target: 0.6, methods: ['uniform', 'map', 'model', 'inf'], evaluate, topN: 3,
    onModel: async (fm) => void (built = fm.layers.filter((l) => l.getClassName() === 'Dense').map((l) => l.name)),
  });
  for (const r of rows) {
    // The cost model (conv + dense per-rank MACs) and the built model's counted MACs agree exactly.
    assert.ok(Math.abs(r.flopsRatio - r.complexity) < 1e-12, `${r.method}: ${r.flopsRatio} vs ${r.complexity}`);
    assert.equal(r.flopsRatio, (r.convMacs + r.denseMacs) / (flops.conv + flops.dense));
    assert.ok(r.ranks.fc >= 1 && r.ranks.fc <= 4, `${r.method}: fc rank ${r.ranks.fc}`);
    assert.equal(r.denseMacs, r.ranks.fc * (45 + 4), 'fc.a (45→r) + fc.b (r→4)');
  }
  assert.deepEqual(built, ['fc.a', 'fc.b']);
});
