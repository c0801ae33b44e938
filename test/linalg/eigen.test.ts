import { test } from 'node:test';
import assert from 'node:assert/strict';
import { symmetricEigenRows } from '../../src/linalg/eigen.js';
import { randomArray } from '../helpers/backends.js';

// Sizes cover the unrolled loops' remainders (4 rows, 2 rows, 8 columns) and n = 1, 2.
for (const n of [1, 2, 7, 64, 101]) {
  test(`symmetricEigenRows: 1-D Laplacian tridiag(−1, 2, −1) of size ${n} against its closed form`, () => {
    // λ_k = 2 − 2·cos(kπ/(n+1)), v_k[j] = √(2/(n+1))·sin(jkπ/(n+1)), k, j = 1..n; ascending in k.
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      a[i * n + i] = 2;
      if (i + 1 < n) a[i * n + i + 1] = a[(i + 1) * n + i] = -1;
    }
    const { values, rows } = symmetricEigenRows(a, n);
    for (let k = 1; k <= n; k++) {
      const lambda = 2 - 2 * Math.cos((k * Math.PI) / (n + 1));
      assert.ok(Math.abs(values[k - 1] - lambda) < 1e-13, `λ_${k} = ${values[k - 1]} vs ${lambda}`);
      let dot = 0;
      for (let j = 1; j <= n; j++) dot += rows[(k - 1) * n + j - 1] * Math.sqrt(2 / (n + 1)) * Math.sin((j * k * Math.PI) / (n + 1));
      assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-12, `eigenvector ${k}: |cos| = ${Math.abs(dot)}`);
    }
  });
}

test('symmetricEigenRows: dense random symmetric 70×70, residual and orthonormality at machine precision', () => {
  const n = 70;
  const r = randomArray(n * n, 5);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = r[i * n + j] + r[j * n + i];
  const { values, rows } = symmetricEigenRows(a, n);
  const scale = Math.max(Math.abs(values[0]), Math.abs(values[n - 1]));
  for (let k = 0; k < n; k++) {
    if (k > 0) assert.ok(values[k] >= values[k - 1], 'ascending');
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += a[i * n + j] * rows[k * n + j];
      assert.ok(Math.abs(s - values[k] * rows[k * n + i]) < 1e-13 * scale, 'A·v = λ·v');
    }
    for (let l = 0; l <= k; l++) {
      let d = 0;
      for (let j = 0; j < n; j++) d += rows[k * n + j] * rows[l * n + j];
      assert.ok(Math.abs(d - (k === l ? 1 : 0)) < 1e-13, 'orthonormal');
    }
  }
});
