/**
 * ENC layer factorisation on plain typed arrays (methods.md §3.1; reference: Hyeji-Kim/ENC
 * init/decomp_init/1_decomp.py `cv_channel`, `cv_spatial`, `decomp_weights`). Kernels are tfjs HWIO
 * `[kh, kw, in, out]`, dense kernels `[in, out]`.
 *
 * - channel (the first conv): M = N × (C·kh·kw), rows = filters; a = K full-size filters
 *   `V[:, :K]·√S` (HWIO [kh, kw, C, K]), b = 1×1 conv `U[:, :K]·√S` ([1, 1, K, N]).
 * - spatial (every other conv): M = (C·kh) × (kw·N) (the reference's transpose(1,2,3,0) reshape);
 *   a = kh×1 conv `U[:, :K]·√S` ([kh, 1, C, K]), b = 1×kw conv `V[:, :K]·√S` ([1, kw, K, N]).
 * - dense: M = N × C; a = `diag(S)·Vᵀ` ([C, K]), b = `U` ([K, N]) — all of S on the first factor, as the
 *   reference's `fc_decomp_2d` weights.
 * Bias: a has none (the reference zeroes it with lr_mult 0), b takes the original bias.
 * Factors are computed once at some rank and any smaller rank is obtained by slicing the first r
 * components (reference `decomp_weights`), never by recomputing the SVD.
 */
import { svdTopK } from '../../linalg/svd.js';
import { ShapeError } from '../../core/errors.js';

export type Scheme = 'channel' | 'spatial' | 'dense';

/** Geometry of one factorisable layer's kernel. Dense layers use kh = kw = 1. */
export interface KernelGeometry {
  scheme: Scheme;
  kh: number;
  kw: number;
  cin: number;
  cout: number;
}

export interface Factors {
  geom: KernelGeometry;
  /** Number of components stored. */
  rank: number;
  /** First factor kernel: channel [kh, kw, C, r], spatial [kh, 1, C, r], dense [C, r]. */
  a: Float32Array;
  /** Second factor kernel: channel [1, 1, r, N], spatial [1, kw, r, N], dense [r, N]. */
  b: Float32Array;
  /** All min(rows, cols) singular values of the reshaped matrix, descending. */
  singularValues: Float64Array;
}

/** Shape [rows, cols] of the matrix the scheme factorises. */
export function matrixShape(g: KernelGeometry): [number, number] {
  if (g.scheme === 'channel') return [g.cout, g.cin * g.kh * g.kw];
  if (g.scheme === 'spatial') return [g.cin * g.kh, g.kw * g.cout];
  return [g.cout, g.cin];
}

/** Reshapes an HWIO (or [in, out]) kernel to the scheme's matrix, row-major Float64Array. */
export function kernelToMatrix(kernel: ArrayLike<number>, g: KernelGeometry): Float64Array {
  const { kh, kw, cin: C, cout: N } = g;
  if (kernel.length !== kh * kw * C * N) throw new ShapeError(`kernel has ${kernel.length} values, expected ${kh}×${kw}×${C}×${N}`);
  const [rows, cols] = matrixShape(g);
  const m = new Float64Array(rows * cols);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let c = 0; c < C; c++)
        for (let n = 0; n < N; n++) {
          const v = kernel[((y * kw + x) * C + c) * N + n];
          if (g.scheme === 'channel') m[n * cols + (c * kh + y) * kw + x] = v;
          else if (g.scheme === 'spatial') m[(c * kh + y) * cols + x * N + n] = v;
          else m[n * cols + c] = v;
        }
  return m;
}

/** Inverse of `kernelToMatrix`. */
export function matrixToKernel(m: ArrayLike<number>, g: KernelGeometry): Float32Array {
  const { kh, kw, cin: C, cout: N } = g;
  const [, cols] = matrixShape(g);
  const k = new Float32Array(kh * kw * C * N);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let c = 0; c < C; c++)
        for (let n = 0; n < N; n++) {
          const idx = g.scheme === 'channel' ? n * cols + (c * kh + y) * kw + x : g.scheme === 'spatial' ? (c * kh + y) * cols + x * N + n : n * cols + c;
          k[((y * kw + x) * C + c) * N + n] = m[idx];
        }
  return k;
}

/** Shapes of the two factor kernels at rank r. */
export function factorShapes(g: KernelGeometry, r: number): { a: number[]; b: number[] } {
  if (g.scheme === 'channel') return { a: [g.kh, g.kw, g.cin, r], b: [1, 1, r, g.cout] };
  if (g.scheme === 'spatial') return { a: [g.kh, 1, g.cin, r], b: [1, g.kw, r, g.cout] };
  return { a: [g.cin, r], b: [r, g.cout] };
}

/**
 * SVD-factorises a kernel and keeps `rank` components (default: all min(rows, cols)).
 * @example factorize(kernel, { scheme: 'spatial', kh: 3, kw: 3, cin: 16, cout: 16 }, 24)
 */
