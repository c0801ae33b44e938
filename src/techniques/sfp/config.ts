/**
 * Soft Filter Pruning configuration (methods.md §2.1): `keepRate` is the KEEP ratio (0.7 zeroes
 * int(N·0.3) filters per layer); zeroing happens once before training and after every `epochPrune`
 * epochs and after the last one; all convs including the first by default; L2 criterion.
 */
import { z } from 'zod';

export const sfpConfigSchema = z.strictObject({
  keepRate: z.number().gt(0).lte(1).default(0.7),
  epochPrune: z.number().int().positive().default(1),
  criterion: z.enum(['l2', 'l1']).default('l2'),
  /** Conv layers never zeroed (names or /regex/). */
  exclude: z.array(z.string()).default([]),
  /** Leave projection-shortcut convs alone (the ImageNet `--skip_downsample`); zoo CIFAR ResNets use option A and have none. */
  skipShortcut: z.boolean().default(false),
  /** Also evaluate right before each zeroing (the reference's "acc before mask"). */
  evaluateBeforeMask: z.boolean().default(false),
});

export type SfpConfig = z.infer<typeof sfpConfigSchema>;
export type SfpConfigInput = z.input<typeof sfpConfigSchema>;
