/**
 * Runs an experiment grid in this process (the local executor): every (variant, seed) in its own
 * directory with config.json, log.jsonl, checkpoints/ and summary.json. Resumable: a run with a summary
 * is skipped, an interrupted run resumes from its last checkpoint, finished post steps are not repeated.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeJsonAtomic } from '../io/atomic.js';
import { silentReporter, type Reporter } from '../run/reporter.js';
import type { LoadedDataset } from '../data/index.js';
import { planRuns, type PlannedRun } from './plan.js';
import { postStep } from './post-steps.js';
import { runOne, type RunSummaryFile } from './run-one.js';
import { readJson } from './run-files.js';
import type { Budget, Experiment } from './schema.js';

export type { RunSummaryFile } from './run-one.js';
export { readJson, epochSeconds } from './run-files.js';

export interface ExperimentRunOptions {
  budget: Budget;
  seeds?: number;
  out: string;
  reporter?: Reporter;
  signal?: AbortSignal;
  /** Only these variants (names). */
  only?: string[];
}

export async function runExperiment(exp: Experiment, o: ExperimentRunOptions): Promise<RunSummaryFile[]> {
  const runs = prepareExperiment(exp, o).filter((r) => !o.only || o.only.includes(r.variant.name));
  const reporter = o.reporter ?? silentReporter;
  const results: RunSummaryFile[] = [];
  const dataCache = new Map<string, LoadedDataset>();
  for (const [i, run] of runs.entries()) {
    if (o.signal?.aborted) break;
    const tag = `[${i + 1}/${runs.length}] ${run.variant.name} seed ${run.seed}`;
    if (readJson<RunSummaryFile>(join(run.dir, 'summary.json'))?.complete) reporter.info(`${tag}: done, skipped`);
    else reporter.info(`${tag}: ${run.fromDir ? `reusing ${run.variant.from}` : 'training'}`);
    const summary = await runOne(run, { experiment: exp.name, budget: o.budget, phase: 'all', reporter, signal: o.signal, dataCache, tag });
    if (!summary) break; // interrupted
    results.push(summary);
  }
  return results;
}

/**
 * Plans the grid of an experiment directory and writes `experiment.json` (what `experiment status` and
 * `report` read); unknown post steps fail here, before any training.
 */
export function prepareExperiment(exp: Experiment, o: { budget: Budget; seeds?: number; out: string }): PlannedRun[] {
  const out = resolve(o.out);
  const runs = planRuns(exp, { budget: o.budget, seeds: o.seeds, out });
  for (const r of runs) for (const st of r.variant.post) postStep(st.step);
  mkdirSync(out, { recursive: true });
  writeJsonAtomic(join(out, 'experiment.json'), { experiment: exp, budget: o.budget, seeds: o.seeds ?? exp.seeds });
  return runs;
}

export { silentReporter };
export { experimentStatus } from './status.js';
