/**
 * ENC accuracy metrics (methods.md §3.2–3.3; reference compress/utils/accuracy_metric.py, enc_map.py).
 *
 * Layer metrics are functions of the rank r ∈ [1, R_max]:
 * - PCA energy E(r) = (cumsum(S)[r−1] − S[0]) / (cumsum(S)[R_max−1] − S[0]) with the raw singular values
 *   truncated at R_max, so E(1) = 0 and E(R_max) = 1 (`Calculate_Ap`).
 * - validation accuracy A(r): measured at a few sampled ranks (one layer truncated, all others at R_max),
 *   divided by the accuracy with every layer at R_max, and PCHIP-interpolated over r/R_max with the
 *   anchor (0, 0) (`Calculate_Am`).
 * Whole-network: A_p = Π E_l(r_l), A_m = Π A_l(r_l), A_c = A_p·C(R)/C_orig + A_m (`Ac_top`, feature_Ac.m).
 */
import { pchip, type Pchip } from './pchip.js';
import { roundHalfEven } from './cost.js';

/** E(r) for r = 1..R_max (index r−1). R_max = 1 gives [1]. */
export function pcaEnergy(singularValues: ArrayLike<number>, rMax: number): Float64Array {
  const R = Math.min(rMax, singularValues.length);
  const cum = new Float64Array(R);
  let s = 0;
  for (let i = 0; i < R; i++) {
    s += singularValues[i];
    cum[i] = s;
  }
  const out = new Float64Array(R);
  const den = cum[R - 1] - cum[0];
  for (let r = 1; r <= R; r++) out[r - 1] = den > 0 ? (cum[r - 1] - cum[0]) / den : r === R ? 1 : 0;
  return out;
}

/** Samples (rank, metric) of one layer; the metric at R_max is 1 by normalisation. */
export interface LayerSamples {
  ranks: number[];
  values: number[];
}

/**
 * A layer metric with its forward curve r ↦ metric and its inverse metric ↦ r (both PCHIP as the
 * reference: forward over (0,0) ∪ (r/R_max, value); inverse is a PCHIP with the axes swapped over the
 * monotone points only (`make_unique_points` then `make_R`)).
 */
export interface LayerCurve {
  rMax: number;
  /** Metric at integer rank r (1..R_max). */
  value(r: number): number;
  /** Real-valued rank fraction r/R_max reaching metric level a (before rounding). */
  inverse(a: number): number;
}

/**
 * Keeps the points of a sampled curve that make it strictly increasing in both axes, in rank order,
 * stopping after the first point at or above 1 (enc_map.py `make_unique_points`: "discard
 * non-monotone samples"). Input points must include the anchor (0, 0).
 */
export function monotonePoints(rn: number[], v: number[]): { rn: number[]; v: number[] } {
  const order = rn.map((_, i) => i).sort((a, b) => rn[a] - rn[b] || v[a] - v[b]);
  const outR: number[] = [];
  const outV: number[] = [];
  for (const i of order) {
    const last = outV.length - 1;
    if (last >= 0 && (outV[last] >= 1 || !(v[i] > outV[last]) || !(rn[i] > outR[last]))) continue;
    outR.push(rn[i]);
    outV.push(v[i]);
  }
  return { rn: outR, v: outV };
}

function inverseOf(rn: number[], v: number[]): (a: number) => number {
  const mono = monotonePoints(rn, v);
  if (mono.rn.length < 2) return () => 1;
  const p = pchip(mono.v, mono.rn);
  return (a) => p.at(a);
}

/** The PCA-energy curve of a layer; every rank is a sample (E is free to compute; README.md here, difference 3). */
export function energyCurve(energy: Float64Array): LayerCurve {
  const rMax = energy.length;
  const rn = [0];
  const v = [0];
  for (let r = 1; r <= rMax; r++) {
    rn.push(r / rMax);
    v.push(energy[r - 1]);
  }
  return { rMax, value: (r) => energy[Math.min(Math.max(Math.round(r), 1), rMax) - 1], inverse: inverseOf(rn, v) };
}

/** The validation-accuracy curve of a layer from measured samples (values already normalised). */
export function accuracyCurve(samples: LayerSamples, rMax: number): LayerCurve {
  const byRank = new Map<number, number>();
  samples.ranks.forEach((r, i) => byRank.set(r, samples.values[i]));
  if (!byRank.has(rMax)) byRank.set(rMax, 1);
  const ranks = [...byRank.keys()].filter((r) => r > 0).sort((a, b) => a - b);
  const rn = [0, ...ranks.map((r) => r / rMax)];
  const v = [0, ...ranks.map((r) => byRank.get(r) as number)];
  const fwd: Pchip = pchip(rn, v);
  return { rMax, value: (r) => fwd.at(r / rMax), inverse: inverseOf(rn, v) };
}

export type NetworkMetric = 'Ap' | 'Am' | 'Ac';

/** Per-layer log-metrics for fast products: log E_l(r) or log A_l(r) (−∞ where the metric is ≤ 0). */
export function logValue(curve: LayerCurve, r: number): number {
  const v = curve.value(r);
  return v > 0 ? Math.log(v) : -Infinity;
}

export interface NetworkCurves {
  energy: LayerCurve[];
  /** Present when the validation metric was measured. */
  accuracy?: LayerCurve[];
}

/** A_p, A_m (when available) and A_c of one rank configuration; `c` = C(R)/C_orig. */
export function networkMetrics(curves: NetworkCurves, ranks: ArrayLike<number>, c: number): { Ap: number; Am: number; Ac: number } {
  let Ap = 1;
  let Am = curves.accuracy ? 1 : NaN;
  for (let i = 0; i < curves.energy.length; i++) {
    Ap *= curves.energy[i].value(ranks[i]);
    if (curves.accuracy) Am *= curves.accuracy[i].value(ranks[i]);
  }
  return { Ap, Am, Ac: Ap * c + Am };
}

/** The score the searches sort by. */
export function scoreOf(metric: NetworkMetric, m: { Ap: number; Am: number; Ac: number }): number {
  return metric === 'Ap' ? m.Ap : metric === 'Am' ? m.Am : m.Ac;
}

/**
 * Sample ranks for the validation metric (2_cal_from_conf.py): P0 = round(R_max/10), P2 = round(v/4),
 * P3 = round(v/2), P1 = round((P0+P2)/2), P4 = R_max; each ≥ P0 and ≥ 1. `v` is the VBMF rank estimate.
 * Returns the distinct ranks below R_max (R_max itself is the normalisation point).
 */
export function sampleRanks(rMax: number, vbmfRank: number): number[] {
  const rnd = roundHalfEven; // np.around
  const p0 = rnd(rMax / 10);
  const p2 = rnd(vbmfRank / 4);
  const p3 = rnd(vbmfRank / 2);
  const p1 = rnd((p0 + p2) / 2);
  const ps = [p0, p1, p2, p3].map((p) => Math.max(p, p0, 1));
  return [...new Set(ps)].filter((p) => p < rMax).sort((a, b) => a - b);
}
