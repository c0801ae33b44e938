import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectFilters } from '../../../src/techniques/filter-mask/select.js';

const layers = [
  { layer: 'conv1', scores: Float64Array.of(0.9, 0.8, 0.7, 0.95) },
  { layer: 'conv2', scores: Float64Array.of(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75) },
];

test('global ranking takes the worst filters wherever they are and can empty a layer down to minKeep', () => {
  const s = selectFilters(layers, { fraction: 0.5, scope: 'global', higherIsWorse: true, minKeep: 0 });
  assert.deepEqual(s.dropped.get('conv1'), [0, 1, 2, 3]);
  assert.deepEqual(s.dropped.get('conv2'), [6, 7]);
  assert.equal(s.capped.length, 0);
});

test('minKeep (default 1) stops a layer being emptied and reports the cap; the total is kept', () => {
  const s = selectFilters(layers, { fraction: 0.5, scope: 'global', higherIsWorse: true });
  assert.deepEqual(s.dropped.get('conv1'), [0, 1, 3]);
  assert.deepEqual(s.dropped.get('conv2'), [5, 6, 7]);
  assert.deepEqual(s.capped, [{ layer: 'conv1', wanted: 4, allowed: 3 }]);
});

test('maxLayerFraction caps each layer', () => {
  const s = selectFilters(layers, { fraction: 0.5, scope: 'global', higherIsWorse: true, maxLayerFraction: 0.5 });
  assert.deepEqual(s.dropped.get('conv1'), [0, 3]);
  assert.equal(s.dropped.get('conv2')!.length, 4);
});

test('per-layer ranking with SFP floor rounding: keep rate 0.7 of 16 filters zeroes 4', () => {
  const s = selectFilters([{ layer: 'c', scores: Float64Array.from({ length: 16 }, (_, i) => 16 - i) }], {
    fraction: 0.3, scope: 'perLayer', higherIsWorse: false, rounding: 'floor',
  });
  assert.deepEqual(s.dropped.get('c'), [12, 13, 14, 15]);
});

test('bad fraction is rejected with a clear error', () => {
  assert.throws(() => selectFilters(layers, { fraction: 1.2, scope: 'global', higherIsWorse: true }), /drop fraction/);
});
