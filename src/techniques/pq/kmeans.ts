/**
 * EM k-means on row vectors (methods.md §5.3, fairseq pq/em.py), on typed arrays outside tfjs
 * (ecosystem.md §2.3: tensor k-means is 2–10× slower than plain loops here).
 *
 * - Init: K random *distinct* rows (fairseq samples with replacement; duplicates only create empty
 *   clusters). Rows with equal values are skipped too, so when the data has ≤ K distinct rows every
 *   distinct row becomes a centroid and the encoding is exact (remaining centroids stay unused).
 * - E-step: exhaustive nearest centroid via ‖c‖² − 2·x·c (‖x‖² is constant per row): a kernel specialised
 *   per d with three rows register-blocked, else a generic tiled loop.
 * - Empty clusters (fairseq `resolve_empty_clusters`): pick a random empty k and the most populated m,
 *   set c_k = c_m + e, c_m = c_m − e with e ~ N(0, eps²), reassign; after `maxTentatives` rounds stop
 *   iterating and keep the current state (fairseq raises EmptyClusterResolveError, which ends `encode`).
 * - M-step: c_k = mean of its rows. The objective Σ‖x − c_a(x)‖² is recorded after every E-step.
 */
import { Rng } from '../../core/rng.js';

export interface KMeansOptions {
  k: number;
  /** EM iterations (fairseq `quantize_model_` passes 15; class PQ default 20). */
  iterations?: number;
  /** Std-dev of the perturbation used to split a populated cluster into an empty one (fairseq 1e-6). */
  eps?: number;
  /** Bound on empty-cluster resolution rounds per E-step (fairseq `quantize_model_`: 100). */
  maxTentatives?: number;
  seed?: number;
  rng?: Rng;
  /** Stop early when the objective stops improving by this relative amount (0 = never). */
  tol?: number;
}

export interface KMeansResult {
  /** K × d centroids, row-major. */
  centroids: Float32Array;
  /** Centroid index of each row. */
  assignments: Int32Array;
  counts: Int32Array;
  /** Objective Σ‖x − c_a(x)‖² after each E-step (index 0: the initial centroids). */
  objective: number[];
  iterations: number;
  /** True when the data had ≤ K distinct rows and the solution is exact (objective 0). */
  exact: boolean;
  /** Set when empty-cluster resolution gave up (fairseq's EmptyClusterResolveError). */
  emptyClusterError?: string;
}

const TILE = 64;

type AssignKernel = (x: Float32Array, c: Float32Array, cn: Float64Array, k: number, out: Int32Array, n: number) => void;
const kernels = new Map<number, AssignKernel | null>();

/** Rows handled together by the specialised kernel (3 measured fastest for d = 9 in V8: fewer centroid loads). */
const ROWS = 3;

/**
 * A nearest-centroid kernel specialised for dimension d (d ≤ 32): the d coordinates of ROWS rows live in
 * locals, each centroid's d values are loaded once for all of them (register blocking), and the scaled
 * centroids hold −2·c so one pass is ‖c‖² + Σ x·(−2c). About 2× the generic tiled loop in V8. Generated
 * with `new Function` from the integer d only; returns null where code generation is disallowed (CSP).
 */
