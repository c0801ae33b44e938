import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeShapes, SHAPES_CLASSES } from '../../src/data/shapes.js';
import { channelStats } from '../../src/data/stats.js';

test('shapes: deterministic per seed, different across seeds', () => {
  const a = makeShapes({ n: 300, seed: 7 });
  const b = makeShapes({ n: 300, seed: 7 });
  const c = makeShapes({ n: 300, seed: 8 });
  assert.deepEqual(a.images, b.images);
  assert.deepEqual(a.labels, b.labels);
  assert.notDeepEqual(a.images, c.images);
  assert.equal(a.images.length, 300 * 32 * 32 * 3);
  assert.deepEqual(a.classNames, SHAPES_CLASSES);
  assert.equal(a.numClasses, 10);
});

test('shapes: exactly balanced classes, shuffled order', () => {
  const ds = makeShapes({ n: 1003, seed: 1 });
  const hist = new Array(10).fill(0);
  for (const l of ds.labels) hist[l]++;
  assert.deepEqual(hist, [101, 101, 101, 100, 100, 100, 100, 100, 100, 100]);
  assert.notDeepEqual([...ds.labels.subarray(0, 10)], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('shapes: every image has a visible shape (two colours, both well populated)', () => {
  const ds = makeShapes({ n: 500, seed: 2, noise: 0 });
  for (let i = 0; i < ds.n; i++) {
    const counts = new Map<number, number>();
    for (let p = 0; p < 1024; p++) {
      const o = (i * 1024 + p) * 3;
      const key = (ds.images[o] << 16) | (ds.images[o + 1] << 8) | ds.images[o + 2];
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    assert.equal(counts.size, 2, `image ${i} (${SHAPES_CLASSES[ds.labels[i]]})`);
    assert.ok(Math.min(...counts.values()) >= 30, `image ${i} shape too small`);
  }
});

// Generation speed is measured in bench/, not asserted here (no timing assertions in tests).
test('shapes: 10k images with sensible channel statistics', () => {
  const ds = makeShapes({ n: 10000, seed: 0 });
  assert.equal(ds.n, 10000);
  const st = channelStats(ds);
  assert.ok(st.mean.every((m) => m > 0.3 && m < 0.7), `means ${st.mean}`);
});

test('channelStats is exact on a known image', () => {
  const images = Uint8Array.from([0, 255, 0, 255, 255, 255]);
  const st = channelStats({
    name: 't', images, labels: new Int32Array(2), n: 2, height: 1, width: 1, channels: 3, numClasses: 1, classNames: [],
  });
  assert.deepEqual(st.mean, [0.5, 1, 0.5]);
  assert.deepEqual(st.std, [0.5, 1, 0.5]);
});
