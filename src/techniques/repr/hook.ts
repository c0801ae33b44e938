/**
 * RePr as a training hook (methods.md §1): at each drop event rank filters, zero the worst p and freeze
 * them (gradient, weight decay and momentum masked through the loop's freeze masks, so they stay
 * EXACTLY 0 with any optimizer); at each re-init event give them values orthogonal to their old values
 * and the kept filters. Diagnostics go to the run log as JSON lines (see `docs/repr.md`).
 */
import { tf } from '../../engine/tf.js';
import type { TrainContext, TrainHook, HookState } from '../../train/hooks.js';
import { maskOptimizerState } from '../../train/hooks.js';
import type { EvalMetrics } from '../../train/metrics.js';
import { criterionScores, fanInCorrected, filterRows, higherIsWorse } from '../filter-mask/criteria.js';
import { selectFilters } from '../filter-mask/select.js';
import { channelConsumers, consumerRows, convLayers, filterMask, readKernel, zeroFilters, type ConvInfo } from '../filter-mask/conv-layers.js';
import { reinitializeFilters } from './reinit.js';
import { reprConfigSchema, reprTimeline, type ReprConfig, type ReprConfigInput, type ReprEvent } from './config.js';

interface Dropped {
  cycle: number;
  /** Dropped filter indices per conv layer. */
  filters: Record<string, number[]>;
  /** Their values at drop time, flattened (in, kh, kw). */
  oldRows: Record<string, number[][]>;
}

interface GradAccum {
  sum: number;
  count: number;
}

export class ReprHook implements TrainHook {
  readonly name = 'repr';
  readonly config: ReprConfig;
  private readonly events: ReprEvent[];
  private dropped: Dropped | undefined;
  /** Filters re-initialised at the last re-init, per layer (for diagnostics and redropSame). */
  private reinitialised: Record<string, number[]> = {};
  private amplifyStepsLeft = 0;
  private grad: Record<string, GradAccum> = {};
  private masks = new Map<string, tf.Tensor>();
  private reinitMasks = new Map<string, tf.Tensor>();

  constructor(config: ReprConfigInput = {}) {
    this.config = reprConfigSchema.parse(config);
    this.events = reprTimeline(this.config);
  }

  private convs(ctx: TrainContext): ConvInfo[] {
    return convLayers(ctx.model, this.config.exclude);
  }

  private async at(ctx: TrainContext, position: number): Promise<void> {
    for (const e of this.events) if (e.at === position) await (e.kind === 'drop' ? this.drop(ctx, e.cycle) : this.reinit(ctx, e.cycle));
  }

  async onEpochStart(ctx: TrainContext): Promise<void> {
    if (this.config.unit === 'epoch') await this.at(ctx, ctx.epoch);
  }

  async onStepStart(ctx: TrainContext): Promise<void> {
    if (this.config.unit === 'iteration') await this.at(ctx, ctx.iteration);
  }

  onTrainStart(ctx: TrainContext): void {
    this.rebuildMasks(ctx);
    const last = this.events[this.events.length - 1];
    const total = this.config.unit === 'epoch' ? ctx.epochs : ctx.epochs * ctx.stepsPerEpoch;
    // Events fire at the start of 0-based position `at`, so one at `total` never happens: the run would
    // end as the pruned sub-network.
    if (last && last.at >= total) ctx.log({ type: 'warning', message: `RePr schedule needs more than ${last.at} ${this.config.unit}s (its last event is at ${last.at}) but training has ${total}; events from ${last.at} on will not happen` });
  }

  private async accuracy(ctx: TrainContext): Promise<number | undefined> {
    if (!this.config.evaluateAroundEvents) return undefined;
    return (await ctx.evaluate())?.top1;
  }

