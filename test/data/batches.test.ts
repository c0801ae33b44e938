import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { epochRng, iterateBatches, numBatches, type BatchOptions } from '../../src/data/batches.js';
import { UNIT_SCALE, normalizationLut } from '../../src/data/augment.js';
import type { Batch } from '../../src/data/types.js';
import { indexDataset } from './helpers.js';

const ds = indexDataset(103);
const base = { batchSize: 10, normalize: UNIT_SCALE(3) };
const all = (opts: BatchOptions): Batch[] => [...iterateBatches(ds, opts)];

test('without shuffle/augment: dataset order, sizes, partial last batch, dropLast', () => {
  const bs = all(base);
  assert.equal(bs.length, 11);
  assert.equal(numBatches(103, 10), 11);
  assert.equal(numBatches(103, 10, true), 10);
  assert.deepEqual(bs.map((b) => b.n), [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 3]);
  assert.deepEqual(bs.flatMap((b) => [...b.y]), [...ds.labels]);
  const lut = normalizationLut(UNIT_SCALE(3), 3);
  const size = 4 * 5 * 3;
  assert.equal(bs[3].x.length, 10 * size);
  for (let k = 0; k < size; k++) assert.equal(bs[3].x[k], lut[(k % 3) * 256 + ds.images[30 * size + k]]);
  assert.equal(all({ ...base, dropLast: true }).length, 10);
});

test('shuffling is seeded, reproducible and a permutation', () => {
  const ys = (seed: number) => all({ ...base, shuffle: true, rng: new Rng(seed) }).flatMap((b) => [...b.y]);
  const a = ys(1);
  assert.deepEqual(a, ys(1));
  assert.notDeepEqual(a, ys(2));
  assert.notDeepEqual(a, [...ds.labels]);
  assert.deepEqual([...a].sort((p, q) => p - q), [...ds.labels]);
  // Images travel with their labels.
  const size = 4 * 5 * 3;
  const b0 = all({ ...base, shuffle: true, rng: new Rng(1) })[0];
  const lut = normalizationLut(UNIT_SCALE(3), 3);
  for (let k = 0; k < size; k++) assert.equal(b0.x[k], lut[(k % 3) * 256 + ds.images[b0.y[0] * size + k]]);
});

test('augmented batches: same seed ⇒ same batches, different seeds differ', () => {
  const opts = (seed: number): BatchOptions => ({ ...base, shuffle: true, augment: true, rng: new Rng(seed) });
  const a = all(opts(3));
  const b = all(opts(3));
  const c = all(opts(4));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.map((x) => x.x), c.map((x) => x.x));
  // Augmentation alone (no shuffle) changes pixels but not labels.
  const d = all({ ...base, augment: { padding: 2, flip: true }, rng: new Rng(3) });
  assert.deepEqual(d.flatMap((x) => [...x.y]), [...ds.labels]);
  assert.notDeepEqual(d.map((x) => x.x), all(base).map((x) => x.x));
});

test('mid-epoch resume yields exactly the remaining batches and the same final RNG state', () => {
  for (const dropLast of [false, true]) {
    const make = (startBatch: number, rng: Rng): BatchOptions => ({
      ...base, shuffle: true, augment: true, rng, dropLast, startBatch,
    });
    const fullRng = epochRng(42, 7);
    const full = all(make(0, fullRng));
    const endState = fullRng.getState();
    for (let s = 0; s <= full.length; s++) {
      const rng = epochRng(42, 7); // rebuilt from (seed, epoch), as after a restart
      const rest = all(make(s, rng));
      assert.deepEqual(rest, full.slice(s), `startBatch ${s}`);
      assert.deepEqual(rng.getState(), endState);
    }
  }
  // A long-lived Rng works too when its epoch-start state is restored.
  const live = new Rng(1);
  live.nextUint32();
  const saved = live.getState();
  const full = all({ ...base, shuffle: true, augment: true, rng: live });
  const resumed = new Rng(0);
  resumed.setState(saved);
  assert.deepEqual(all({ ...base, shuffle: true, augment: true, rng: resumed, startBatch: 4 }), full.slice(4));
});

test('epochRng: reproducible per (seed, epoch) and distinct across epochs', () => {
  assert.deepEqual(epochRng(1, 2).getState(), epochRng(1, 2).getState());
  assert.notDeepEqual(epochRng(1, 2).getState(), epochRng(1, 3).getState());
  assert.notDeepEqual(epochRng(1, 2).getState(), epochRng(2, 2).getState());
});

test('option validation', () => {
  assert.throws(() => iterateBatches(ds, { ...base, shuffle: true }), /rng/);
  assert.throws(() => iterateBatches(ds, { ...base, batchSize: 0 }), /batchSize/);
  assert.throws(() => iterateBatches(ds, { ...base, startBatch: 12 }), /startBatch/);
  assert.equal(all({ ...base, startBatch: 11 }).length, 0);
});
