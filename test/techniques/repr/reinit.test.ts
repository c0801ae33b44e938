import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reinitializeFilters } from '../../../src/techniques/repr/reinit.js';
import { filterRows, type KernelView } from '../../../src/techniques/filter-mask/criteria.js';
import { Rng } from '../../../src/core/rng.js';

function randomKernel(kh: number, kw: number, ci: number, co: number, seed: number): KernelView {
  const rng = new Rng(seed);
  const b = 1 / Math.sqrt(kh * kw * ci);
  return { data: rng.fillUniform(new Float32Array(kh * kw * ci * co), -b, b), shape: [kh, kw, ci, co] };
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

test('re-initialised filters are orthogonal to the old dropped and the kept filters (before clamping)', () => {
  const k = randomKernel(3, 3, 8, 16, 1); // d = 72 > 16 + 4 rows: null space available
  const dropped = [2, 5, 11, 13];
  const old = filterRows(k).filter((_, f) => dropped.includes(f));
  const r = reinitializeFilters(k, dropped, old, new Rng(2));
  assert.equal(r.nullVectors.length, 4);
  assert.equal(r.randomFallback.length, 0);
  for (const v of r.nullVectors) {
    assert.ok(Math.abs(Math.sqrt(dot(v, v)) - 1) < 1e-9);
    for (const a of r.avoided) assert.ok(Math.abs(dot(v, a)) < 1e-6, `dot ${dot(v, a)}`);
  }
  // 'clamp' (the reference): every entry within ±1/√d, kept filters untouched.
  const stdv = 1 / Math.sqrt(72);
  const rows = filterRows({ data: r.data, shape: k.shape });
  const orig = filterRows(k);
  for (let f = 0; f < 16; f++) {
    if (dropped.includes(f)) {
      for (const v of rows[f]) assert.ok(Math.abs(v) <= stdv + 1e-7);
    } else assert.deepEqual(Array.from(rows[f]), Array.from(orig[f]));
  }
});

test("'match-kept' keeps the new filters exactly orthogonal (after scaling) with the kept filters' mean norm", () => {
  const k = randomKernel(3, 3, 8, 16, 3);
  const dropped = [0, 1];
  const old = filterRows(k).slice(0, 2);
  const r = reinitializeFilters(k, dropped, old, new Rng(4), 'match-kept');
  const rows = filterRows({ data: r.data, shape: k.shape });
  for (const f of dropped) for (const a of r.avoided) assert.ok(Math.abs(dot(rows[f], a)) < 1e-6);
});

test('first layer (fan-in 27, 32 filters): null space exhausted ⇒ uniform-random fallback', () => {
  const k = randomKernel(3, 3, 3, 32, 5);
  const dropped = [1, 4, 9];
  const r = reinitializeFilters(k, dropped, filterRows(k).filter((_, f) => dropped.includes(f)), new Rng(6));
  assert.deepEqual(r.randomFallback, dropped);
  const rows = filterRows({ data: r.data, shape: k.shape });
  for (const f of dropped) assert.ok(rows[f].some((v) => v !== 0));
});
