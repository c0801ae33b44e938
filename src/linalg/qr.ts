/**
 * Rank-revealing Householder QR with column pivoting (LAPACK xGEQPF semantics, as
 * `scipy.linalg.qr(A, pivoting=True)`): A[:, perm] = Q·R with |R₀₀| ≥ |R₁₁| ≥ …, plus the null-space /
 * orthogonal-complement helper RePr's re-initialisation needs (../shared/docs/methods.md §1.4).
 * All matrices are row-major Float64Array.
 */
import { ShapeError } from '../core/errors.js';

export interface QrOptions {
  /** 'full': Q is m×m (as scipy mode='full'); 'economic': Q is m×min(m,n). Default 'full'. */
  mode?: 'full' | 'economic';
  /**
   * Rank threshold on |R_ii|. Default `Number.EPSILON` absolute, which is what the RePr reference
   * (`qr_null`, methods.md §1.4) uses; with `relativeTol: true` the threshold is
   * tol·max(m, n)·|R₀₀| (numpy `matrix_rank` style; tol defaults to ε then too).
   */
  tol?: number;
  relativeTol?: boolean;
}

export interface QrResult {
  /** m×qCols, orthonormal columns. */
  Q: Float64Array;
  /** qCols×n upper-triangular (trapezoidal) factor, for the permuted columns. */
  R: Float64Array;
  /** Column permutation: column j of Q·R is column perm[j] of A. */
  perm: Int32Array;
  /** Number of |R_ii| above the threshold. */
  rank: number;
  m: number;
  n: number;
  qCols: number;
}

/**
 * @example const { Q, R, perm, rank } = pivotedQr(a, 4, 3) // a row-major 4×3
 */
export function pivotedQr(a: ArrayLike<number>, m: number, n: number, opts: QrOptions = {}): QrResult {
  if (!Number.isInteger(m) || !Number.isInteger(n) || m < 0 || n < 0 || a.length !== m * n) {
    throw new ShapeError(`pivotedQr: matrix has ${a.length} elements, expected ${m}×${n}`);
  }
  const mode = opts.mode ?? 'full';
  const kmin = Math.min(m, n);
  // Column-major working copy: column c is w[c*m .. c*m+m).
  const w = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let c = 0; c < n; c++) w[c * m + i] = a[i * n + c];
  const perm = new Int32Array(n);
  for (let c = 0; c < n; c++) perm[c] = c;
  const vs: Float64Array[] = [];
  const betas: number[] = [];
  const diag = new Float64Array(kmin);
  const norms = new Float64Array(n);
  for (let j = 0; j < kmin; j++) {
    // Pivot: the remaining column with the largest norm below row j (recomputed: exact, O(mn) a step).
    let best = j;
    let bestNorm = -1;
    for (let c = j; c < n; c++) {
      let s = 0;
      for (let i = j, o = c * m; i < m; i++) s += w[o + i] * w[o + i];
      norms[c] = s;
      if (s > bestNorm) {
        bestNorm = s;
        best = c;
      }
    }
    if (best !== j) {
      for (let i = 0; i < m; i++) {
        const t = w[j * m + i];
        w[j * m + i] = w[best * m + i];
        w[best * m + i] = t;
      }
      const tp = perm[j];
      perm[j] = perm[best];
      perm[best] = tp;
    }
    // Householder vector for w[j:, j].
    const len = m - j;
    const v = new Float64Array(len);
    for (let i = 0; i < len; i++) v[i] = w[j * m + j + i];
    const xnorm = Math.sqrt(bestNorm);
    if (xnorm === 0) {
      vs.push(v.fill(0));
      betas.push(0);
      diag[j] = 0;
      continue;
    }
    const alpha = v[0] >= 0 ? -xnorm : xnorm;
    v[0] -= alpha;
    let vtv = 0;
    for (let i = 0; i < len; i++) vtv += v[i] * v[i];
    const beta = vtv === 0 ? 0 : 2 / vtv;
    vs.push(v);
    betas.push(beta);
    diag[j] = alpha;
    w[j * m + j] = alpha;
    for (let i = 1; i < len; i++) w[j * m + j + i] = 0;
    for (let c = j + 1; c < n; c++) {
      const o = c * m + j;
      let d = 0;
      for (let i = 0; i < len; i++) d += v[i] * w[o + i];
      d *= beta;
      if (d !== 0) for (let i = 0; i < len; i++) w[o + i] -= d * v[i];
    }
  }
  const qCols = mode === 'full' ? m : kmin;
  const R = new Float64Array(qCols * n);
  for (let i = 0; i < Math.min(qCols, kmin); i++) for (let c = i; c < n; c++) R[i * n + c] = w[c * m + i];
  // Q = H₀·H₁·…·H_{k−1}·I[:, :qCols], applied right to left on column-major storage.
  const q = new Float64Array(m * qCols);
  for (let c = 0; c < qCols; c++) q[c * m + c] = 1;
  for (let j = kmin - 1; j >= 0; j--) {
    const v = vs[j];
    const beta = betas[j];
    if (beta === 0) continue;
    for (let c = 0; c < qCols; c++) {
      const o = c * m + j;
      let d = 0;
      for (let i = 0; i < v.length; i++) d += v[i] * q[o + i];
      d *= beta;
      if (d !== 0) for (let i = 0; i < v.length; i++) q[o + i] -= d * v[i];
    }
  }
  const Q = new Float64Array(m * qCols);
  for (let c = 0; c < qCols; c++) for (let i = 0; i < m; i++) Q[i * qCols + c] = q[c * m + i];
  const eps = opts.tol ?? Number.EPSILON;
  const tol = opts.relativeTol ? eps * Math.max(m, n) * Math.abs(diag[0] ?? 0) : eps;
  let rank = 0;
  for (let i = 0; i < kmin; i++) if (Math.abs(diag[i]) > tol) rank++;
  return { Q, R, perm, rank, m, n, qCols };
}

