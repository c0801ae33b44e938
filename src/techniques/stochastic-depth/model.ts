/**
 * CIFAR ResNets with stochastic depth: a gate on every residual branch, before the addition
 * (methods.md §6.1), its survival probability from the rule, plus the training pieces that go with it
 * (the lazy forward that skips dropped branches, and a hook that checkpoints the gates' RNG streams).
 */
import { z } from 'zod';
import { tf, tfl } from '../../engine/tf.js';
import { createResNetCifar, RESNET_CIFAR_DEPTHS } from '../../models/resnet-cifar.js';
import { resolveOptions, type ModelOptions } from '../../models/common.js';
import type { TrainContext, TrainHook, HookState } from '../../train/hooks.js';
import type { RngState } from '../../core/rng.js';
import { survivalProbabilities, survivalRuleSchema } from './survival.js';
import { StochasticDepthGate, findGates } from './gate.js';
import { lazyForward } from './executor.js';

export const stochasticDepthSchema = z.strictObject({
  rule: survivalRuleSchema,
  mode: z.enum(['batch', 'sample']).default('batch'),
  scaling: z.enum(['test-multiply', 'train-divide']).default('test-multiply'),
});
export type StochasticDepthConfig = z.infer<typeof stochasticDepthSchema>;
export type StochasticDepthConfigInput = z.input<typeof stochasticDepthSchema>;

/** `resnet20|32|56|110` with a gate per block named `${block}.gate`. */
export function createStochasticDepthResNet(name: string, opts: ModelOptions, sdInput: StochasticDepthConfigInput): tfl.LayersModel {
  const depth = Number(/^resnet(\d+)$/.exec(name)?.[1]);
  if (!(RESNET_CIFAR_DEPTHS as readonly number[]).includes(depth)) {
    throw new Error(`stochastic depth needs a residual model (resnet${RESNET_CIFAR_DEPTHS.join('/')}), got "${name}"`);
  }
  const sd = stochasticDepthSchema.parse(sdInput);
  const resolved = resolveOptions(opts);
  const n = (depth - 2) / 6;
  const survival = survivalProbabilities(sd.rule, 3 * n);
  const model = createResNetCifar(depth, {
    ...resolved,
    wrapBranch: (branch, ctx) =>
      new StochasticDepthGate({ survival: survival[ctx.globalIndex], mode: sd.mode, scaling: sd.scaling, seed: resolved.seed, name: `${ctx.block}.gate` }).apply(branch) as tfl.SymbolicTensor,
  });
  model.setUserDefinedMetadata({ whittle: { model: name, init: 'sfp-resnet', ...resolved, stochasticDepth: sd } });
  return model;
}

/** The training forward to pass to `train({ forward })` when the model has gates, else undefined. */
export function stochasticDepthForward(model: tfl.LayersModel): ((m: tfl.LayersModel, x: tf.Tensor) => tf.Tensor) | undefined {
  return findGates(model).length ? (m, x) => lazyForward(m, x, true) : undefined;
}

/** Per block: configured survival probability and the observed keep rate so far. */
export function survivalProfile(model: tfl.LayersModel): Array<{ block: string; survival: number; observed: number | null }> {
  return findGates(model).map((g) => ({
    block: g.name.replace(/\.gate$/, ''),
    survival: g.survival,
    observed: g.kept + g.dropped ? g.kept / (g.kept + g.dropped) : null,
  }));
}

/** Checkpoints the gates' RNG streams (exact resume) and logs the observed survival per epoch. */
export class StochasticDepthHook implements TrainHook {
  readonly name = 'stochastic-depth';
  private ctxModel: tfl.LayersModel | undefined;
  private pending: Record<string, RngState> | undefined;

  onTrainStart(ctx: TrainContext): void {
    this.ctxModel = ctx.model;
    if (this.pending) {
      for (const g of findGates(ctx.model)) if (this.pending[g.name]) g.rng.setState(this.pending[g.name]);
      this.pending = undefined;
    }
  }

  onEpochEnd(ctx: TrainContext): void {
    const profile = survivalProfile(ctx.model);
    const expectedDepth = profile.reduce((s, p) => s + p.survival, 0);
    ctx.log({ type: 'sd_epoch', expectedDepth, blocks: profile });
  }

  state(): HookState {
    const gates = this.ctxModel ? findGates(this.ctxModel) : [];
    return { json: { rng: Object.fromEntries(gates.map((g) => [g.name, g.rng.getState()])) } };
  }

  loadState(s: HookState): void {
    this.pending = (s.json as { rng?: Record<string, RngState> })?.rng;
  }
}
