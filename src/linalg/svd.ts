/**
 * Thin / truncated SVD of a dense row-major matrix through the Gram matrix of its smaller side and
 * a symmetric eigendecomposition (tred2 + tql2, eigen.ts), because tfjs has no SVD and a general SVD of
 * 512×4608 takes ~19 s in ml-matrix (../shared/docs/ecosystem.md §2.3). Everything is float64: the
 * two products (G = B·Bᵀ, Qᵀ = Pᵀ·B) run on gemm.ts's WebAssembly SIMD kernel.
 *
 * Accuracy (test/linalg/svd.test.ts, against ml-matrix's full SVD on a 40×90 matrix with σ graded from 1
 * to 1e-10): the eigenvalues of G = A·Aᵀ carry absolute error ≈ ε·σ₁², so σᵢ has relative error
 * ≈ ε·(σ₁/σᵢ)² — measured 1e-13 at σ = 1e-2·σ₁, 7e-10 at 1e-4, 6e-8 at 1e-5, 2e-5 at 1e-6, and σ below
 * ~1e-7·σ₁ are lost (reported as 0). Truncated reconstructions at ranks whose σᵣ is above that limit
 * match the full SVD's (Eckart–Young error to 1e-9); the full reconstruction misses only the lost tail.
 * ENC's ranks (R_max and below on trained conv kernels) are far above the limit. The other side's
 * vectors are recovered as Aᵀ·U·Σ⁻¹; those with σ < 1e-4·σ₁ are re-orthogonalised, and those with
 * σ < 1e-7·σ₁ replaced by an orthonormal completion.
 * Speed (`npm run bench:svd`): 512×4608 (a 512→512 3×3 conv as a channel matrix), all 512 triplets,
 * ~1.3–1.8 s CPU on one thread: Gram ~0.25 s, the 512×512 EVD ~0.6–0.8 s, V recovery ~0.5 s.
 * LAPACK's gesdd takes ~1.3–1.5 s there (one thread).
 */
import { symmetricEigenRows } from './eigen.js';
import { gemmNT, gramNT } from './gemm.js';
import { ShapeError } from '../core/errors.js';

/** A ≈ U·diag(S)·Vᵀ. `U` is rows×k, `V` is cols×k, both row-major Float64Array; S descending. */
export interface SvdResult {
  U: Float64Array;
  S: Float64Array;
  V: Float64Array;
  rows: number;
  cols: number;
  k: number;
}

/** Row-major transpose into Float64Array, in 32×32 tiles (the strided writes stay in cache). */
export function transpose(a: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  const T = 32;
  for (let i0 = 0; i0 < rows; i0 += T) {
    const i1 = Math.min(rows, i0 + T);
    for (let j0 = 0; j0 < cols; j0 += T) {
      const j1 = Math.min(cols, j0 + T);
      for (let i = i0; i < i1; i++) {
        const o = i * cols;
        for (let j = j0; j < j1; j++) t[j * rows + i] = a[o + j];
      }
    }
  }
  return t;
}

/**
 * G = A·Aᵀ for row-major A (rows×cols), in float64 (gemm.ts: WebAssembly SIMD kernel, or JavaScript).
 */
export function gramRows(a: Float64Array, rows: number, cols: number): Float64Array {
  return gramNT(a, rows, cols);
}

/**
 * Symmetric eigendecomposition, eigenvalues descending. Returns the eigenvectors as the columns of a
 * row-major n×n array.
 */
export function symmetricEigen(g: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const { values: d, rows } = symmetricEigenRows(g, n);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    const src = n - 1 - c; // tql2 sorts ascending
    values[c] = d[src];
    for (let r = 0; r < n; r++) vectors[r * n + c] = rows[src * n + r];
  }
  return { values, vectors };
}

/**
 * Repairs rows of `qt` (k×n, row-major: row c is column c of Q). Rows flagged 'fix' (small σ, so
 * inaccurate) are re-orthogonalised against the rows before them; rows flagged 'complete' (σ ≈ 0) are
 * replaced by unit vectors orthogonal to all others (two passes of modified Gram–Schmidt). 'keep' rows
 * are left as computed: their orthogonality error is ≈ ε·(σ₁/σ_c)² ≤ ~1e-8.
 */
