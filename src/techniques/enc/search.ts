/**
 * ENC-Model / ENC-Inf candidate search (methods.md §3.4 steps 3–5).
 *
 * Divide and conquer ("folding"): layers with equal per-rank cost form a group whose cost depends only on
 * the group's sum of reductions. Per group, a DP over its layers keeps, for every reachable sum, the best
 * split by the network metric restricted to the group (the reference keeps the top-1 split per sum too,
 * `Hier_R_sel(num=1)`). Then group sums are enumerated across groups under the budget. For A_p and A_m
 * (products of per-layer terms) this is exact: the best candidate equals exhaustive search's. For A_c
 * (= A_p·C/C_orig + A_m, not a product) each sum keeps the best split by A_p and by A_m and both are
 * scored exactly — a heuristic, like the reference's per-sub-group `Ac_hier`.
 * Unlike the reference we do not sub-sample with strides (step_m/step_y); if the cross-group product
 * exceeds `maxCombos` every grid step is doubled instead.
 */
import type { SearchSpace } from './space.js';
import { costGroups } from './space.js';
import type { CostModel } from './cost.js';
import type { NetworkMetric } from './metrics.js';
import type { LayerCurve } from './metrics.js';

export interface Candidate {
  ranks: number[];
  complexity: number;
  Ap: number;
  Am: number;
  Ac: number;
  score: number;
}

export interface ScoreContext {
  energy: LayerCurve[];
  accuracy?: LayerCurve[];
  metric: NetworkMetric;
  cost: CostModel;
}

interface Entry {
  lp: number;
  lm: number;
  choice: number[];
}

function logOf(v: number): number {
  return v > 0 ? Math.log(v) : -Infinity;
}

function tables(space: SearchSpace, ctx: ScoreContext) {
  const lp = space.grid.map((g, l) => g.map((y) => logOf(ctx.energy[l].value(space.up[l] - y))));
  const lm = space.grid.map((g, l) => g.map((y) => (ctx.accuracy ? logOf(ctx.accuracy[l].value(space.up[l] - y)) : 0)));
  return { lp, lm };
}

function finish(ranks: number[], lp: number, lm: number, space: SearchSpace, ctx: ScoreContext): Candidate {
  let removed = 0;
  ranks.forEach((r, l) => (removed += (space.up[l] - r) * ctx.cost.c[l]));
  const complexity = space.complexityUp - removed / ctx.cost.origMacs;
  const Ap = Math.exp(lp);
  const Am = ctx.accuracy ? Math.exp(lm) : NaN;
  const Ac = Ap * complexity + (ctx.accuracy ? Am : 0);
  const score = ctx.metric === 'Ap' ? Ap : ctx.metric === 'Am' ? Am : Ac;
  return { ranks, complexity, Ap, Am, Ac, score };
}

/** Keeps the best `n` candidates (by score, then by fewer MACs for determinism). */
class TopN {
  items: Candidate[] = [];
  constructor(readonly n: number) {}
  get threshold(): number {
    return this.items.length < this.n ? -Infinity : this.items[this.items.length - 1].score;
  }
  push(c: Candidate): void {
    if (this.items.length >= this.n && !(c.score > this.threshold)) return;
    this.items.push(c);
    this.items.sort((a, b) => b.score - a.score || a.complexity - b.complexity);
    if (this.items.length > this.n) this.items.length = this.n;
  }
}

/** Every candidate of the space, scored — for tests and tiny problems only. */
export function exhaustiveSearch(space: SearchSpace, ctx: ScoreContext, topN = 1): Candidate[] {
  const { lp, lm } = tables(space, ctx);
  const L = space.grid.length;
  const top = new TopN(topN);
  const idx = new Array<number>(L).fill(0);
  const rec = (l: number, macs: number, sp: number, sm: number) => {
    if (macs >= space.highMacs) return;
    if (l === L) {
      if (macs > space.lowMacs) top.push(finish(idx.map((j, k) => space.up[k] - space.grid[k][j]), sp, sm, space, ctx));
      return;
    }
    for (let j = 0; j < space.grid[l].length; j++) {
      idx[l] = j;
      rec(l + 1, macs + space.grid[l][j] * ctx.cost.c[l], sp + lp[l][j], sm + lm[l][j]);
    }
  };
  rec(0, 0, 0, 0);
  return top.items;
}

