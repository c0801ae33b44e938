/**
 * Thin / truncated SVD of a dense row-major matrix through the Gram matrix of its smaller side and
 * ml-matrix's symmetric eigendecomposition (tred2 + tql2), because tfjs has no SVD and a general SVD of
 * 512×4608 takes ~19 s in ml-matrix (../shared/docs/ecosystem.md §2.3).
 *
 * Accuracy (measured in test/linalg/svd.test.ts): the eigenvalues of G = A·Aᵀ carry absolute error
 * ≈ ε·σ₁², so σᵢ has relative error ≈ ε·(σ₁/σᵢ)². Singular values above ~1e-6·σ₁ are accurate to
 * ~1e-4 relative or better; smaller ones (and their vectors) are lost. Full reconstructions match A to ~1e-13 relative, and
 * truncated ones at ranks ENC uses (σᵣ ≫ 1e-6·σ₁) match a full SVD's. The other side's vectors are
 * recovered as Aᵀ·U·Σ⁻¹; those with σ < 1e-4·σ₁ are re-orthogonalised, and those with σ < 1e-7·σ₁
 * replaced by an orthonormal completion and their σ reported as 0 (so on an exactly rank-3 matrix
 * σ₄… read 0 and the reconstruction is exact).
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
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

/** Row-major transpose into Float64Array. */
export function transpose(a: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) t[j * rows + i] = a[o + j];
  }
  return t;
}

/** G = A·Aᵀ for row-major A (rows×cols); four rows at a time for cache reuse. */
export function gramRows(a: Float64Array, rows: number, cols: number): Float64Array {
  const g = new Float64Array(rows * rows);
  for (let j = 0; j < rows; j++) {
    const oj = j * cols;
    let i = 0;
    for (; i + 3 <= j; i += 4) {
      const o0 = i * cols;
      const o1 = o0 + cols;
      const o2 = o1 + cols;
      const o3 = o2 + cols;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let p = 0; p < cols; p++) {
        const x = a[oj + p];
        s0 += a[o0 + p] * x;
        s1 += a[o1 + p] * x;
        s2 += a[o2 + p] * x;
        s3 += a[o3 + p] * x;
      }
      g[j * rows + i] = s0;
      g[j * rows + i + 1] = s1;
      g[j * rows + i + 2] = s2;
      g[j * rows + i + 3] = s3;
    }
    for (; i <= j; i++) {
      const oi = i * cols;
      let s = 0;
      for (let p = 0; p < cols; p++) s += a[oi + p] * a[oj + p];
      g[j * rows + i] = s;
    }
  }
  for (let j = 0; j < rows; j++) for (let i = 0; i < j; i++) g[i * rows + j] = g[j * rows + i];
  return g;
}

/**
 * Symmetric eigendecomposition, eigenvalues descending. Returns the eigenvectors as the columns of a
 * row-major n×n array.
 */
export function symmetricEigen(g: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const m = new Matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m.set(i, j, g[i * n + j]);
  const evd = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  const d = evd.realEigenvalues;
  const vecs = evd.eigenvectorMatrix;
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => d[y] - d[x]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    const src = order[c];
    values[c] = d[src];
    for (let r = 0; r < n; r++) vectors[r * n + c] = vecs.get(r, src);
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
  // Work on B = A (rows ≤ cols) or B = Aᵀ, so B is n×m with n ≤ m; then B = P·Σ·Qᵀ.
  const wide = rows <= cols;
  const m = wide ? cols : rows;
  const b = wide ? Float64Array.from(matrix) : transpose(matrix, rows, cols);
  const { values, vectors } = symmetricEigen(gramRows(b, n, m), n);
  const S = new Float64Array(kk);
  const P = new Float64Array(n * kk);
  for (let c = 0; c < kk; c++) {
    S[c] = Math.sqrt(Math.max(values[c], 0));
    for (let r = 0; r < n; r++) P[r * kk + c] = vectors[r * n + c];
  }
  // Q = Bᵀ·P·Σ⁻¹, built transposed (kk×m) so each column is contiguous: Qᵀ[c] = Σ_r P[r,c]·B[r] / σ_c.
  const qt = new Float64Array(kk * m);
  for (let c = 0; c < kk; c++) {
    const oq = c * m;
    for (let r = 0; r < n; r++) {
      const p = P[r * kk + c];
      if (p === 0) continue;
      const ob = r * m;
      for (let j = 0; j < m; j++) qt[oq + j] += b[ob + j] * p;
    }
  }
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
