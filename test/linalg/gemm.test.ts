import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gemmNT, gramNT, wasmGemmAvailable } from '../../src/linalg/gemm.js';
import { randomArray } from '../helpers/backends.js';

function naive(x: Float64Array, y: Float64Array, p: number, q: number, n: number): Float64Array {
  const c = new Float64Array(p * q);
  for (let i = 0; i < p; i++)
    for (let j = 0; j < q; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += x[i * n + k] * y[j * n + k];
      c[i * q + j] = s;
    }
  return c;
}
function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

test('WebAssembly SIMD gemm kernel is available on Node 20', () => {
  assert.ok(wasmGemmAvailable());
});

// Shapes hit every edge: p not a multiple of 4, q odd, n odd (padding), n > 256 (several k-chunks), 1×1.
for (const impl of ['wasm', 'js'] as const) {
  for (const [p, q, n] of [[1, 1, 1], [5, 3, 7], [4, 2, 2], [13, 9, 600], [8, 11, 513], [3, 17, 256]] as const) {
    test(`gemmNT/gramNT (${impl}) ${p}×${n} · (${q}×${n})ᵀ equal a naive triple loop`, () => {
      const x = Float64Array.from(randomArray(p * n, p * 31 + n));
      const y = Float64Array.from(randomArray(q * n, q * 17 + n + 1));
      // Entries are sums of n products of values in [−1, 1): allow n·ε-scale rounding differences.
      const tol = 1e-15 * n * 4;
      assert.ok(maxAbsDiff(gemmNT(x, y, p, q, n, { impl }), naive(x, y, p, q, n)) < tol);
      const g = gramNT(x, p, n, { impl });
      assert.ok(maxAbsDiff(g, naive(x, x, p, p, n)) < tol);
      for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) assert.equal(g[i * p + j], g[j * p + i], 'G symmetric');
    });
  }
}
