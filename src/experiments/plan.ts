/**
 * Expands an experiment into runs (variant × seed), each with its validated run config and directory
 * `<out>/<variant>/seed-<k>/`.
 */
import { join, resolve } from 'node:path';
import { mergeConfig, parseRunConfig, type ConfigTree } from '../config/index.js';
import type { RunConfig } from '../config/run-config.js';
import { ConfigError } from '../core/errors.js';
import type { Budget, Experiment, Variant } from './schema.js';

export interface PlannedRun {
  variant: Variant;
  seed: number;
  /** 0-based seed index. */
  seedIndex: number;
  dir: string;
  config: RunConfig;
  /** Directory of the run whose checkpoint this one reuses (`from`). */
  fromDir?: string;
}

/** Sections a budget patch always applies to; technique sections only when the variant has them. */
const ALWAYS = new Set(['model', 'data', 'train', 'checkpoint', 'seed', 'backend', 'threads']);

function budgetFor(patch: ConfigTree, merged: ConfigTree): ConfigTree {
  return Object.fromEntries(Object.entries(patch).filter(([k]) => ALWAYS.has(k) || k in merged));
}

export function planRuns(exp: Experiment, opts: { budget: Budget; seeds?: number; out: string; seedBase?: number }): PlannedRun[] {
  const out = resolve(opts.out);
  const seeds = opts.seeds ?? exp.seeds;
  const runs: PlannedRun[] = [];
  for (const v of exp.variants) {
    const merged = mergeConfig(exp.base, v.config);
    const withBudget = mergeConfig(merged, budgetFor(exp.budgets[opts.budget] ?? {}, merged), v.budgets[opts.budget] ?? {});
    for (let s = 0; s < seeds; s++) {
      const seed = (opts.seedBase ?? 0) + s;
      const dir = join(out, v.name, `seed-${seed}`);
      let config: RunConfig;
      try {
        config = parseRunConfig(mergeConfig(withBudget, { seed, out: dir }), `${exp.name}: variant "${v.name}"`);
      } catch (e) {
        if (e instanceof ConfigError) throw new ConfigError(`variants.${v.name}.${e.field}`, e.message.replace(/^config field "[^"]*": /, ''));
        throw e;
      }
      runs.push({ variant: v, seed, seedIndex: s, dir, config, fromDir: v.from ? join(out, v.from, `seed-${seed}`) : undefined });
    }
  }
  return runs;
}
