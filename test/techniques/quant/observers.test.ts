import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../src/core/rng.js';
import { ObserverSpecSchema } from '../../../src/techniques/quant/config.js';
import { createObserver } from '../../../src/techniques/quant/observers.js';
import { minMaxOf, qparamsFromRange, quantError } from '../../../src/techniques/quant/quantizer.js';
import { searchRange } from '../../../src/techniques/quant/histogram.js';

const spec = (kind: 'minmax' | 'ema' | 'histogram', extra: object = {}) => ObserverSpecSchema.parse({ kind, ...extra });

test('min/max observer: current tensor range, per tensor and per channel', () => {
  const o = createObserver(spec('minmax'), { bits: 8, symmetric: false, axis: null });
  assert.deepEqual(o.update([3, -2, 5, 1], [4]), { min: [-2], max: [5] });
  assert.deepEqual(o.update([1, 2], [2]), { min: [1], max: [2] }, 'fresh each update, as fairseq');
  const pc = createObserver(spec('minmax'), { bits: 8, symmetric: false, axis: 1 });
  assert.deepEqual(pc.update([1, -4, 2, 7, -3, 0], [3, 2]), { min: [-3, -4], max: [2, 7] });
});

test('EMA observer follows range ← m·range + (1 − m)·current (computed by hand)', () => {
  const o = createObserver(spec('ema', { momentum: 0.9 }), { bits: 8, symmetric: false, axis: null });
  o.update([-1, 2], [2]); // init: [-1, 2]
  o.update([-3, 4], [2]); // [0.9·−1 + 0.1·−3, 0.9·2 + 0.1·4] = [−1.2, 2.2]
  const r = o.update([0, 1], [2]); // [0.9·−1.2 + 0, 0.9·2.2 + 0.1·1] = [−1.08, 2.08]
  assert.ok(Math.abs(r.min[0] + 1.08) < 1e-12 && Math.abs(r.max[0] - 2.08) < 1e-12, JSON.stringify(r));
  const copy = createObserver(spec('ema', { momentum: 0.9 }), { bits: 8, symmetric: false, axis: null });
  copy.loadState(JSON.parse(JSON.stringify(o.state())));
  assert.deepEqual(copy.update([5, 5], [2]), o.update([5, 5], [2]), 'state round-trips through JSON');
});

function twoClusters(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = i % 500 === 0 ? rng.normal(3, 0.05) : rng.normal(0, 0.1);
  return out;
}

test('histogram observer on a two-cluster distribution beats min/max in L2 error (int4 and int8)', () => {
  const x = twoClusters(20000, 1);
  for (const bits of [4, 8]) {
    const h = createObserver(spec('histogram'), { bits, symmetric: false, axis: null }).update(x, [x.length]);
    const mm = minMaxOf(x, [x.length], null);
    const eh = quantError(x, [x.length], qparamsFromRange(h, bits, false, null));
    const em = quantError(x, [x.length], qparamsFromRange(mm, bits, false, null));
    assert.ok(eh < em, `b=${bits}: histogram error ${eh} vs min/max ${em}`);
    if (bits === 4) {
      assert.ok(eh < 0.8 * em, `b=4 should gain clearly: ${eh} vs ${em}`);
      assert.ok(h.max[0] < mm.max[0], 'the far cluster is (partly) clipped');
    }
  }
});

test('histogram error estimate tracks the true L2 error and its range beats a brute-force grid', () => {
  const x = twoClusters(4000, 2);
  const r = searchRange(x, { bits: 4, symmetric: false, bins: 2048 });
  const err = (lo: number, hi: number) => quantError(x, [x.length], qparamsFromRange({ min: [lo], max: [hi] }, 4, false, null));
  const chosen = err(r.min, r.max);
  assert.ok(Math.abs(r.error - chosen) / chosen < 0.05, `estimate ${r.error} vs true ${chosen}`);
  const mm = minMaxOf(x, [x.length], null);
  let best = Infinity;
  for (let i = 1; i <= 25; i++) for (let j = 1; j <= 25; j++) best = Math.min(best, err((mm.min[0] * i) / 25, (mm.max[0] * j) / 25));
  assert.ok(chosen <= best * 1.03, `search ${chosen} vs 25×25 brute force ${best}`);
});

test('histogram observer: symmetric and per-channel variants', () => {
  const x = twoClusters(4000, 3);
  const sym = createObserver(spec('histogram', { bins: 512 }), { bits: 4, symmetric: true, axis: null }).update(x, [x.length]);
  const mm = minMaxOf(x, [x.length], null);
  assert.ok(quantError(x, [x.length], qparamsFromRange(sym, 4, true, null)) < quantError(x, [x.length], qparamsFromRange(mm, 4, true, null)));
  const pc = createObserver(spec('histogram', { bins: 256 }), { bits: 8, symmetric: false, axis: 1 }).update(x, [2000, 2]);
  assert.equal(pc.min.length, 2);
});