function specialised(d: number): AssignKernel | null {
  if (kernels.has(d)) return kernels.get(d)!;
  let f: AssignKernel | null = null;
  if (d <= 32) {
    const block = (rows: number): string => {
      const xs: string[] = [], cl: string[] = [], cmp: string[] = [], init: string[] = [], fin: string[] = [];
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < d; j++) xs.push(`const x${r}_${j} = x[xo + ${r * d + j}];`);
        init.push(`let b${r} = Infinity, i${r} = 0;`);
        const dot = Array.from({ length: d }, (_, j) => `x${r}_${j} * c${j}`).join(' + ');
        cmp.push(`const v${r} = nq + (${dot}); if (v${r} < b${r}) { b${r} = v${r}; i${r} = q; }`);
        fin.push(`out[i + ${r}] = i${r};`);
      }
      for (let j = 0; j < d; j++) cl.push(`const c${j} = c[co + ${j}];`);
      return `{ const xo = i * ${d}; ${xs.join(' ')} ${init.join(' ')}
        for (let q = 0, co = 0; q < k; q++, co += ${d}) { ${cl.join(' ')} const nq = cn[q]; ${cmp.join(' ')} }
        ${fin.join(' ')} }`;
    };
    const body = `let i = 0;
      for (; i + ${ROWS} <= n; i += ${ROWS}) ${block(ROWS)}
      for (; i < n; i++) ${block(1)}`;
    try {
      f = new Function('x', 'c', 'cn', 'k', 'out', 'n', body) as AssignKernel;
    } catch {
      f = null;
    }
  }
  kernels.set(d, f);
  return f;
}

/**
 * Assigns every row of x (n × d) to its nearest centroid (ties → lowest index) and returns the exact
 * objective Σ‖x − c‖² in float64.
 */
export function assign(x: Float32Array, n: number, d: number, centroids: Float32Array, k: number, out: Int32Array): number {
  const cn = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += centroids[c * d + j] * centroids[c * d + j];
    cn[c] = s;
  }
  const fast = specialised(d);
  if (fast) {
    const m2 = new Float32Array(k * d);
    for (let i = 0; i < m2.length; i++) m2[i] = -2 * centroids[i]; // exact (power-of-2 scale)
    fast(x, m2, cn, k, out, n);
  } else {
    assignTiled(x, n, d, centroids, cn, k, out);
  }
  return objective(x, n, d, centroids, out);
}

/** Generic path: tiles of centroids outermost (a TILE·d slice of the transposed centroids stays in L1). */
function assignTiled(x: Float32Array, n: number, d: number, centroids: Float32Array, cn: Float64Array, k: number, out: Int32Array): void {
  const ct = new Float64Array(d * k);
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) ct[j * k + c] = centroids[c * d + j];
  const dist = new Float64Array(TILE);
  const best = new Float64Array(n).fill(Infinity);
  for (let c0 = 0; c0 < k; c0 += TILE) {
    const w = Math.min(k, c0 + TILE) - c0;
    for (let i = 0; i < n; i++) {
      const xo = i * d;
      for (let t = 0; t < w; t++) dist[t] = cn[c0 + t];
      for (let j = 0; j < d; j++) {
        const a = -2 * x[xo + j];
        const r = j * k + c0;
        for (let t = 0; t < w; t++) dist[t] += a * ct[r + t];
      }
      let bv = best[i];
      let bi = c0 === 0 ? 0 : out[i];
      for (let t = 0; t < w; t++) {
        if (dist[t] < bv) {
          bv = dist[t];
          bi = c0 + t;
        }
      }
      best[i] = bv;
      out[i] = bi;
    }
  }
}

/** Exact Σ‖x_i − c_{a_i}‖² in float64 (not the expanded form, which cancels badly near 0). */
export function objective(x: Float32Array, n: number, d: number, centroids: Float32Array, a: Int32Array): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const xo = i * d;
    const co = a[i] * d;
    for (let j = 0; j < d; j++) {
      const e = x[xo + j] - centroids[co + j];
      s += e * e;
    }
  }
  return s;
}

function rowKey(x: Float32Array, i: number, d: number): string {
  return Array.prototype.join.call(x.subarray(i * d, (i + 1) * d), ',');
}

/** K random rows with distinct values; fewer when the data has fewer distinct rows. */
function initCentroids(x: Float32Array, n: number, d: number, k: number, rng: Rng): { c: Float32Array; distinct: number } {
  const c = new Float32Array(k * d);
  const seen = new Set<string>();
  // Partial Fisher–Yates over row indices: O(K) expected draws, stops at K distinct values.
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  let got = 0;
  for (let i = 0; i < n && got < k; i++) {
    const j = i + rng.int(n - i);
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
    const r = perm[i];
    const key = rowKey(x, r, d);
    if (seen.has(key)) continue;
    seen.add(key);
    c.set(x.subarray(r * d, (r + 1) * d), got * d);
    got++;
  }
  // Unused centroids (only when distinct rows < K) copy centroid 0; they never win a tie (argmin keeps the first).
  for (let g = got; g < k; g++) c.copyWithin(g * d, 0, d);
  return { c, distinct: got };
}