export interface NullSpace {
  /** n×dim row-major: the columns are an orthonormal basis of {x : A·x = 0}. */
  basis: Float64Array;
  dim: number;
  /** Numerical rank of A. */
  rank: number;
  n: number;
}

/**
 * Orthonormal basis of the null space of A (m×n), i.e. of the orthogonal complement of A's rows:
 * Q[:, rank:] of the full pivoted QR of Aᵀ (methods.md §1.4, `qr_null`). dim = n − rank.
 * @example nullSpace(rows, k, d).basis // d×(d−rank), columns ⟂ every row
 */
export function nullSpace(a: ArrayLike<number>, m: number, n: number, opts: Omit<QrOptions, 'mode'> = {}): NullSpace {
  if (a.length !== m * n) throw new ShapeError(`nullSpace: matrix has ${a.length} elements, expected ${m}×${n}`);
  const at = new Float64Array(n * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) at[j * m + i] = a[i * n + j];
  const { Q, rank } = pivotedQr(at, n, m, { ...opts, mode: 'full' });
  const dim = n - rank;
  const basis = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) for (let c = 0; c < dim; c++) basis[i * dim + c] = Q[i * n + rank + c];
  return { basis, dim, rank, n };
}

/** The orthogonal complement of the span of `vectors` (k rows of length d), as an array of unit vectors. */
export function orthogonalComplement(vectors: ArrayLike<number>, k: number, d: number, opts: Omit<QrOptions, 'mode'> = {}): Float64Array[] {
  const ns = nullSpace(vectors, k, d, opts);
  const out: Float64Array[] = [];
  for (let c = 0; c < ns.dim; c++) {
    const v = new Float64Array(d);
    for (let i = 0; i < d; i++) v[i] = ns.basis[i * ns.dim + c];
    out.push(v);
  }
  return out;
}
