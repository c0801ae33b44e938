/**
 * Survival probabilities per residual block (methods.md §6.1–6.2).
 * - `linear` (paper, `lin_decay`): blocks indexed l = 1..L, p_l = 1 − (l/L)(1 − p_L). Block 1 is
 *   droppable (p_1 = 1 − (1 − p_L)/L).
 * - `linear` with `indexing: 'timm'`: l = 0..L−1 over L−1, so the first block is never dropped and the
 *   last has p_L (timm's `drop_path_rate · idx/(n−1)`).
 * - `uniform`: every block survives with p_L (the paper's uniform rule).
 * - an explicit list.
 */
import { z } from 'zod';

export const survivalRuleSchema = z.union([
  z.strictObject({ rule: z.literal('linear'), pL: z.number().gt(0).lte(1).default(0.5), indexing: z.enum(['paper', 'timm']).default('paper') }),
  z.strictObject({ rule: z.literal('uniform'), p: z.number().gt(0).lte(1) }),
  z.strictObject({ rule: z.literal('explicit'), survival: z.array(z.number().gt(0).lte(1)).min(1) }),
  z.strictObject({ rule: z.literal('constant') }),
]);
export type SurvivalRule = z.infer<typeof survivalRuleSchema>;

export function survivalProbabilities(rule: SurvivalRule, numBlocks: number): number[] {
  if (!Number.isInteger(numBlocks) || numBlocks < 1) throw new RangeError(`numBlocks must be a positive integer, got ${numBlocks}`);
  switch (rule.rule) {
    case 'constant':
      return new Array(numBlocks).fill(1);
    case 'uniform':
      return new Array(numBlocks).fill(rule.p);
    case 'explicit':
      if (rule.survival.length !== numBlocks) {
        throw new RangeError(`explicit survival list has ${rule.survival.length} entries but the model has ${numBlocks} residual blocks`);
      }
      return [...rule.survival];
    case 'linear': {
      const L = numBlocks;
      if (rule.indexing === 'timm') {
        return Array.from({ length: L }, (_, i) => (L === 1 ? rule.pL : 1 - (i / (L - 1)) * (1 - rule.pL)));
      }
      return Array.from({ length: L }, (_, i) => 1 - ((i + 1) / L) * (1 - rule.pL));
    }
  }
}

/** The rule if the schema accepts it, else one line naming the spec and what is wrong (no zod dump). */
function checked(spec: string, value: unknown): SurvivalRule {
  const r = survivalRuleSchema.safeParse(value);
  if (r.success) return r.data;
  const what = r.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ');
  throw new Error(`--stochastic-depth: "${spec}" is invalid (${what}; probabilities lie in (0, 1])`);
}

/** Parses the CLI form: `linear:0.5`, `linear-timm:0.5`, `uniform:0.8`, `explicit:1,0.9,0.8`, `constant`/`none`. */
export function parseSurvivalRule(spec: string): SurvivalRule {
  const [kind, arg] = spec.split(':');
  switch (kind) {
    case 'none':
    case 'constant':
      return { rule: 'constant' };
    case 'linear':
      return checked(spec, { rule: 'linear', pL: arg === undefined ? 0.5 : Number(arg) });
    case 'linear-timm':
      return checked(spec, { rule: 'linear', pL: arg === undefined ? 0.5 : Number(arg), indexing: 'timm' });
    case 'uniform':
      return checked(spec, { rule: 'uniform', p: Number(arg) });
    case 'explicit':
      return checked(spec, { rule: 'explicit', survival: (arg ?? '').split(',').map(Number) });
    default:
      throw new Error(`--stochastic-depth: unknown rule "${spec}" (expected linear:P, linear-timm:P, uniform:P, explicit:P1,P2,... or none)`);
  }
}

/** Survival probability that makes `uniform` match `linear` in expected depth (Σ p_l equal). */
export function uniformMatchingLinear(pL: number, numBlocks: number): number {
  const lin = survivalProbabilities({ rule: 'linear', pL, indexing: 'paper' }, numBlocks);
  return lin.reduce((a, b) => a + b, 0) / numBlocks;
}