function repairRows(qt: Float64Array, k: number, n: number, flag: Array<'keep' | 'fix' | 'complete'>): void {
  const v = new Float64Array(n);
  let probe = 0;
  const done = flag.map((f) => f === 'keep');
  const project = () => {
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < k; p++) {
        if (!done[p]) continue;
        const o = p * n;
        let d = 0;
        for (let j = 0; j < n; j++) d += qt[o + j] * v[j];
        for (let j = 0; j < n; j++) v[j] -= d * qt[o + j];
      }
    }
    let norm = 0;
    for (let j = 0; j < n; j++) norm += v[j] * v[j];
    return Math.sqrt(norm);
  };
  for (let c = 0; c < k; c++) {
    if (done[c]) continue;
    if (flag[c] === 'fix') {
      v.set(qt.subarray(c * n, c * n + n));
      const norm = project();
      if (norm > 0.5) {
        for (let j = 0; j < n; j++) qt[c * n + j] = v[j] / norm;
        done[c] = true;
        continue;
      }
    }
    for (let attempt = 0; attempt <= n && !done[c]; attempt++) {
      v.fill(0);
      v[probe++ % n] = 1;
      const norm = project();
      if (norm > 1e-6) {
        for (let j = 0; j < n; j++) qt[c * n + j] = v[j] / norm;
        done[c] = true;
      }
    }
    if (!done[c]) throw new Error('svdTopK: could not complete an orthonormal basis');
  }
}

/**
 * Top-k singular triplets of a row-major rows×cols matrix (k defaults to min(rows, cols)).
 * @example const { U, S, V } = svdTopK(w, 512, 4608, 64) // A ≈ U·diag(S)·Vᵀ
 */
export function svdTopK(matrix: Float32Array | Float64Array | ArrayLike<number>, rows: number, cols: number, k?: number): SvdResult {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
    throw new ShapeError(`svdTopK: invalid shape ${rows}×${cols}`);
  }
  if (matrix.length !== rows * cols) {
    throw new ShapeError(`svdTopK: matrix has ${matrix.length} elements, expected ${rows}×${cols} = ${rows * cols}`);
  }
  const n = Math.min(rows, cols);
  const kk = k === undefined ? n : Math.max(0, Math.min(n, Math.floor(k)));
  // Work on B = A (rows ≤ cols) or B = Aᵀ, so B is n×m with n ≤ m; then B = P·Σ·Qᵀ. Both B and Bᵀ
  // are needed row-major (G = B·Bᵀ, Qᵀ = Pᵀ·B = Pᵀ·(Bᵀ)ᵀ), so both products are the row-dot kernel.
  const wide = rows <= cols;
  const m = wide ? cols : rows;
  const a64 = Float64Array.from(matrix);
  const at = transpose(a64, rows, cols);
  const b = wide ? a64 : at;
  const bt = wide ? at : a64;
  // Eigenvectors come back as rows, ascending: row n−1−c of `vectors` is column c of P.
  const { values, rows: vectors } = symmetricEigenRows(gramRows(b, n, m), n);
  const S = new Float64Array(kk);
  const pt = new Float64Array(kk * n);
  for (let c = 0; c < kk; c++) {
    S[c] = Math.sqrt(Math.max(values[n - 1 - c], 0));
    pt.set(vectors.subarray((n - 1 - c) * n, (n - c) * n), c * n);
  }
  const P = transpose(pt, kk, n);
  // Q = Bᵀ·P·Σ⁻¹, built transposed (kk×m) so each column is contiguous.
  const qt = gemmNT(pt, bt, kk, m, n);
  const s1 = S[0] ?? 0;
  const flag: Array<'keep' | 'fix' | 'complete'> = [];
  for (let c = 0; c < kk; c++) {
    flag.push(S[c] > 1e-4 * s1 ? 'keep' : S[c] > 1e-7 * s1 && S[c] > 0 ? 'fix' : 'complete');
    if (flag[c] !== 'complete') for (let j = 0, o = c * m; j < m; j++) qt[o + j] /= S[c];
    else S[c] = 0; // below the Gram route's resolution (≈ √ε·σ₁): reported as 0
  }
  repairRows(qt, kk, m, flag);
  const Q = transpose(qt, kk, m);
  return wide
    ? { U: P, S, V: Q, rows, cols, k: kk }
    : { U: Q, S, V: P, rows, cols, k: kk };
}

/** U[:, :r]·diag(S[:r])·V[:, :r]ᵀ as a row-major rows×cols Float64Array. */
export function reconstruct(svd: SvdResult, r = svd.k): Float64Array {
  const { U, S, V, rows, cols, k } = svd;
  const rr = Math.min(r, k);
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < rr; c++) {
      const u = U[i * k + c] * S[c];
      if (u === 0) continue;
      const o = i * cols;
      for (let j = 0; j < cols; j++) out[o + j] += u * V[j * k + c];
    }
  }
  return out;
}
