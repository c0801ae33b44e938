/**
 * SFP as a training hook (methods.md §2.1): zero the lowest-norm filters of every selected conv, then
 * keep training them normally (soft: no gradient masking, zeroed filters may regrow and be kept next
 * time). Only conv weights are touched — never biases, BN or optimizer state, as in the reference.
 */
import type { TrainContext, TrainHook } from '../../train/hooks.js';
import { criterionScores } from '../filter-mask/criteria.js';
import { selectFilters } from '../filter-mask/select.js';
import { convLayers, readKernel, zeroFilters } from '../filter-mask/conv-layers.js';
import { sfpConfigSchema, type SfpConfig, type SfpConfigInput } from './config.js';

const SHORTCUT_RE = /shortcut|downsample/i;

export class SfpHook implements TrainHook {
  readonly name = 'sfp';
  readonly config: SfpConfig;

  constructor(config: SfpConfigInput = {}) {
    this.config = sfpConfigSchema.parse(config);
  }

  /**
   * Zeroes int(N·(1 − keepRate)) lowest-norm filters per selected conv; returns counts per layer. `epoch`
   * is log.jsonl's 1-based count: after the Nth epoch, 0 = before training.
   */
  mask(ctx: Pick<TrainContext, 'model' | 'log'>, reason: string, epoch: number): Record<string, number> {
    const convs = convLayers(ctx.model, this.config.exclude).filter((c) => !(this.config.skipShortcut && SHORTCUT_RE.test(c.name)));
    const sel = selectFilters(
      convs.map((c) => ({ layer: c.name, scores: criterionScores(this.config.criterion, readKernel(c)) })),
      { fraction: 1 - this.config.keepRate, scope: 'perLayer', higherIsWorse: false, rounding: 'floor', minKeep: 1 },
    );
    const counts: Record<string, number> = {};
    for (const c of convs) {
      const idx = sel.dropped.get(c.name) ?? [];
      zeroFilters(c, idx, false);
      counts[c.name] = idx.length;
    }
    ctx.log({ type: 'sfp_mask', reason, epoch, keepRate: this.config.keepRate, zeroed: counts, total: Object.values(counts).reduce((a, b) => a + b, 0) });
    return counts;
  }

  onTrainStart(ctx: TrainContext): void {
    if (!ctx.resumed) this.mask(ctx, 'init', 0);
  }

  async onEpochEnd(ctx: TrainContext): Promise<void> {
    const last = ctx.epoch === ctx.epochs - 1;
    if (ctx.epoch % this.config.epochPrune !== 0 && !last) return;
    if (this.config.evaluateBeforeMask) {
      const m = await ctx.evaluate();
      if (m) ctx.log({ type: 'sfp_before_mask', top1: m.top1, loss: m.loss });
    }
    this.mask(ctx, 'epoch_end', ctx.epoch + 1);
  }
}
