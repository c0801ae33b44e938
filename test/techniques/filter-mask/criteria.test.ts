import { test } from 'node:test';
import assert from 'node:assert/strict';
import { orthogonalityScores, l2Norms, l1Norms, filterRows, fanInCorrected, type KernelView } from '../../../src/techniques/filter-mask/criteria.js';
import { Rng } from '../../../src/core/rng.js';

/** Builds an HWIO kernel whose filter f, flattened (in, kh, kw), equals rows[f]. */
function kernelFromRows(rows: number[][], kh: number, kw: number, ci: number): KernelView {
  const co = rows.length;
  const data = new Float32Array(kh * kw * ci * co);
  for (let f = 0; f < co; f++)
    for (let c = 0; c < ci; c++)
      for (let h = 0; h < kh; h++)
        for (let w = 0; w < kw; w++) data[((h * kw + w) * ci + c) * co + f] = rows[f][(c * kh + h) * kw + w];
  return { data, shape: [kh, kw, ci, co] };
}

function randomKernel(kh: number, kw: number, ci: number, co: number, seed: number): KernelView {
  const rng = new Rng(seed);
  const bound = 1 / Math.sqrt(kh * kw * ci);
  return { data: rng.fillUniform(new Float32Array(kh * kw * ci * co), -bound, bound), shape: [kh, kw, ci, co] };
}

test('filterRows flattens HWIO filters in PyTorch (in, kh, kw) order', () => {
  const rows = [Array.from({ length: 18 }, (_, i) => i), Array.from({ length: 18 }, (_, i) => -i)];
  const k = kernelFromRows(rows, 3, 3, 2);
  assert.deepEqual(Array.from(filterRows(k)[0]), rows[0]);
  assert.deepEqual(Array.from(filterRows(k)[1]), rows[1]);
});

test('orthonormal filters score exactly 0', () => {
  const d = 9;
  const rows = [0, 1, 2, 3].map((i) => Array.from({ length: d }, (_, j) => (j === i ? 1 : 0)));
  const s = orthogonalityScores(kernelFromRows(rows, 3, 3, 1));
  for (const v of s) assert.ok(Math.abs(v) < 1e-12);
});

test('identical filters score (J−1)/J', () => {
  const J = 5;
  const rows = Array.from({ length: J }, () => [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const s = orthogonalityScores(kernelFromRows(rows, 3, 3, 1));
  for (const v of s) assert.ok(Math.abs(v - (J - 1) / J) < 1e-9, `${v}`);
});

test('an all-zero filter stays zero after normalisation and scores Σ|cos| of nothing', () => {
  const rows = [[0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0, 0, 0, 0]];
  const s = orthogonalityScores(kernelFromRows(rows, 3, 3, 1));
  assert.ok(Math.abs(s[0] - 1 / 2) < 1e-12); // |0 − 1| on the diagonal only
});

test('random conv1 (fan-in 27) vs conv2 (fan-in 288) mean scores ≈ 0.149 vs 0.046 (methods.md §1.2)', () => {
  const mean = (a: Float64Array) => a.reduce((x, y) => x + y, 0) / a.length;
  let m1 = 0;
  let m2 = 0;
  const trials = 8;
  for (let t = 0; t < trials; t++) {
    m1 += mean(orthogonalityScores(randomKernel(3, 3, 3, 32, 10 + t))) / trials;
    m2 += mean(orthogonalityScores(randomKernel(3, 3, 32, 32, 100 + t))) / trials;
  }
  assert.ok(Math.abs(m1 - 0.149) < 0.008, `conv1 mean ${m1}`);
  assert.ok(Math.abs(m2 - 0.046) < 0.003, `conv2 mean ${m2}`);
  // sqrt fan-in correction brings both to the same scale (≈ √(2/π)·31/32).
  const c1 = m1 * Math.sqrt(27);
  const c2 = m2 * Math.sqrt(288);
  assert.ok(Math.abs(c1 - c2) / c2 < 0.1, `${c1} vs ${c2}`);
  assert.deepEqual(Array.from(fanInCorrected(Float64Array.of(2), 16, 0.25)), [4]);
});

test('L2 and L1 norms per filter', () => {
  const k = kernelFromRows([[3, 4, 0, 0], [-1, -1, -1, -1]], 2, 2, 1);
  assert.deepEqual(Array.from(l2Norms(k)), [5, 2]);
  assert.deepEqual(Array.from(l1Norms(k)), [7, 4]);
});