export function factorize(kernel: ArrayLike<number>, g: KernelGeometry, rank?: number): Factors {
  const [rows, cols] = matrixShape(g);
  const full = Math.min(rows, cols);
  const K = Math.min(rank ?? full, full);
  const svd = svdTopK(kernelToMatrix(kernel, g), rows, cols);
  const { U, S, V } = svd;
  const kk = svd.k;
  const a = new Float32Array((g.scheme === 'spatial' ? rows : cols) * K);
  const b = new Float32Array((g.scheme === 'spatial' ? cols : rows) * K);
  for (let k = 0; k < K; k++) {
    const s = S[k];
    const sq = Math.sqrt(s);
    if (g.scheme === 'spatial') {
      // a[y][0][c][k] = U[c·kh+y, k]·√S, i.e. a is (C·kh)×K reordered to [kh, 1, C, K].
      for (let c = 0; c < g.cin; c++)
        for (let y = 0; y < g.kh; y++) a[(y * g.cin + c) * K + k] = U[(c * g.kh + y) * kk + k] * sq;
      // b[0][x][k][n] = V[x·N+n, k]·√S.
      for (let x = 0; x < g.kw; x++)
        for (let n = 0; n < g.cout; n++) b[(x * K + k) * g.cout + n] = V[(x * g.cout + n) * kk + k] * sq;
    } else if (g.scheme === 'channel') {
      // a[y][x][c][k] = V[(c·kh+y)·kw+x, k]·√S;  b[0][0][k][n] = U[n, k]·√S.
      for (let y = 0; y < g.kh; y++)
        for (let x = 0; x < g.kw; x++)
          for (let c = 0; c < g.cin; c++) a[((y * g.kw + x) * g.cin + c) * K + k] = V[((c * g.kh + y) * g.kw + x) * kk + k] * sq;
      for (let n = 0; n < g.cout; n++) b[k * g.cout + n] = U[n * kk + k] * sq;
    } else {
      for (let c = 0; c < g.cin; c++) a[c * K + k] = V[c * kk + k] * s;
      for (let n = 0; n < g.cout; n++) b[k * g.cout + n] = U[n * kk + k];
    }
  }
  return { geom: g, rank: K, a, b, singularValues: S };
}

/** The first r components of `f` (r ≤ f.rank), as new arrays. */
export function sliceFactors(f: Factors, r: number): Factors {
  if (!Number.isInteger(r) || r < 1 || r > f.rank) throw new ShapeError(`rank ${r} outside [1, ${f.rank}]`);
  const K = f.rank;
  const g = f.geom;
  const aOuter = f.a.length / K; // a is [..., K]: slice the last axis
  const a = new Float32Array(aOuter * r);
  for (let i = 0; i < aOuter; i++) for (let k = 0; k < r; k++) a[i * r + k] = f.a[i * K + k];
  // b is [(kw or 1), K, N]: slice the middle axis.
  const outer = g.scheme === 'spatial' ? g.kw : 1;
  const b = new Float32Array(outer * r * g.cout);
  for (let o = 0; o < outer; o++) b.set(f.b.subarray(o * K * g.cout, (o * K + r) * g.cout), o * r * g.cout);
  return { geom: g, rank: r, a, b, singularValues: f.singularValues };
}

/** Multiplies the factors back into an HWIO (or [in, out]) kernel: the "unfactorise" direction. */
export function unfactorize(f: Factors): Float32Array {
  const g = f.geom;
  const [rows, cols] = matrixShape(g);
  const K = f.rank;
  const m = new Float64Array(rows * cols);
  // Matrix-space left factor L (rows×K) and right factor Rt (cols×K) with M = L·Rtᵀ.
  const L = new Float64Array(rows * K);
  const Rt = new Float64Array(cols * K);
  for (let k = 0; k < K; k++) {
    if (g.scheme === 'spatial') {
      for (let c = 0; c < g.cin; c++) for (let y = 0; y < g.kh; y++) L[(c * g.kh + y) * K + k] = f.a[(y * g.cin + c) * K + k];
      for (let x = 0; x < g.kw; x++) for (let n = 0; n < g.cout; n++) Rt[(x * g.cout + n) * K + k] = f.b[(x * K + k) * g.cout + n];
    } else if (g.scheme === 'channel') {
      for (let n = 0; n < g.cout; n++) L[n * K + k] = f.b[k * g.cout + n];
      for (let y = 0; y < g.kh; y++)
        for (let x = 0; x < g.kw; x++)
          for (let c = 0; c < g.cin; c++) Rt[((c * g.kh + y) * g.kw + x) * K + k] = f.a[((y * g.kw + x) * g.cin + c) * K + k];
    } else {
      for (let n = 0; n < g.cout; n++) L[n * K + k] = f.b[k * g.cout + n];
      for (let c = 0; c < g.cin; c++) Rt[c * K + k] = f.a[c * K + k];
    }
  }
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += L[i * K + k] * Rt[j * K + k];
      m[i * cols + j] = s;
    }
  return matrixToKernel(m, g);
}
