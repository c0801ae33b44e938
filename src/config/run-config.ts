/**
 * The run configuration of `whittle train|repr|sfp` (and of programmatic callers): one zod schema, so
 * a YAML file, CLI flags and code all go through the same validation. Objects are strict (a typo is an
 * error naming the field, not a silently ignored key). Optimizer and schedule are flat objects rather
 * than unions so that a file's section and a flag (e.g. `--schedule cosine`) merge field by field.
 *
 * Technique sections come from the technique registry (src/techniques/registry.ts): a section that is
 * present (even `{}`) enables the technique. Adding one is a descriptor in its folder, not an edit here.
 */
import { z } from 'zod';
import { BACKEND_NAMES } from '../engine/backend.js';
import { sectionTechniques, TECHNIQUES } from '../techniques/registry.js';

const posInt = z.number().int().positive();

export const normalizationSchema = z.union([
  z.enum(['repr', 'true-std', 'dataset']),
  z.strictObject({ mean: z.array(z.number()).length(3), std: z.array(z.number().positive()).length(3) }),
]);

export const dataConfigSchema = z.strictObject({
  name: z.enum(['cifar10', 'cifar100', 'shapes']).default('cifar10'),
  /** Folder with the CIFAR .bin files (or its parent); default `$WHITTLE_CIFAR10_DIR` or ../shared/data/cifar10. */
  dir: z.string().optional(),
  /** cifar10: download the official archive into the cache when `dir` lacks the files. */
  download: z.boolean().default(false),
  /** cifar10: training batches held out for validation (default data_batch_5). Ignored when valCount is set. */
  valBatches: z.array(z.number().int().min(1).max(5)).min(1).default([5]),
  /** Hold out this many training images (seeded permutation) instead of whole batches. */
  valCount: posInt.optional(),
  /** Random crop (padding 4) + horizontal flip on training batches. */
  augment: z.boolean().default(true),
  /** cifar10: 'repr' (RePr reference constants) or 'true-std'; shapes/cifar100 use their own stats by default. */
  normalization: normalizationSchema.optional(),
  /** Keep only the first N training / validation images (quick runs). */
  trainSubset: posInt.optional(),
  valSubset: posInt.optional(),
  /** shapes: generated train / val sizes. */
  shapesTrain: posInt.default(10000),
  shapesVal: posInt.default(2000),
  /** cifar100: fine (100) or coarse (20) labels. */
  label: z.enum(['fine', 'coarse']).default('fine'),
});

export const optimizerConfigSchema = z.strictObject({
  type: z.enum(['sgd', 'adam', 'adamw']).default('sgd'),
  momentum: z.number().min(0).default(0),
  dampening: z.number().min(0).max(1).default(0),
  nesterov: z.boolean().default(false),
  weightDecay: z.number().min(0).default(0),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.999),
  eps: z.number().positive().default(1e-8),
});

export const scheduleConfigSchema = z
  .strictObject({
    type: z.enum(['constant', 'step', 'multistep', 'cosine']).default('constant'),
    unit: z.enum(['epoch', 'iteration']).default('epoch'),
    /** step: period; multistep: milestones (both in `unit`s). */
    stepSize: posInt.optional(),
    milestones: z.array(z.number().int().min(0)).optional(),
    /** A number, or one per milestone (SFP's `--gammas 10 0.2 0.2 0.2`). */
    gamma: z.union([z.number().positive(), z.array(z.number().positive())]).optional(),
    /** cosine: length (default: the whole run), floor and linear warm-up. */
    total: posInt.optional(),
    min: z.number().min(0).default(0),
    warmup: z.number().int().min(0).default(0),
    warmupStartFactor: z.number().min(0).max(1).default(0.1),
  })
  .superRefine((s, ctx) => {
    if (s.type === 'step' && s.stepSize === undefined) ctx.addIssue({ code: 'custom', path: ['stepSize'], message: 'required by the step schedule' });
    if (s.type === 'step' && Array.isArray(s.gamma)) ctx.addIssue({ code: 'custom', path: ['gamma'], message: 'the step schedule takes one gamma, not a list' });
    if (s.type === 'multistep' && !s.milestones?.length) ctx.addIssue({ code: 'custom', path: ['milestones'], message: 'required by the multistep schedule' });
  });

export const trainConfigSchema = z.strictObject({
  epochs: z.number().int().min(0).default(1),
  batchSize: posInt.default(128),
  lr: z.number().positive().default(0.01),
  optimizer: optimizerConfigSchema.prefault({}),
  schedule: scheduleConfigSchema.prefault({}),
  /** Evaluate on the validation split every N epochs (and after the last). */
  evalEvery: posInt.default(1),
  /** A `step` event in log.jsonl every N steps (0: none). */
  logEvery: z.number().int().min(0).default(50),
  /** Stop (with a checkpoint) after this many global steps: time-boxed runs. */
  maxIterations: posInt.optional(),
});

export const checkpointConfigSchema = z.strictObject({
  /** Also checkpoint every N global steps (0: only at epoch ends). */
  everySteps: z.number().int().min(0).default(0),
  /** Checkpoints kept (the latest and the previous by default). */
  keep: posInt.default(2),
});

type Sectioned = Extract<(typeof TECHNIQUES)[number], { section: object }>;
type TechniqueSections = { [T in Sectioned as T['section']['key']]: z.ZodOptional<T['section']['schema']> };

/** Optional technique sections, one per registry entry with a section; presence enables the technique. */
export const TECHNIQUE_SECTIONS = Object.fromEntries(
  sectionTechniques().map((t) => [t.section.key, t.section.schema.optional().describe(t.section.description)]),
) as unknown as TechniqueSections;

export const modelConfigSchema = z.strictObject({
  name: z.string().min(1).default('vanilla'),
  /** Extra registry options (inputShape and numClasses come from the data; seed from the run seed). */
  options: z.record(z.string(), z.unknown()).default({}),
});

export const runConfigSchema = z.strictObject({
  model: modelConfigSchema.prefault({}).describe('model from the registry (vanilla, resnet20/32/56/110, vgg16) and extra options'),
  data: dataConfigSchema.prefault({}).describe('dataset, validation split, augmentation, normalisation, subsets'),
  train: trainConfigSchema.prefault({}).describe('epochs, batch size, learning rate, optimizer, schedule'),
  checkpoint: checkpointConfigSchema.prefault({}).describe('checkpoints under <out>/checkpoints'),
  seed: z.number().int().min(0).default(0).describe('seed of initialisation, data order, augmentation and techniques'),
  backend: z.enum(BACKEND_NAMES as unknown as [string, ...string[]]).default('auto'),
  /** wasm/native threads (default: the backend's own choice). */
  threads: posInt.optional(),
  /** Run directory: config.json, log.jsonl, checkpoints/. Default runs/<model>-<data>. */
  out: z.string().optional().describe('run directory: config.json, log.jsonl, checkpoints/ (default runs/<model>-<data>)'),
  ...TECHNIQUE_SECTIONS,
});

export type RunConfig = z.infer<typeof runConfigSchema>;
/** What a YAML file or a caller may write: every field optional, nested objects partial. */
export type RunConfigInput = z.input<typeof runConfigSchema>;
export type DataConfig = z.infer<typeof dataConfigSchema>;
export type ScheduleSettings = z.infer<typeof scheduleConfigSchema>;
export type { StochasticDepthConfig } from '../techniques/stochastic-depth/config.js';
export { stochasticDepthConfigSchema } from '../techniques/stochastic-depth/config.js';
