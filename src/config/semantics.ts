/**
 * Checks of a validated run config that need more than one field (what zod's per-field schema cannot say),
 * so they fail as a ConfigError naming the field before any model or data is built, not as a RangeError
 * inside the run: the model exists, stochastic depth is on a CIFAR ResNet and its rule fits the model.
 */
import { ConfigError } from '../core/errors.js';
import { listModels } from '../models/registry.js';
import { parseSurvivalRule, type SurvivalRule } from '../techniques/stochastic-depth/survival.js';
import type { RunConfig } from './run-config.js';

/** Residual blocks of the CIFAR ResNets (3 stages of (depth − 2)/6 blocks). */
const RESNET_BLOCKS: Record<string, number> = { resnet20: 9, resnet32: 15, resnet56: 27, resnet110: 54 };

export function checkRunSemantics(config: RunConfig): void {
  if (!listModels().includes(config.model.name)) {
    throw new ConfigError('model.name', `unknown model "${config.model.name.slice(0, 100)}" (valid models: ${listModels().join(', ')})`);
  }
  const sd = config.stochasticDepth;
  if (!sd) return;
  const blocks = RESNET_BLOCKS[config.model.name];
  if (blocks === undefined) throw new ConfigError('stochasticDepth', `needs a residual model (${Object.keys(RESNET_BLOCKS).join('/')}), got "${config.model.name}"`);
  let rule: SurvivalRule;
  try {
    rule = typeof sd.rule === 'string' ? parseSurvivalRule(sd.rule) : sd.rule;
  } catch (e) {
    throw new ConfigError('stochasticDepth.rule', (e as Error).message.replace(/^--stochastic-depth: /, '').split('\n')[0]);
  }
  if (rule.rule === 'explicit' && rule.survival.length !== blocks) {
    throw new ConfigError('stochasticDepth.rule.survival', `lists ${rule.survival.length} survival probabilities, ${config.model.name} has ${blocks} residual blocks`);
  }
}
