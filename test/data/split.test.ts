import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sliceDataset, splitByCount, splitCifar10ByBatch, subset } from '../../src/data/split.js';
import { defaultCifar10Dir } from '../../src/data/paths.js';
import { loadDataset } from '../../src/data/index.js';
import { CIFAR_NORM_REPR } from '../../src/data/augment.js';
import { indexDataset } from './helpers.js';

test('splitByCount: sizes, disjoint, covers everything, seeded', () => {
  const ds = indexDataset(100);
  const { train, val } = splitByCount(ds, { valCount: 20, seed: 3 });
  assert.equal(train.n, 80);
  assert.equal(val.n, 20);
  const all = [...train.labels, ...val.labels].sort((a, b) => a - b);
  assert.deepEqual(all, [...ds.labels]);
  // Both parts keep dataset order; pixels follow labels.
  assert.deepEqual([...val.labels], [...val.labels].sort((a, b) => a - b));
  const size = 60;
  assert.deepEqual(val.images.subarray(0, size), ds.images.subarray(val.labels[0] * size, (val.labels[0] + 1) * size));
  assert.deepEqual(splitByCount(ds, { valCount: 20, seed: 3 }).val.labels, val.labels);
  assert.notDeepEqual(splitByCount(ds, { valCount: 20, seed: 4 }).val.labels, val.labels);
  assert.throws(() => splitByCount(ds, { valCount: 100, seed: 0 }), /valCount/);
});

test('sliceDataset is a view, subset a copy', () => {
  const ds = indexDataset(10);
  const s = sliceDataset(ds, 2, 5);
  assert.equal(s.n, 3);
  assert.equal(s.images.buffer, ds.images.buffer);
  assert.deepEqual([...s.labels], [2, 3, 4]);
  const c = subset(ds, [7, 1]);
  assert.deepEqual([...c.labels], [7, 1]);
  assert.notEqual(c.images.buffer, ds.images.buffer);
  assert.throws(() => sliceDataset(ds, 4, 11), /slice/);
  assert.throws(() => subset(ds, [10]), /index 10/);
});

test('CIFAR-10 split by batch file: 40k train / 10k val (data_batch_5)', () => {
  const { train, val } = splitCifar10ByBatch(defaultCifar10Dir());
  assert.equal(train.n, 40000);
  assert.equal(val.n, 10000);
  const hist = new Array(10).fill(0);
  for (const l of val.labels) hist[l]++;
  assert.deepEqual(hist, [1014, 1014, 952, 1016, 997, 1025, 980, 977, 1003, 1022]);
  assert.equal(train.labels[0], 6); // batch 1 first
  assert.equal(val.labels[0], 1); // batch 5's first label
});

test('loadDataset: cifar10 with limits and an alternative held-out batch; shapes', () => {
  const c = loadDataset('cifar10', { valBatches: [2], limitTrain: 500, limitVal: 100 });
  assert.equal(c.train.n, 500);
  assert.equal(c.val.n, 100);
  assert.equal(c.val.labels[0], 1); // batch 2 first label
  assert.deepEqual(c.normalization, CIFAR_NORM_REPR);
  const s = loadDataset('shapes', { trainSize: 200, valSize: 50, seed: 1 });
  assert.equal(s.train.n, 200);
  assert.equal(s.val.n, 50);
  assert.notDeepEqual(s.train.images.subarray(0, 3072), s.val.images.subarray(0, 3072));
  assert.equal(s.normalization.mean.length, 3);
  assert.ok(s.normalization.std.every((v) => v > 0.1 && v < 0.5), `stds ${s.normalization.std}`);
  assert.throws(() => loadDataset('mnist' as 'shapes'), /unknown dataset "mnist"/);
});

test('defaultCifar10Dir honours WHITTLE_CIFAR10_DIR', () => {
  const old = process.env.WHITTLE_CIFAR10_DIR;
  try {
    process.env.WHITTLE_CIFAR10_DIR = '/some/where';
    assert.equal(defaultCifar10Dir(), '/some/where');
    delete process.env.WHITTLE_CIFAR10_DIR;
    assert.match(defaultCifar10Dir(), /shared\/data\/cifar10$/);
  } finally {
    if (old === undefined) delete process.env.WHITTLE_CIFAR10_DIR;
    else process.env.WHITTLE_CIFAR10_DIR = old;
  }
});
