/**
 * Technique sections of a run config → the model to train, the hooks and the training forward, by
 * looping over the technique registry (src/techniques/registry.ts): at most one technique builds the
 * model (else the model registry does), then each enabled technique adds its hooks or wraps the model,
 * in registry order. Nothing here names a technique.
 */
import type { tfl } from '../engine/tf.js';
import { ConfigError } from '../core/errors.js';
import { createModel, modelEntry } from '../models/registry.js';
import type { ModelOptions } from '../models/common.js';
import type { TrainHook } from '../train/hooks.js';
import type { TrainOptions } from '../train/loop.js';
import type { RunConfig } from '../config/run-config.js';
import type { ModelSetup, TechniqueContext } from '../techniques/descriptor.js';
import { sectionTechniques } from '../techniques/registry.js';

export interface TechniqueSetup {
  model: tfl.LayersModel;
  hooks: TrainHook[];
  forward?: TrainOptions['forward'];
  /** Section keys of the techniques enabled (for the log and the summary). */
  enabled: string[];
}

/** Builds the model (a technique's builder, or the model registry's) and the technique hooks, in registry order. */
export function buildModelAndTechniques(config: RunConfig, modelOptions: ModelOptions): TechniqueSetup {
  modelEntry(config.model.name); // unknown model → UnknownModelError listing the valid ones
  const sections = config as unknown as Record<string, unknown>;
  const ctx: TechniqueContext = { modelName: config.model.name, modelOptions, seed: config.seed, config: sections };
  const active = sectionTechniques().filter((t) => sections[t.section.key] !== undefined);
  const builders = active.filter((t) => t.buildModel);
  if (builders.length > 1) throw new ConfigError(builders[1].section.key, `cannot be combined with ${builders[0].section.key} in one run (both build the model)`);
  const builder = builders[0];
  const setup: ModelSetup = builder ? builder.buildModel!(sections[builder.section.key], ctx) : { model: createModel(config.model.name, modelOptions) };
  let model = setup.model;
  const hooks: TrainHook[] = [];
  for (const t of active) {
    const section = sections[t.section.key];
    if (t.wrapModel && setup.forward) throw new ConfigError(t.section.key, `cannot be combined with ${builder!.section.key} in one run (the lazy forward needs the unwrapped gates)`);
    const conflict = t.conflicts?.(ctx);
    if (conflict) throw new ConfigError(t.section.key, conflict);
    if (t.wrapModel) {
      const w = t.wrapModel(model, section, ctx);
      model = w.model;
      hooks.push(...w.hooks);
    }
    if (t.hooks) hooks.push(...t.hooks(section, ctx));
  }
  return { model, hooks, forward: setup.forward, enabled: active.map((t) => t.section.key) };
}
