/**
 * Break-even ranks and per-rank costs of ENC factorisations (methods.md §3.1; reference
 * init/decomp_init/0_gen_conf.py for R_max, 2_cal_from_conf.py `Cost_channel`/`Cost_spatial`).
 * Complexity is conv MACs (`Sel_comp = 0`): C(R) = Σ r_l·c_l (+ MACs of convs left as they are),
 * relative to C_orig = all conv MACs of the original network.
 */
import { matrixShape, type KernelGeometry } from './factorize.js';

/**
 * Where a strided spatial factorisation puts its stride.
 * - 'reference': the kh×1 conv strides on both axes and the 1×kw conv has stride 1 (1_decomp.py
 *   `cv_spatial`: stride_h = stride_w = stride on `_v`, 1 on `_h`). Costs match the reference's
 *   formula, but on strided layers the pair is not the original conv even at full rank (the 1×kw conv
 *   sees every s-th column), so accuracy before fine-tuning drops.
 * - 'exact': the kh×1 conv strides rows only and the 1×kw conv strides columns: exactly the original
 *   conv at full rank; the first conv then runs on s× more columns (counted in its cost).
 */
export type StrideMode = 'reference' | 'exact';

/** A factorisable layer with its place in the network. Dense layers have kh = kw = 1, out = in = 1×1. */
export interface LayerSpec extends KernelGeometry {
  name: string;
  strides: [number, number];
  padding: 'same' | 'valid';
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  useBias: boolean;
}

/** Python 2 `round` (half away from zero), which the reference's `int(round(Rmax))` uses. */
export function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

/** numpy `np.round` / `np.around` (half to even), used by the reference's search scripts. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Break-even rank: the rank at which the factorised pair has the original layer's parameter count.
 * spatial C·N·kh·kw/(C·kh + N·kw) (= C·N·D/(C+N) for D×D), channel C·N·kh·kw/(C·kh·kw + N),
 * dense C·N/(C+N); rounded half away from zero, at least 1, at most min(rows, cols).
 */
export function breakEvenRank(g: KernelGeometry): number {
  const { cin: C, cout: N, kh, kw } = g;
  const raw = g.scheme === 'spatial' ? (C * N * kh * kw) / (C * kh + N * kw) : g.scheme === 'channel' ? (C * N * kh * kw) / (C * kh * kw + N) : (C * N) / (C + N);
  const [rows, cols] = matrixShape(g);
  return Math.max(1, Math.min(roundHalfAway(raw), Math.min(rows, cols)));
}

/** Weights per unit rank (bias excluded): channel C·kh·kw + N, spatial C·kh + N·kw, dense C + N. */
export function paramsPerRank(g: KernelGeometry): number {
  if (g.scheme === 'channel') return g.cin * g.kh * g.kw + g.cout;
  if (g.scheme === 'spatial') return g.cin * g.kh + g.cout * g.kw;
  return g.cin + g.cout;
}

/** Spatial size of the first factor's output. */
export function firstFactorOutput(l: LayerSpec, mode: StrideMode): [number, number] {
  if (l.scheme !== 'spatial' || mode === 'reference') return [l.outH, l.outW];
  // 'exact': rows strided, columns not; with a width-1 kernel 'same' and 'valid' keep the width.
  return [l.outH, l.inW];
}

/** MACs per unit rank. */
export function macsPerRank(l: LayerSpec, mode: StrideMode = 'reference'): number {
  if (l.scheme === 'dense') return l.cin + l.cout;
  if (l.scheme === 'channel') return (l.cin * l.kh * l.kw + l.cout) * l.outH * l.outW;
  const [ah, aw] = firstFactorOutput(l, mode);
  return l.cin * l.kh * ah * aw + l.cout * l.kw * l.outH * l.outW;
}

/** MACs of the original layer. */
export function originalMacs(l: LayerSpec): number {
  return l.kh * l.kw * l.cin * l.cout * l.outH * l.outW;
}

export function originalParams(l: LayerSpec): number {
  return l.kh * l.kw * l.cin * l.cout + (l.useBias ? l.cout : 0);
}

/**
 * The complexity model the searches work with: searched layers (index-aligned with ranks), plus the
 * MACs of everything counted but not searched (fixed convs), and the original total.
 */
export interface CostModel {
  /** MACs per unit rank of each searched layer. */
  c: number[];
  /** MACs that do not depend on the searched ranks. */
  fixedMacs: number;
  /** C_orig. */
  origMacs: number;
}

/** Remaining-complexity fraction C(R)/C_orig. */
export function complexity(cm: CostModel, ranks: ArrayLike<number>): number {
  let s = cm.fixedMacs;
  for (let i = 0; i < cm.c.length; i++) s += ranks[i] * cm.c[i];
  return s / cm.origMacs;
}
