/**
 * Thin / truncated SVD of a dense row-major matrix through the Gram matrix of its smaller side and
 * a symmetric eigendecomposition (tred2 + tql2, eigen.ts: ml-matrix's algorithm on flat arrays), because tfjs has no SVD and a general SVD of
 * 512×4608 takes ~19 s in ml-matrix (../shared/docs/ecosystem.md §2.3).
 *
 * Accuracy (test/linalg/svd.test.ts, against ml-matrix's full SVD on a 40×90 matrix with σ graded from 1
 * to 1e-10): the eigenvalues of G = A·Aᵀ carry absolute error ≈ ε·σ₁², so σᵢ has relative error
 * ≈ ε·(σ₁/σᵢ)² — measured 1e-13 at σ = 1e-2·σ₁, 7e-10 at 1e-4, 6e-8 at 1e-5, 2e-5 at 1e-6, and σ below
 * ~1e-7·σ₁ are lost (reported as 0). Truncated reconstructions at ranks whose σᵣ is above that limit
 * match the full SVD's (Eckart–Young error to 1e-9); the full reconstruction misses only the lost tail.
 * ENC's ranks (R_max and below on trained conv kernels) are far above the limit. The other side's
 * vectors are recovered as Aᵀ·U·Σ⁻¹; those with σ < 1e-4·σ₁ are re-orthogonalised, and those with
 * σ < 1e-7·σ₁ replaced by an orthonormal completion.
 * Speed: 512×4608 (VGG-16 512→512 channel matrix) is dominated by the 512×512 symmetric EVD; see
 * src/techniques/enc/README.md for timings.
 */
import { symmetricEigenRows } from './eigen.js';
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

/**
 * G = A·Aᵀ for row-major A (rows×cols). Blocked over columns (chunks of all rows stay in cache) with
 * 4 rows at a time in registers.
 */
export function gramRows(a: Float64Array, rows: number, cols: number): Float64Array {
  const g = new Float64Array(rows * rows);
  const PB = Math.max(64, Math.min(cols, Math.floor(262144 / Math.max(rows, 1))));
  for (let p0 = 0; p0 < cols; p0 += PB) {
    const p1 = Math.min(cols, p0 + PB);
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
        for (let p = p0; p < p1; p++) {
          const x = a[oj + p];
          s0 += a[o0 + p] * x;
          s1 += a[o1 + p] * x;
          s2 += a[o2 + p] * x;
          s3 += a[o3 + p] * x;
        }
        const og = j * rows + i;
        g[og] += s0;
        g[og + 1] += s1;
        g[og + 2] += s2;
        g[og + 3] += s3;
      }
      for (; i <= j; i++) {
        const oi = i * cols;
        let s = 0;
        for (let p = p0; p < p1; p++) s += a[oi + p] * a[oj + p];
        g[j * rows + i] += s;
      }
    }
  }
  for (let j = 0; j < rows; j++) for (let i = 0; i < j; i++) g[i * rows + j] = g[j * rows + i];
  return g;
}

/**
 * Qᵀ (k×m) = Pᵀ·B for P (n×k) and B (n×m), row-major: blocked over B's columns so a chunk of all n
 * rows stays in cache while every output row is accumulated, 4 output rows per pass.
 */
function projectRows(P: Float64Array, b: Float64Array, n: number, k: number, m: number): Float64Array {
  const qt = new Float64Array(k * m);
  const JB = Math.max(64, Math.min(m, Math.floor(131072 / Math.max(n, 1))));
  for (let j0 = 0; j0 < m; j0 += JB) {
    const j1 = Math.min(m, j0 + JB);
    let c = 0;
    for (; c + 4 <= k; c += 4) {
      const o0 = c * m;
      const o1 = o0 + m;
      const o2 = o1 + m;
      const o3 = o2 + m;
      let r = 0;
      for (; r + 2 <= n; r += 2) {
        const op = r * k + c;
        const q0 = P[op];
        const q1 = P[op + 1];
        const q2 = P[op + 2];
        const q3 = P[op + 3];
        const p0 = P[op + k];
        const p1 = P[op + k + 1];
        const p2 = P[op + k + 2];
        const p3 = P[op + k + 3];
        const ob = r * m;
        const ob2 = ob + m;
        for (let j = j0; j < j1; j++) {
          const x = b[ob + j];
          const y = b[ob2 + j];
          qt[o0 + j] += q0 * x + p0 * y;
          qt[o1 + j] += q1 * x + p1 * y;
          qt[o2 + j] += q2 * x + p2 * y;
          qt[o3 + j] += q3 * x + p3 * y;
        }
      }
      for (; r < n; r++) {
        const op = r * k + c;
        const q0 = P[op];
        const q1 = P[op + 1];
        const q2 = P[op + 2];
        const q3 = P[op + 3];
        const ob = r * m;
        for (let j = j0; j < j1; j++) {
          const x = b[ob + j];
          qt[o0 + j] += q0 * x;
          qt[o1 + j] += q1 * x;
          qt[o2 + j] += q2 * x;
          qt[o3 + j] += q3 * x;
        }
      }
    }
    for (; c < k; c++) {
      const o = c * m;
      for (let r = 0; r < n; r++) {
        const q = P[r * k + c];
        const ob = r * m;
        for (let j = j0; j < j1; j++) qt[o + j] += q * b[ob + j];
      }
    }
  }
  return qt;
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
  // Q = Bᵀ·P·Σ⁻¹, built transposed (kk×m) so each column is contiguous.
  const qt = projectRows(P, b, n, kk, m);
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