interface GroupTable {
  layers: number[];
  c: number;
  sums: number[];
  /** Per sum: best split by A_p (or the metric), and by A_m when scoring A_c. */
  best: Entry[][];
}

function groupTable(layers: number[], space: SearchSpace, lp: number[][], lm: number[][], ctx: ScoreContext): GroupTable {
  const keys: Array<(e: Entry) => number> = ctx.metric === 'Ap' ? [(e) => e.lp] : ctx.metric === 'Am' ? [(e) => e.lm] : [(e) => e.lp, (e) => e.lm];
  let states = new Map<number, Entry[]>([[0, keys.map(() => ({ lp: 0, lm: 0, choice: [] }))]]);
  for (const l of layers) {
    const next = new Map<number, Entry[]>();
    for (const [s, entries] of states) {
      space.grid[l].forEach((y, j) => {
        const s2 = s + y;
        let slot = next.get(s2);
        if (!slot) next.set(s2, (slot = []));
        keys.forEach((key, ki) => {
          const e = entries[ki];
          const cand = { lp: e.lp + lp[l][j], lm: e.lm + lm[l][j], choice: [...e.choice, j] };
          const cur = slot[ki];
          if (!cur || key(cand) > key(cur)) slot[ki] = cand;
        });
      });
    }
    states = next;
  }
  const sums = [...states.keys()].sort((a, b) => a - b);
  return { layers, c: ctx.cost.c[layers[0]], sums, best: sums.map((s) => states.get(s) as Entry[]) };
}

export interface DcOptions {
  topN?: number;
  /** Cap on enumerated group-sum combinations before the grid is coarsened. */
  maxCombos?: number;
}

/** The divide-and-conquer search; returns candidates best first. */
export function divideAndConquerSearch(space: SearchSpace, ctx: ScoreContext, opts: DcOptions = {}): Candidate[] {
  const maxCombos = opts.maxCombos ?? 2_000_000;
  const { lp, lm } = tables(space, ctx);
  const groups = costGroups(ctx.cost.c).map((ls) => groupTable(ls, space, lp, lm, ctx));
  const outer = groups.slice(0, -1).reduce((p, g) => p * g.sums.length, 1);
  if (outer > maxCombos && space.steps.some((s, l) => s * 2 <= Math.max(...space.grid[l]))) {
    return divideAndConquerSearch(coarsen(space), ctx, opts);
  }
  const top = new TopN(opts.topN ?? 1);
  const pick = new Array<number>(groups.length).fill(0);
  const variants = ctx.metric === 'Ac' ? [0, 1] : [0];
  const emit = () => {
    for (const v of variants) {
      let sp = 0;
      let sm = 0;
      const ranks = space.up.slice();
      groups.forEach((g, gi) => {
        const e = g.best[pick[gi]][v];
        sp += e.lp;
        sm += e.lm;
        g.layers.forEach((l, k) => (ranks[l] = space.up[l] - space.grid[l][e.choice[k]]));
      });
      const quick = ctx.metric === 'Ap' ? Math.exp(sp) : ctx.metric === 'Am' ? Math.exp(sm) : Infinity;
      if (quick !== Infinity && !(quick > top.threshold)) continue;
      top.push(finish(ranks, sp, sm, space, ctx));
    }
  };
  const rec = (gi: number, macs: number) => {
    const g = groups[gi];
    for (let i = 0; i < g.sums.length; i++) {
      const m = macs + g.sums[i] * g.c;
      if (m >= space.highMacs) break;
      pick[gi] = i;
      if (gi === groups.length - 1) {
        if (m > space.lowMacs) emit();
      } else rec(gi + 1, m);
    }
  };
  rec(0, 0);
  return top.items;
}

/** Doubles every grid step (keeping each layer's range). */
export function coarsen(space: SearchSpace): SearchSpace {
  const steps = space.steps.map((s, l) => Math.min(s * 2, Math.max(1, space.grid[l][space.grid[l].length - 1])));
  const grid = space.grid.map((g, l) => {
    const max = g[g.length - 1];
    const out: number[] = [];
    for (let y = 0; y <= max; y += steps[l]) out.push(y);
    return out;
  });
  return { ...space, steps, grid };
}
