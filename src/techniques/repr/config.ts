/**
 * RePr configuration (methods.md §1). Defaults follow the third-party reference (siahuat0727/RePr,
 * §1.5): S1 = 20, S2 = 10 epochs, 3 cycles, p = 0.3, global ranking, conv1 included, biases keep
 * training, clamp-scaled null-space re-initialisation, next-layer weights kept (the reference's
 * "random" branch is a silent no-op, §1.4.4 — here every option really happens).
 */
import { z } from 'zod';

export const reprConfigSchema = z.strictObject({
  /** Whether s1/s2 count epochs or iterations. */
  unit: z.enum(['epoch', 'iteration']).default('epoch'),
  s1: z.number().int().positive().default(20),
  s2: z.number().int().positive().default(10),
  cycles: z.number().int().min(0).default(3),
  /** p: fraction of the ranked filters dropped per cycle. */
  dropFraction: z.number().min(0).lt(1).default(0.3),
  criterion: z.enum(['orthogonality', 'l2', 'l1']).default('orthogonality'),
  scope: z.enum(['global', 'perLayer']).default('global'),
  /** Conv layers left out of ranking and dropping (names or /regex/); the paper's author excludes conv1. */
  exclude: z.array(z.string()).default([]),
  maxLayerFraction: z.number().gt(0).lte(1).default(1),
  /** Filters a layer always keeps (≥ 1 so a layer is never emptied silently). */
  minKeep: z.number().int().min(0).default(1),
  /** Orthogonality score × fanIn^exponent: 0 none, 0.5 sqrt, 0.25 fourth root (the note's fixes). */
  fanInExponent: z.number().min(0).max(2).default(0),
  reinitScale: z.enum(['clamp', 'match-kept']).default('clamp'),
  /** Incoming weights of the next layer for re-initialised channels. */
  nextLayer: z.enum(['keep', 'zero', 'random']).default('keep'),
  /** Biases of re-initialised filters. */
  bias: z.enum(['keep', 'reset']).default('keep'),
  /** Freeze the biases of dropped filters too (the reference lets them train, §1.3). */
  maskBias: z.boolean().default(false),
  /** The note's experiment: multiply re-initialised filters' gradients by `factor` for `steps` steps. */
  gradientAmplification: z.strictObject({ factor: z.number().positive(), steps: z.number().int().positive() }).optional(),
  /** The note's experiment: from the 2nd cycle on, drop exactly the filters re-initialised last cycle. */
  redropSame: z.boolean().default(false),
  /** Evaluate on validation just before/after each drop and after each re-init (diagnostics). */
  evaluateAroundEvents: z.boolean().default(true),
});

export type ReprConfig = z.infer<typeof reprConfigSchema>;
export type ReprConfigInput = z.input<typeof reprConfigSchema>;

export type ReprEvent = { kind: 'drop' | 'reinit'; cycle: number; at: number };

/** The drop / re-init timeline: drop at c(S1+S2)+S1, re-init at (c+1)(S1+S2), c = 0..N−1. */
export function reprTimeline(c: Pick<ReprConfig, 's1' | 's2' | 'cycles'>): ReprEvent[] {
  const ev: ReprEvent[] = [];
  for (let k = 0; k < c.cycles; k++) {
    ev.push({ kind: 'drop', cycle: k, at: k * (c.s1 + c.s2) + c.s1 });
    ev.push({ kind: 'reinit', cycle: k, at: (k + 1) * (c.s1 + c.s2) });
  }
  return ev;
}
