/** The `stochasticDepth` run-config section: a survival rule (spec string or object), gate mode and scaling. */
import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';
import { parseSurvivalRule, survivalRuleSchema, type SurvivalRule } from './survival.js';

export const stochasticDepthConfigSchema = z.strictObject({
  /** `linear:0.5`-style spec (see parseSurvivalRule) or the rule object. */
  rule: z.union([z.string(), survivalRuleSchema]).default('linear:0.5').superRefine((rule, ctx) => {
    // A bad spec string is refused with the config (before data loads), in one line.
    if (typeof rule === 'string') {
      try {
        parseSurvivalRule(rule);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message.replace(/^--stochastic-depth: /, '') });
      }
    }
  }),
  mode: z.enum(['batch', 'sample']).default('batch'),
  scaling: z.enum(['test-multiply', 'train-divide']).default('test-multiply'),
});
export type StochasticDepthConfig = z.infer<typeof stochasticDepthConfigSchema>;

/** The section's rule as an object (a bad spec string is a ConfigError naming `stochasticDepth.rule`). */
export function survivalRule(sd: StochasticDepthConfig): SurvivalRule {
  if (typeof sd.rule !== 'string') return sd.rule;
  try {
    return parseSurvivalRule(sd.rule);
  } catch (e) {
    throw new ConfigError('stochasticDepth.rule', (e as Error).message.replace(/^--stochastic-depth: /, ''));
  }
}
