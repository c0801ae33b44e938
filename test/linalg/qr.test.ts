import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pivotedQr, nullSpace, orthogonalComplement } from '../../src/linalg/qr.js';
import { randomArray } from '../helpers/backends.js';

function check(a: Float64Array, m: number, n: number, mode: 'full' | 'economic') {
  const { Q, R, perm, qCols } = pivotedQr(a, m, n, { mode });
  for (let x = 0; x < qCols; x++)
    for (let y = 0; y < qCols; y++) {
      let d = 0;
      for (let i = 0; i < m; i++) d += Q[i * qCols + x] * Q[i * qCols + y];
      assert.ok(Math.abs(d - (x === y ? 1 : 0)) < 1e-12, 'Q orthonormal');
    }
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < qCols; k++) s += Q[i * qCols + k] * R[k * n + j];
      assert.ok(Math.abs(s - a[i * n + perm[j]]) < 1e-12, 'A·P = Q·R');
    }
  for (let i = 0; i < qCols; i++) for (let j = 0; j < Math.min(i, n); j++) assert.equal(R[i * n + j], 0, 'R upper');
  const d = Array.from({ length: Math.min(m, n) }, (_, i) => Math.abs(R[i * n + i]));
  for (let i = 1; i < d.length; i++) assert.ok(d[i] <= d[i - 1] + 1e-12, 'pivoting orders |R_ii|');
}

test('pivotedQr: orthonormal Q, A·P = Q·R, decreasing |diag R| (tall, wide, square; full and economic)', () => {
  for (const [m, n] of [[7, 4], [4, 7], [6, 6]] as const) {
    const a = Float64Array.from(randomArray(m * n, m * 10 + n));
    check(a, m, n, 'full');
    check(a, m, n, 'economic');
  }
});

test('pivotedQr: rank of rank-deficient matrices (absolute ε and relative tolerance)', () => {
  const m = 9;
  const n = 6;
  const u = randomArray(m * 2, 3);
  const v = randomArray(n * 2, 4);
  const a = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[i * n + j] = u[i * 2] * v[j * 2] + u[i * 2 + 1] * v[j * 2 + 1];
  assert.equal(pivotedQr(a, m, n, { relativeTol: true }).rank, 2);
  assert.equal(pivotedQr(new Float64Array(12), 3, 4).rank, 0);
  assert.equal(pivotedQr(Float64Array.from(randomArray(12, 5)), 3, 4).rank, 3);
});

test('nullSpace / orthogonalComplement: dimension d − rank, orthonormal, ⟂ every row', () => {
  const k = 5;
  const d = 12;
  const rows = Float64Array.from(randomArray(k * d, 9));
  rows.set(rows.subarray(0, d), 4 * d); // duplicate row → rank 4
  const ns = nullSpace(rows, k, d, { relativeTol: true });
  assert.equal(ns.rank, 4);
  assert.equal(ns.dim, 8);
  const vs = orthogonalComplement(rows, k, d, { relativeTol: true });
  assert.equal(vs.length, 8);
  for (const v of vs) {
    for (let r = 0; r < k; r++) {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += v[i] * rows[r * d + i];
      assert.ok(Math.abs(dot) < 1e-12);
    }
    assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-12);
  }
  assert.equal(orthogonalComplement(new Float64Array(0), 0, 3).length, 3);
  assert.equal(orthogonalComplement(Float64Array.from(randomArray(27 * 40, 1)), 40, 27).length, 0);
});
