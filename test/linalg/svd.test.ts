import { test } from 'node:test';
import assert from 'node:assert/strict';
import { svdTopK, reconstruct } from '../../src/linalg/svd.js';
import { randomArray } from '../helpers/backends.js';

function orthoErr(q: Float64Array, n: number, k: number): number {
  let e = 0;
  for (let a = 0; a < k; a++)
    for (let b = 0; b < k; b++) {
      let d = 0;
      for (let i = 0; i < n; i++) d += q[i * k + a] * q[i * k + b];
      e = Math.max(e, Math.abs(d - (a === b ? 1 : 0)));
    }
  return e;
}
function relFro(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

test('svdTopK: known decomposition (diagonal with a permutation and signs)', () => {
  // A = [[0, 3, 0], [-2, 0, 0]] → σ = 3, 2.
  const s = svdTopK(new Float64Array([0, 3, 0, -2, 0, 0]), 2, 3);
  assert.deepEqual(Array.from(s.S).map((x) => +x.toFixed(12)), [3, 2]);
  assert.ok(relFro(reconstruct(s), [0, 3, 0, -2, 0, 0]) < 1e-14);
});

for (const [r, c] of [[20, 57], [57, 20], [48, 48]] as const) {
  test(`svdTopK ${r}×${c}: full reconstruction, orthonormal U and V, truncation optimal`, () => {
    const a = randomArray(r * c, r + c);
    const s = svdTopK(a, r, c);
    assert.ok(relFro(reconstruct(s), a) < 1e-12, 'full-rank reconstruction');
    assert.ok(orthoErr(s.U, r, s.k) < 1e-10, 'U orthonormal');
    assert.ok(orthoErr(s.V, c, s.k) < 1e-10, 'V orthonormal');
    for (let i = 1; i < s.k; i++) assert.ok(s.S[i] <= s.S[i - 1]);
    // Eckart–Young: the rank-k error is sqrt(Σ_{i>k} σ_i²).
    const k = 5;
    const t = svdTopK(a, r, c, k);
    let err = 0;
    const rec = reconstruct(t);
    for (let i = 0; i < a.length; i++) err += (rec[i] - a[i]) ** 2;
    let tail = 0;
    for (let i = k; i < s.k; i++) tail += s.S[i] ** 2;
    assert.ok(Math.abs(Math.sqrt(err) - Math.sqrt(tail)) < 1e-9 * Math.sqrt(tail));
  });
}

test('svdTopK: rank-deficient matrix gets an orthonormal completion; Gram-route loss of tiny σ is bounded', () => {
  // rank 3 (outer products) plus a 1e-9 perturbation direction.
  const r = 12;
  const c = 30;
  const u = randomArray(r * 3, 1);
  const v = randomArray(c * 3, 2);
  const a = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) for (let k = 0; k < 3; k++) a[i * c + j] += u[i * 3 + k] * v[j * 3 + k];
  const s = svdTopK(a, r, c);
  assert.ok(orthoErr(s.U, r, s.k) < 1e-10);
  assert.ok(orthoErr(s.V, c, s.k) < 1e-8);
  assert.ok(relFro(reconstruct(s), a) < 1e-12);
  for (let i = 3; i < s.k; i++) assert.ok(s.S[i] < 1e-6 * s.S[0], `σ_${i} = ${s.S[i]} should be ~0 (≤ sqrt(ε)·σ₁)`);
});

test('svdTopK rejects wrong sizes', () => {
  assert.throws(() => svdTopK(new Float32Array(5), 2, 3), /expected 2×3/);
});

