/**
 * An experiment file: a base run config, named variants (config patches), seeds, budgets ('quick' fits
 * ~20 minutes on a 2-core machine; 'standard' is the full split at tens of epochs, hours per grid;
 * 'full' matches the reference schedules), and optional post-training
 * steps per variant (prune export, ENC, quantisation, PQ). Validated by zod; errors name the field.
 */
import { z } from 'zod';

const tree = z.record(z.string(), z.unknown());
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, ".", "_" or "-" (used as a directory name)');

export const postStepSchema = z.looseObject({ step: z.string().min(1) });
export type PostStep = z.infer<typeof postStepSchema>;

export const variantSchema = z.strictObject({
  name,
  description: z.string().optional(),
  /** Run-config patch over `base` (a technique section present = technique enabled). */
  config: tree.default({}),
  /** Per-budget patches for this variant only. */
  budgets: z.strictObject({ quick: tree.optional(), standard: tree.optional(), full: tree.optional() }).default({}),
  /** Reuse the trained checkpoint of another variant (same seed) instead of training. */
  from: name.optional(),
  /** Steps run on the trained model, in order (see src/experiments/post-steps.ts). */
  post: z.array(postStepSchema).default([]),
});
export type Variant = z.infer<typeof variantSchema>;

export const experimentSchema = z
  .strictObject({
    name,
    title: z.string().min(1),
    description: z.string().default(''),
    base: tree.default({}),
    budgets: z.strictObject({ quick: tree.default({}), standard: tree.default({}), full: tree.default({}) }).prefault({}),
    /** What each budget changes, stated in the report. */
    budgetNotes: z.strictObject({ quick: z.string().default(''), standard: z.string().default(''), full: z.string().default('') }).prefault({}),
    seeds: z.number().int().positive().default(1),
    variants: z.array(variantSchema).min(1),
  })
  .superRefine((e, ctx) => {
    const names = e.variants.map((v) => v.name);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) ctx.addIssue({ code: 'custom', path: ['variants', i, 'name'], message: `duplicate variant name "${n}"` });
    });
    e.variants.forEach((v, i) => {
      if (v.from && !names.includes(v.from)) ctx.addIssue({ code: 'custom', path: ['variants', i, 'from'], message: `no variant named "${v.from}"` });
      if (v.from && names.indexOf(v.from) > i) ctx.addIssue({ code: 'custom', path: ['variants', i, 'from'], message: `"${v.from}" must come before "${v.name}"` });
    });
  });
export type Experiment = z.infer<typeof experimentSchema>;
export type Budget = 'quick' | 'standard' | 'full';
export const BUDGETS: readonly Budget[] = ['quick', 'standard', 'full'];
