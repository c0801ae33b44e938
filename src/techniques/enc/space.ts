/**
 * The ENC-Model / ENC-Inf search space (methods.md §3.4 steps 1–2; reference
 * compress/ENC-Inf/res56/gen.py `Cost_Opt`, enc_model.py `Layer_density_iter`):
 * per-layer reductions y_l = Up_l − r_l on a grid {0, s_l, 2s_l, …} ≤ range_l, where [Lo, Up] come from
 * ENC-Map at target ∓ space, and candidates must remove ΔC = C(Up) − target within ±margin (relative).
 */
import { complexity, roundHalfEven } from './cost.js';
import { encMap, type SearchProblem } from './map.js';
import type { LayerCurve } from './metrics.js';

export interface SpaceOptions {
  /** Band half-width around the target (`Sel_space`, 0.1). */
  space?: number;
  /** Relative tolerance on the removed complexity (`Sel_margin`, 0.005). */
  margin?: number;
  /** Average grid density mean(1/s_l) (`Sel_density`: 0.4 res56, 0.165/0.096 vgg16). */
  density?: number;
}

export interface SearchSpace {
  up: number[];
  lo: number[];
  /** Allowed reductions of each layer, ascending, starting at 0. */
  grid: number[][];
  steps: number[];
  /** Removed MACs needed: C(Up)·C_orig − target·C_orig. */
  deltaMacs: number;
  /** Removed MACs must lie strictly inside (deltaMacs·(1−margin), deltaMacs·(1+margin)). */
  lowMacs: number;
  highMacs: number;
  complexityUp: number;
}

/** `Layer_density`: mean(1/max(round(r1·α), 1)). */
function densityAt(r1: number[], alpha: number): number {
  return r1.reduce((s, r) => s + 1 / Math.max(roundHalfEven(r * alpha), 1), 0) / r1.length;
}

/** `Layer_density_iter`: α = density/Sel_density, shrunk ×0.99 while the density stays ≤ Sel_density. */
export function densityAlpha(r1: number[], target: number): number {
  let d = densityAt(r1, 1);
  let alpha = d / target;
  for (let it = 0; d <= target && it < 10000; it++) {
    alpha *= 0.99;
    d = densityAt(r1, alpha);
  }
  return alpha;
}

export function buildSpace(p: SearchProblem, curves: LayerCurve[], target: number, opts: SpaceOptions = {}): SearchSpace {
  const space = opts.space ?? 0.1;
  const margin = opts.margin ?? 0.005;
  const r10 = p.rMax.map((R) => Math.max(1, roundHalfEven(R / 10)));
  // Step 1: band edges from ENC-Map, floored at round(R_max/10).
  const up = encMap(p, curves, target, { space }).ranks.map((r, l) => Math.min(p.rMax[l], Math.max(r, r10[l])));
  const lo = encMap(p, curves, target, { space: -space }).ranks.map((r, l) => Math.min(up[l], Math.max(r, r10[l])));
  const complexityUp = complexity(p.cost, up);
  const deltaMacs = (complexityUp - target) * p.cost.origMacs;
  // Step 2: per-layer range and grid step.
  const range = up.map((u, l) => Math.max(0, Math.min(u - lo[l], Math.round(Math.max(deltaMacs, 0) / p.cost.c[l]))));
  const r1 = p.rMax.map((R) => Math.max(roundHalfEven(R / 100), 1));
  const alpha = densityAlpha(r1, opts.density ?? 0.4);
  const steps = r1.map((r, l) => Math.min(Math.max(1, roundHalfEven(r * alpha)), Math.max(range[l], 1)));
  const grid = range.map((rg, l) => {
    const g: number[] = [];
    for (let y = 0; y <= rg; y += steps[l]) g.push(y);
    return g;
  });
  return { up, lo, grid, steps, deltaMacs, lowMacs: deltaMacs * (1 - margin), highMacs: deltaMacs * (1 + margin), complexityUp };
}

/** Layers with identical per-rank cost in consecutive runs (`Layer_group_top`). */
export function costGroups(c: number[]): number[][] {
  const groups: number[][] = [];
  c.forEach((v, i) => {
    const g = groups[groups.length - 1];
    if (g && c[g[0]] === v) g.push(i);
    else groups.push([i]);
  });
  return groups;
}