test('svdTopK vs ml-matrix full SVD on a graded spectrum (σ from 1 to 1e-10): accuracy of the Gram route', async () => {
  const { SingularValueDecomposition, Matrix } = await import('ml-matrix');
  // A = Q1·diag(σ)·Q2ᵀ with σ_i = 10^(−10·i/(r−1)), Q1/Q2 orthonormal from QR of random matrices.
  const r = 40;
  const c = 90;
  const q1 = new SingularValueDecomposition(new Matrix(Array.from({ length: r }, (_, i) => Array.from(randomArray(r, 100 + i))))).leftSingularVectors;
  const q2 = new SingularValueDecomposition(new Matrix(Array.from({ length: c }, (_, i) => Array.from(randomArray(r, 300 + i))))).leftSingularVectors;
  const sig = Array.from({ length: r }, (_, i) => 10 ** ((-10 * i) / (r - 1)));
  const a = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) for (let k = 0; k < r; k++) a[i * c + j] += q1.get(i, k) * sig[k] * q2.get(j, k);
  const ours = svdTopK(a, r, c);
  const ref = new SingularValueDecomposition(new Matrix(Array.from({ length: r }, (_, i) => Array.from(a.subarray(i * c, i * c + c)))), { autoTranspose: true });
  const rs = ref.diagonal;
  for (let i = 0; i < r; i++) {
    const rel = Math.abs(ours.S[i] - rs[i]) / rs[i];
    // Gram route: relative error ≈ ε·(σ₁/σᵢ)²; accurate down to ~1e-5·σ₁, lost below ~1e-7·σ₁.
    if (rs[i] > 1e-5) assert.ok(rel < 1e-4, `σ_${i} = ${rs[i]}: rel err ${rel}`);
    if (rs[i] < 1e-8) assert.ok(ours.S[i] < 1e-7, `σ_${i} = ${rs[i]} comes out as ${ours.S[i]} (unresolved)`);
  }
  // Truncated reconstruction at a rank above the resolution limit equals the full SVD's (Eckart–Young).
  for (const k of [5, 15]) {
    const rec = reconstruct(svdTopK(a, r, c, k));
    let e = 0;
    for (let i = 0; i < a.length; i++) e += (rec[i] - a[i]) ** 2;
    let tail = 0;
    for (let i = k; i < r; i++) tail += rs[i] ** 2;
    assert.ok(Math.abs(Math.sqrt(e) - Math.sqrt(tail)) < 1e-9, `rank ${k}: ${Math.sqrt(e)} vs ${Math.sqrt(tail)}`);
  }
  const full = reconstruct(ours);
  assert.ok(relFro(full, a) < 1e-7, `full reconstruction rel err ${relFro(full, a)}`);
});

/** Orthonormal DST-I matrix: S[j][k] = √(2/(N+1))·sin((j+1)(k+1)π/(N+1)) (symmetric, S·S = I). */
function dst(N: number, j: number, k: number): number {
  return Math.sqrt(2 / (N + 1)) * Math.sin(((j + 1) * (k + 1) * Math.PI) / (N + 1));
}

for (const [r, c] of [[70, 130], [130, 70]] as const) {
  test(`svdTopK ${r}×${c} = Q₁·diag(σ)·Q₂ᵀ with closed-form sine bases: σ and both sides' vectors`, () => {
    // σ_i = 10·0.9^i (condition 1.4e3), Q₁ = DST-I of size r, Q₂ = first min(r, c) columns of DST-I of size c.
    const n = Math.min(r, c);
    const sigma = Array.from({ length: n }, (_, i) => 10 * 0.9 ** i);
    const a = new Float64Array(r * c);
    for (let i = 0; i < r; i++)
      for (let j = 0; j < c; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += dst(r, i, k) * sigma[k] * dst(c, j, k);
        a[i * c + j] = s;
      }
    const out = svdTopK(a, r, c);
    for (let k = 0; k < n; k++) {
      // Gram route: relative error ≈ ε·(σ₁/σ_k)² ≤ 1e-10 here.
      assert.ok(Math.abs(out.S[k] - sigma[k]) / sigma[k] < 1e-9, `σ_${k} = ${out.S[k]} vs ${sigma[k]}`);
      let du = 0;
      let dv = 0;
      for (let i = 0; i < r; i++) du += out.U[i * n + k] * dst(r, i, k);
      for (let j = 0; j < c; j++) dv += out.V[j * n + k] * dst(c, j, k);
      assert.ok(Math.abs(Math.abs(du) - 1) < 1e-9, `u_${k}: |cos| = ${Math.abs(du)}`);
      assert.ok(Math.abs(du * dv - 1) < 1e-9, `v_${k} has u_${k}'s sign: ${du * dv}`);
    }
  });
}