  private async drop(ctx: TrainContext, cycle: number): Promise<void> {
    const c = this.config;
    const convs = this.convs(ctx);
    const accBefore = await this.accuracy(ctx);
    const scoresByLayer = convs.map((conv) => {
      const raw = criterionScores(c.criterion, readKernel(conv));
      const s = c.criterion === 'orthogonality' ? fanInCorrected(raw, conv.fanIn, c.fanInExponent) : raw;
      return { layer: conv.name, scores: s };
    });
    let filters: Record<string, number[]>;
    let capped: Array<{ layer: string; wanted: number; allowed: number }> = [];
    const redrop = c.redropSame && cycle > 0 && Object.keys(this.reinitialised).length > 0;
    if (redrop) {
      filters = { ...this.reinitialised };
    } else {
      const sel = selectFilters(scoresByLayer, {
        fraction: c.dropFraction, scope: c.scope, higherIsWorse: higherIsWorse(c.criterion),
        maxLayerFraction: c.maxLayerFraction, minKeep: c.minKeep,
      });
      filters = Object.fromEntries(sel.dropped);
      capped = sel.capped;
    }
    const oldRows: Record<string, number[][]> = {};
    for (const conv of convs) {
      const idx = filters[conv.name] ?? [];
      const rows = filterRows(readKernel(conv));
      oldRows[conv.name] = idx.map((f) => Array.from(rows[f]));
      zeroFilters(conv, idx, c.maskBias);
      this.resetOptimizerState(ctx, conv, idx);
    }
    this.dropped = { cycle, filters, oldRows };
    this.rebuildMasks(ctx);
    const accAfter = await this.accuracy(ctx);
    const layers = scoresByLayer.map(({ layer, scores }) => {
      const prev = this.reinitialised[layer] ?? [];
      const now = filters[layer] ?? [];
      return {
        layer,
        filters: scores.length,
        dropped: now.length,
        indices: now,
        meanScore: scores.reduce((a, b) => a + b, 0) / scores.length,
        // The note's diagnostic: how many of last cycle's re-initialised filters are dropped again.
        redroppedFromLastReinit: now.filter((f) => prev.includes(f)).length,
      };
    });
    for (const cap of capped) ctx.log({ type: 'repr_cap', cycle, ...cap, message: `layer ${cap.layer}: ranking asked for ${cap.wanted} drops, cap/minKeep allowed ${cap.allowed}` });
    ctx.log({ type: 'repr_drop', cycle, redropSame: redrop, accBefore, accAfter, layers });
  }

  private async reinit(ctx: TrainContext, cycle: number): Promise<void> {
    if (!this.dropped) return;
    const c = this.config;
    const layers: Array<Record<string, unknown>> = [];
    const reinitialised: Record<string, number[]> = {};
    for (const conv of this.convs(ctx)) {
      const idx = this.dropped.filters[conv.name] ?? [];
      if (idx.length === 0) continue;
      const old = this.dropped.oldRows[conv.name].map((r) => Float64Array.from(r));
      const r = reinitializeFilters(readKernel(conv), idx, old, ctx.rng, c.reinitScale);
      tf.tidy(() => conv.kernel.assign(tf.tensor(r.data, conv.shape)));
      if (c.bias === 'reset' && conv.bias) {
        const b = conv.bias.dataSync().slice();
        for (const f of idx) b[f] = 0;
        tf.tidy(() => conv.bias!.assign(tf.tensor(b, conv.bias!.shape)));
      }
      const nextLayer = this.applyNextLayerPolicy(ctx, conv, idx);
      this.resetOptimizerState(ctx, conv, idx);
      reinitialised[conv.name] = idx;
      layers.push({ layer: conv.name, reinitialised: idx.length, orthogonal: r.nullVectors.length, randomFallback: r.randomFallback.length, avoidedRows: r.avoided.length, nextLayer });
    }
    this.reinitialised = reinitialised;
    this.dropped = undefined;
    this.amplifyStepsLeft = c.gradientAmplification?.steps ?? 0;
    this.rebuildMasks(ctx);
    const accAfter = await this.accuracy(ctx);
    ctx.log({ type: 'repr_reinit', cycle, accAfter, layers });
  }

  /** keep / zero / random for the next layer's weights reading the re-initialised channels. */
  private applyNextLayerPolicy(ctx: TrainContext, conv: ConvInfo, idx: number[]): string {
    const policy = this.config.nextLayer;
    if (policy === 'keep') return 'keep';
    const consumers = channelConsumers(ctx.model, conv.name);
    if (!consumers || consumers.length === 0) return 'keep (no one-to-one consumer, e.g. a residual stream)';
    for (const cons of consumers) {
      const data = cons.kernel.dataSync().slice() as Float32Array;
      const shape = cons.kernel.shape as number[];
      const fanIn = cons.kind === 'conv' ? shape[0] * shape[1] * shape[2] : shape[0];
      const bound = 1 / Math.sqrt(fanIn);
      for (const ch of idx) {
        const { axis, indices } = consumerRows(cons, ch);
        forEachAlong(shape, axis, indices, (i) => {
          data[i] = policy === 'zero' ? 0 : ctx.rng.uniform(-bound, bound);
        });
      }
      tf.tidy(() => cons.kernel.assign(tf.tensor(data, shape)));
    }
    return `${policy} (${consumers.map((c) => c.layer.name).join(', ')})`;
  }

  private resetOptimizerState(ctx: TrainContext, conv: ConvInfo, idx: number[]): void {
    if (idx.length === 0) return;
    const m = filterMask(conv.shape[3], idx);
    maskOptimizerState(ctx.optimizer, conv.kernelKey, m);
    m.dispose();
    if (conv.biasKey && (this.config.maskBias || this.config.bias === 'reset')) {
      const mb = filterMask(conv.shape[3], idx, [conv.shape[3]]);
      maskOptimizerState(ctx.optimizer, conv.biasKey, mb);
      mb.dispose();
    }
  }

