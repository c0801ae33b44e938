/**
 * What a technique tells the rest of Whittle about itself, in one object per technique folder
 * (`src/techniques/<name>/descriptor.ts`, listed once in ./registry.ts): its run-config section, its
 * CLI flags, how it builds or wraps the model and which training hooks it adds, and its custom layer
 * classes. The run config, the training-job builder, the CLI and the layer-kind lists loop over the
 * registry, so adding a technique is one folder plus one registry line.
 */
import type { z } from 'zod';
import type { tfl } from '../engine/tf.js';
import type { FlagSpec } from '../config/flag-spec.js';
import type { ModelOptions } from '../models/common.js';
import type { TrainHook } from '../train/hooks.js';
import type { TrainOptions } from '../train/loop.js';

/** A Whittle layer class registered with tfjs serialization (the descriptor's module registers it). */
export interface LayerClassSpec {
  className: string;
  /** conv / dense stand-ins count in FLOPs and layer selection; 'other' layers do not. */
  kind: 'conv' | 'dense' | 'other';
  /** Its first weight is the trainable kernel variable (HWIO or [in, out]) that filter masking may zero. */
  kernelVariable: boolean;
}

/** What every builder step sees: the whole run config (typed loosely: the config is built from the registry). */
export interface TechniqueContext {
  modelName: string;
  modelOptions: ModelOptions;
  seed: number;
  config: Readonly<Record<string, unknown>>;
}

export interface ModelSetup {
  model: tfl.LayersModel;
  /** A training forward replacing `model.apply` (e.g. stochastic depth's lazy executor). */
  forward?: TrainOptions['forward'];
}

export interface TechniqueCli {
  /** A training command of its own (`whittle repr`) that enables the section. */
  command?: { name: string; description: string };
  /** Flags of that command only (they may reuse names other techniques use, e.g. --criterion). */
  commandFlags?: readonly FlagSpec[];
  /** Flags every training command takes (prefixed names: --quant-bits, --sd-mode, ...). */
  trainingFlags?: readonly FlagSpec[];
}

interface DescriptorBase {
  /** The folder name under src/techniques/. */
  name: string;
  description: string;
  cli?: TechniqueCli;
  layers?: readonly LayerClassSpec[];
}

/** A technique that is configured by a run-config section (present, even `{}`, means enabled). */
export interface SectionTechnique<K extends string = string, S extends z.ZodType = z.ZodType> extends DescriptorBase {
  section: { key: K; schema: S; description: string };
  /** Builds the model instead of the registry's createModel (at most one enabled technique may). */
  buildModel?(section: z.output<S>, ctx: TechniqueContext): ModelSetup;
  /** Training hooks, added in registry order. */
  hooks?(section: z.output<S>, ctx: TechniqueContext): TrainHook[];
  /** Rebuilds the finished model (layers swapped for subclasses) and adds its hooks. */
  wrapModel?(model: tfl.LayersModel, section: z.output<S>, ctx: TechniqueContext): { model: tfl.LayersModel; hooks: TrainHook[] };
  /** Why this section cannot run with the rest of the config (undefined: it can). */
  conflicts?(ctx: TechniqueContext): string | undefined;
}

/** A technique used after training only (no run-config section): it may still own layer classes and commands. */
export interface ToolTechnique extends DescriptorBase {
  section?: undefined;
}

export type TechniqueDescriptor = SectionTechnique<string, z.ZodType> | ToolTechnique;

/** Keeps the section key literal and types the builders' `section` argument from the schema. */
export function defineTechnique<const K extends string, S extends z.ZodType>(d: SectionTechnique<K, S>): SectionTechnique<K, S> {
  return d;
}
