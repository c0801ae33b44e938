/**
 * Technique sections of a run config → the model to train, the hooks and the training forward.
 * A new technique (e.g. quant) adds its schema section in src/config/run-config.ts and a branch here.
 */
import type { tfl } from '../engine/tf.js';
import { ConfigError } from '../core/errors.js';
import { createModel, modelEntry } from '../models/registry.js';
import type { ModelOptions } from '../models/common.js';
import type { TrainHook } from '../train/hooks.js';
import type { TrainOptions } from '../train/loop.js';
import { ReprHook } from '../techniques/repr/hook.js';
import { SfpHook } from '../techniques/sfp/hook.js';
import { parseSurvivalRule, type SurvivalRule } from '../techniques/stochastic-depth/survival.js';
import { createStochasticDepthResNet, stochasticDepthForward, StochasticDepthHook } from '../techniques/stochastic-depth/model.js';
import type { RunConfig, StochasticDepthConfig } from '../config/run-config.js';
import { quantTechnique } from '../techniques/quant/technique.js';
import { pqNoiseTechnique } from '../techniques/pq/noise-technique.js';

export interface TechniqueSetup {
  model: tfl.LayersModel;
  hooks: TrainHook[];
  forward?: TrainOptions['forward'];
  /** Names of the techniques enabled (for the log and the summary). */
  enabled: string[];
}

export function survivalRule(sd: StochasticDepthConfig): SurvivalRule {
  if (typeof sd.rule !== 'string') return sd.rule;
  try {
    return parseSurvivalRule(sd.rule);
  } catch (e) {
    throw new ConfigError('stochasticDepth.rule', (e as Error).message.replace(/^--stochastic-depth: /, ''));
  }
}

/** Builds the model (with stochastic-depth gates when configured) and the technique hooks, in a fixed order. */
export function buildModelAndTechniques(config: RunConfig, modelOptions: ModelOptions): TechniqueSetup {
  modelEntry(config.model.name); // unknown model → UnknownModelError listing the valid ones
  const enabled: string[] = [];
  const hooks: TrainHook[] = [];
  let model: tfl.LayersModel;
  let forward: TrainOptions['forward'];
  if (config.stochasticDepth) {
    const sd = config.stochasticDepth;
    if (!/^resnet\d+$/.test(config.model.name)) {
      throw new ConfigError('stochasticDepth', `needs a residual model (resnet20/32/56/110), got "${config.model.name}"`);
    }
    model = createStochasticDepthResNet(config.model.name, modelOptions, { rule: survivalRule(sd), mode: sd.mode, scaling: sd.scaling });
    forward = stochasticDepthForward(model);
    hooks.push(new StochasticDepthHook());
    enabled.push('stochasticDepth');
  } else {
    model = createModel(config.model.name, modelOptions);
  }
  // SFP zeroes at epoch ends; RePr then ranks what is left. Both on one run is unusual but well defined.
  if (config.sfp) {
    hooks.push(new SfpHook(config.sfp));
    enabled.push('sfp');
  }
  if (config.repr) {
    hooks.push(new ReprHook(config.repr));
    enabled.push('repr');
  }
  // Quantisation wraps the finished model (its layers are rebuilt as quantised subclasses).
  if (config.quant) {
    if (forward) throw new ConfigError('quant', 'cannot be combined with stochasticDepth in one run (the lazy forward needs the unwrapped gates)');
    const q = quantTechnique(model, config.quant);
    model = q.model;
    hooks.push(...q.hooks);
    enabled.push('quant');
  }
  if (config.pqNoise) {
    if (forward) throw new ConfigError('pqNoise', 'cannot be combined with stochasticDepth in one run (the lazy forward needs the unwrapped gates)');
    if (config.quant) throw new ConfigError('pqNoise', 'cannot be combined with quant (scalar) in one run: pick one quantisation to train for');
    const q = pqNoiseTechnique(model, config.pqNoise, config.seed);
    model = q.model;
    hooks.push(...q.hooks);
    enabled.push('pqNoise');
  }
  return { model, hooks, forward, enabled };
}
