/**
 * Rank estimate by empirical variational Bayes matrix factorisation (EVBMF; Nakajima et al. 2013,
 * analytic solution), used only to choose the ranks at which the validation metric is sampled
 * (methods.md §3.2, reference init/decomp_init/VBMF.py `EVBMF` as called by 2_cal_from_conf.py).
 *
 * Works from the singular values alone. The noise variance σ² minimises the EVB free energy over
 * [lower, upper] as in VBMF.py; instead of SciPy's bounded Brent search we scan 200 log-spaced points
 * and refine the best bracket by golden section (more robust to the objective's local minima). The
 * reference then re-runs plain VBMF with the estimated prior (`VBMF.VBMF(W, cacb, sigma2)`); we
 * return the EVBMF rank directly — a documented substitute.
 */

function tau(x: number, alpha: number): number {
  const b = x - (1 + alpha);
  return 0.5 * (b + Math.sqrt(Math.max(b * b - 4 * alpha, 0)));
}

function objective(sigma2: number, L: number, M: number, s: Float64Array, residual: number, xubar: number): number {
  const H = s.length;
  const alpha = L / M;
  let obj = 0;
  for (let i = 0; i < H; i++) {
    const x = (s[i] * s[i]) / (M * sigma2);
    if (x > xubar) {
      const t = tau(x, alpha);
      obj += x - t + Math.log((t + 1) / x) + alpha * Math.log(t / alpha + 1);
    } else obj += x - Math.log(x);
  }
  return obj + residual / (M * sigma2) + (L - H) * Math.log(sigma2);
}

/**
 * EVBMF rank of an L×M matrix (any orientation) given all min(L, M) singular values, descending.
 * @example evbmfRank(svd.S, 48, 48)
 */
export function evbmfRank(singularValues: ArrayLike<number>, rows: number, cols: number): number {
  const L = Math.min(rows, cols);
  const M = Math.max(rows, cols);
  const s = Float64Array.from(singularValues).slice(0, L);
  const H = s.length;
  if (H < 2) return H;
  const alpha = L / M;
  const tauubar = 2.5129 * Math.sqrt(alpha);
  const xubar = (1 + tauubar) * (1 + alpha / tauubar);
  const eHub = Math.min(Math.ceil(L / (1 + alpha)) - 1, H) - 1;
  let sumSq = 0;
  for (const v of s) sumSq += v * v;
  const upper = sumSq / (L * M);
  const tail = s.slice(Math.max(eHub + 1, 0));
  let tailMean = 0;
  for (const v of tail) tailMean += v * v;
  tailMean = tail.length ? tailMean / tail.length : 0;
  const first = s[Math.min(eHub + 1, H - 1)];
  let lower = Math.max((first * first) / (M * xubar), tailMean / M);
  if (!(lower > 0)) lower = upper * 1e-6;
  if (!(upper > lower)) return 0;
  const f = (ls: number) => objective(Math.exp(ls), L, M, s, 0, xubar);
  const a = Math.log(lower);
  const b = Math.log(upper);
  const n = 200;
  let best = 0;
  let bestV = Infinity;
  for (let i = 0; i <= n; i++) {
    const v = f(a + ((b - a) * i) / n);
    if (v < bestV) {
      bestV = v;
      best = i;
    }
  }
  let lo = a + ((b - a) * Math.max(best - 1, 0)) / n;
  let hi = a + ((b - a) * Math.min(best + 1, n)) / n;
  const g = (Math.sqrt(5) - 1) / 2;
  for (let it = 0; it < 60; it++) {
    const c = hi - g * (hi - lo);
    const d = lo + g * (hi - lo);
    if (f(c) < f(d)) hi = d;
    else lo = c;
  }
  const sigma2 = Math.exp((lo + hi) / 2);
  const threshold = Math.sqrt(M * sigma2 * (1 + tauubar) * (1 + alpha / tauubar));
  let pos = 0;
  for (const v of s) if (v > threshold) pos++;
  return pos;
}
