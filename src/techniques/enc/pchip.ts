/**
 * Piecewise cubic Hermite interpolation with Fritsch–Carlson (Fritsch–Butland weighted harmonic mean)
 * slopes — the same derivative rule, end conditions and extrapolation as SciPy's `PchipInterpolator`
 * / `pchip_interpolate` (which ENC's reference calls) and MATLAB `interp1(..., 'pchip')`
 * (methods.md §3.2). Checked against SciPy values in test/techniques/enc/pchip.test.ts.
 */
import { ShapeError } from '../../core/errors.js';

export interface Pchip {
  x: Float64Array;
  y: Float64Array;
  /** Slopes at the knots. */
  d: Float64Array;
  /** Evaluates at one point (extrapolates with the end cubic, as SciPy's default). */
  at(t: number): number;
}

function edgeSlope(h0: number, h1: number, m0: number, m1: number): number {
  let d = ((2 * h0 + h1) * m0 - h0 * m1) / (h0 + h1);
  if (Math.sign(d) !== Math.sign(m0)) d = 0;
  else if (Math.sign(m0) !== Math.sign(m1) && Math.abs(d) > 3 * Math.abs(m0)) d = 3 * m0;
  return d;
}

/**
 * Builds the interpolant through (x[i], y[i]); x must be strictly increasing, ≥ 2 points.
 * @example pchip([0, 0.5, 1], [0, 0.8, 1]).at(0.25)
 */
export function pchip(xs: ArrayLike<number>, ys: ArrayLike<number>): Pchip {
  const n = xs.length;
  if (n < 2 || ys.length !== n) throw new ShapeError(`pchip needs ≥ 2 points and equal lengths, got ${n} and ${ys.length}`);
  const x = Float64Array.from(xs);
  const y = Float64Array.from(ys);
  for (let i = 1; i < n; i++) {
    if (!(x[i] > x[i - 1])) throw new ShapeError(`pchip: x must be strictly increasing (x[${i - 1}] = ${x[i - 1]}, x[${i}] = ${x[i]})`);
  }
  const h = new Float64Array(n - 1);
  const m = new Float64Array(n - 1);
  for (let i = 0; i < n - 1; i++) {
    h[i] = x[i + 1] - x[i];
    m[i] = (y[i + 1] - y[i]) / h[i];
  }
  const d = new Float64Array(n);
  if (n === 2) {
    d[0] = m[0];
    d[1] = m[0];
  } else {
    for (let k = 1; k < n - 1; k++) {
      const m0 = m[k - 1];
      const m1 = m[k];
      if (Math.sign(m0) !== Math.sign(m1) || m0 === 0 || m1 === 0) d[k] = 0;
      else {
        const w1 = 2 * h[k] + h[k - 1];
        const w2 = h[k] + 2 * h[k - 1];
        d[k] = (w1 + w2) / (w1 / m0 + w2 / m1);
      }
    }
    d[0] = edgeSlope(h[0], h[1], m[0], m[1]);
    d[n - 1] = edgeSlope(h[n - 2], h[n - 3], m[n - 2], m[n - 3]);
  }
  const at = (t: number): number => {
    // Interval k with x[k] ≤ t < x[k+1], clamped to the first/last interval.
    let lo = 0;
    let hi = n - 2;
    if (t >= x[n - 2]) lo = n - 2;
    else if (t > x[0]) {
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (x[mid] <= t) lo = mid;
        else hi = mid - 1;
      }
    }
    const k = lo;
    const hk = h[k];
    const s = t - x[k];
    const c2 = (3 * m[k] - 2 * d[k] - d[k + 1]) / hk;
    const c3 = (d[k] + d[k + 1] - 2 * m[k]) / (hk * hk);
    return y[k] + s * (d[k] + s * (c2 + s * c3));
  };
  return { x, y, d, at };
}

/** `scipy.interpolate.pchip_interpolate(xi, yi, x)` for an array of points. */
export function pchipInterpolate(xi: ArrayLike<number>, yi: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
  const p = pchip(xi, yi);
  return Float64Array.from(x, (t) => p.at(t));
}