  private rebuildMasks(ctx: TrainContext): void {
    for (const t of this.masks.values()) t.dispose();
    for (const t of this.reinitMasks.values()) t.dispose();
    this.masks.clear();
    this.reinitMasks.clear();
    const convs = this.convs(ctx);
    if (this.dropped) {
      for (const conv of convs) {
        const idx = this.dropped.filters[conv.name] ?? [];
        if (idx.length === 0) continue;
        this.masks.set(conv.kernelKey, filterMask(conv.shape[3], idx));
        if (this.config.maskBias && conv.biasKey) this.masks.set(conv.biasKey, filterMask(conv.shape[3], idx, [conv.shape[3]]));
      }
    }
    for (const conv of convs) {
      const idx = this.reinitialised[conv.name] ?? [];
      if (idx.length === 0 || idx.length === conv.shape[3]) continue;
      // 1 at re-initialised filters: used for amplification and the gradient-ratio diagnostic.
      const m = new Float32Array(conv.shape[3]);
      for (const f of idx) m[f] = 1;
      this.reinitMasks.set(conv.kernelKey, tf.tensor(m, [1, 1, 1, conv.shape[3]]));
    }
  }

  freezeMasks(): ReadonlyMap<string, tf.Tensor> | undefined {
    return this.masks.size ? this.masks : undefined;
  }

  transformGradients(_ctx: TrainContext, grads: ReadonlyMap<string, tf.Tensor>): Map<string, tf.Tensor> {
    const out = new Map(grads);
    if (this.dropped) return out; // during S2 the re-initialised set is not defined
    const amp = this.config.gradientAmplification;
    for (const [key, m] of this.reinitMasks) {
      const g = grads.get(key);
      if (!g) continue;
      // Per-filter gradient norms: re-initialised vs kept (the note saw 1/5–1/3).
      const norms = tf.sqrt(tf.sum(tf.square(g), [0, 1, 2])).dataSync();
      const mask = m.dataSync();
      let re = 0, nRe = 0, kept = 0, nKept = 0;
      for (let f = 0; f < norms.length; f++) {
        if (mask[f]) { re += norms[f]; nRe++; } else { kept += norms[f]; nKept++; }
      }
      if (nRe && nKept && kept > 0) {
        const acc = (this.grad[key] ??= { sum: 0, count: 0 });
        acc.sum += re / nRe / (kept / nKept);
        acc.count++;
      }
      if (amp && this.amplifyStepsLeft > 0) out.set(key, tf.mul(g, tf.add(1, tf.mul(m, amp.factor - 1))));
    }
    return out;
  }

  afterOptimizerStep(): void {
    if (this.amplifyStepsLeft > 0 && !this.dropped) this.amplifyStepsLeft--;
  }

  onEpochEnd(ctx: TrainContext): void {
    const ratios = Object.entries(this.grad).map(([key, a]) => ({ layer: key.replace(/\/kernel$/, ''), ratio: a.sum / a.count, steps: a.count }));
    if (ratios.length) ctx.log({ type: 'repr_grad_ratio', layers: ratios });
    this.grad = {};
  }

  onEvaluate(ctx: TrainContext, m: EvalMetrics): void {
    ctx.log({ type: 'repr_phase', phase: this.dropped ? 'sub-network' : 'full', top1: m.top1 });
  }

  onTrainEnd(): void {
    for (const t of this.masks.values()) t.dispose();
    for (const t of this.reinitMasks.values()) t.dispose();
    this.masks.clear();
    this.reinitMasks.clear();
  }

  state(): HookState {
    return { json: { dropped: this.dropped ?? null, reinitialised: this.reinitialised, amplifyStepsLeft: this.amplifyStepsLeft, grad: this.grad } };
  }

  loadState(s: HookState): void {
    const j = s.json as { dropped: Dropped | null; reinitialised: Record<string, number[]>; amplifyStepsLeft: number; grad: Record<string, GradAccum> };
    this.dropped = j.dropped ?? undefined;
    this.reinitialised = j.reinitialised ?? {};
    this.amplifyStepsLeft = j.amplifyStepsLeft ?? 0;
    this.grad = j.grad ?? {};
  }
}

/** Calls fn(flatIndex) for every element whose coordinate on `axis` is in `indices` (row-major). */
function forEachAlong(shape: number[], axis: number, indices: number[], fn: (i: number) => void): void {
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const dim = shape[axis];
  for (let o = 0; o < outer; o++) for (const k of indices) for (let i = 0; i < inner; i++) fn((o * dim + k) * inner + i);
}