function countsOf(a: Int32Array, k: number): Int32Array {
  const counts = new Int32Array(k);
  for (let i = 0; i < a.length; i++) counts[a[i]]++;
  return counts;
}

/** Runs EM k-means on x (n × d, row-major). */
export function kmeans(x: Float32Array, d: number, opts: KMeansOptions): KMeansResult {
  const n = x.length / d;
  if (!Number.isInteger(n)) throw new Error(`kmeans: data length ${x.length} is not a multiple of d = ${d}`);
  const k = opts.k;
  if (!(k >= 1) || k > n) throw new Error(`kmeans: K = ${k} must be in 1..${n} (the number of rows)`);
  const iterations = opts.iterations ?? 15;
  const eps = opts.eps ?? 1e-6;
  const maxTentatives = opts.maxTentatives ?? 100;
  const rng = opts.rng ?? new Rng(opts.seed ?? 0);
  const { c: centroids, distinct } = initCentroids(x, n, d, k, rng);
  const a = new Int32Array(n);
  const obj: number[] = [];
  if (distinct < k) {
    // ≤ K distinct rows: every distinct row is a centroid, assignment is exact (objective 0).
    obj.push(assign(x, n, d, centroids, k, a));
    return { centroids, assignments: a, counts: countsOf(a, k), objective: obj, iterations: 0, exact: obj[0] === 0 };
  }
  const sums = new Float64Array(k * d);
  let emptyClusterError: string | undefined;
  let it = 0;
  for (; ; it++) {
    let o = assign(x, n, d, centroids, k, a);
    let counts = countsOf(a, k);
    // Empty-cluster resolution, bounded (fairseq em.py `resolve_empty_clusters`).
    let tentatives = 0;
    let empties = emptyList(counts);
    while (empties.length > 0) {
      if (tentatives >= maxTentatives) {
        emptyClusterError = `could not resolve ${empties.length} empty cluster(s) after ${maxTentatives} tentatives`;
        break;
      }
      const e = empties[rng.int(empties.length)];
      let m = 0;
      for (let c = 1; c < k; c++) if (counts[c] > counts[m]) m = c;
      for (let j = 0; j < d; j++) {
        const noise = rng.normal(0, eps);
        const v = centroids[m * d + j];
        centroids[e * d + j] = v + noise;
        centroids[m * d + j] = v - noise;
      }
      o = assign(x, n, d, centroids, k, a);
      counts = countsOf(a, k);
      empties = emptyList(counts);
      tentatives++;
    }
    obj.push(o);
    const prev = obj.length > 1 ? obj[obj.length - 2] : Infinity;
    const converged = opts.tol !== undefined && opts.tol > 0 && prev - o <= opts.tol * prev;
    if (it >= iterations || emptyClusterError || converged || o === 0) break;
    // M-step: means (empty clusters, if any remain, keep their centroid).
    sums.fill(0);
    for (let i = 0; i < n; i++) {
      const xo = i * d;
      const so = a[i] * d;
      for (let j = 0; j < d; j++) sums[so + j] += x[xo + j];
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) continue;
      const inv = 1 / counts[c];
      for (let j = 0; j < d; j++) centroids[c * d + j] = sums[c * d + j] * inv;
    }
  }
  return { centroids, assignments: a, counts: countsOf(a, k), objective: obj, iterations: it, exact: obj[obj.length - 1] === 0, emptyClusterError };
}

function emptyList(counts: Int32Array): number[] {
  const out: number[] = [];
  for (let c = 0; c < counts.length; c++) if (counts[c] === 0) out.push(c);
  return out;
}
