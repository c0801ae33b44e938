/**
 * Runs an experiment grid: every (variant, seed) in its own directory with config.json, log.jsonl,
 * checkpoints/ and summary.json. Resumable: a run with a summary is skipped, an interrupted run resumes
 * from its last checkpoint, finished post steps are not repeated.
 */
import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tf, tfl } from '../engine/tf.js';
import { writeJsonAtomic } from '../io/atomic.js';
import { WhittleError } from '../core/errors.js';
import { runTraining, type RunSummary } from '../run/run-training.js';
import { loadRunData } from '../run/run-data.js';
import { optimizerConfig } from '../run/run-parts.js';
import { silentReporter, type Reporter } from '../run/reporter.js';
import { createOptimizer, evaluate, imageBatchSource, imageEvalBatches, jsonLinesLogger, latestCheckpoint, modelFromCheckpoint, train, type LogEvent } from '../train/index.js';
import type { LoadedDataset } from '../data/index.js';
import { planRuns, type PlannedRun } from './plan.js';
import { postStep, type PostStepContext, type PostStepResult } from './post-steps.js';
import type { Budget, Experiment } from './schema.js';
import './builtin-steps.js';

export interface RunSummaryFile {
  experiment: string;
  variant: string;
  seed: number;
  budget: Budget;
  complete: true;
  training: Omit<RunSummary, 'runDir'> | { reusedFrom: string };
  checkpoint: string;
  /** Sum of the epoch times in log.jsonl (all invocations). */
  trainSeconds: number;
  post: Array<{ step: string; result: PostStepResult }>;
}

export interface ExperimentRunOptions {
  budget: Budget;
  seeds?: number;
  out: string;
  reporter?: Reporter;
  signal?: AbortSignal;
  /** Only these variants (names). */
  only?: string[];
}

export function readJson<T>(file: string): T | undefined {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

export function epochSeconds(runDir: string): number {
  const f = join(runDir, 'log.jsonl');
  if (!existsSync(f)) return 0;
  let s = 0;
  for (const line of readFileSync(f, 'utf8').split('\n')) {
    if (!line.includes('"epoch"')) continue;
    try {
      const e = JSON.parse(line) as LogEvent;
      if (e.type === 'epoch' && typeof e.seconds === 'number') s += e.seconds;
    } catch {
      /* a line cut by a crash */
    }
  }
  return s;
}

export async function runExperiment(exp: Experiment, o: ExperimentRunOptions): Promise<RunSummaryFile[]> {
  const out = resolve(o.out);
  mkdirSync(out, { recursive: true });
  const runs = planRuns(exp, { budget: o.budget, seeds: o.seeds, out }).filter((r) => !o.only || o.only.includes(r.variant.name));
  // Unknown post steps fail before any training, not after it.
  for (const r of runs) for (const st of r.variant.post) postStep(st.step);
  writeJsonAtomic(join(out, 'experiment.json'), { experiment: exp, budget: o.budget, seeds: o.seeds ?? exp.seeds });
  const reporter = o.reporter ?? silentReporter;
  const results: RunSummaryFile[] = [];
  const dataCache = new Map<string, LoadedDataset>();
  for (const [i, run] of runs.entries()) {
    if (o.signal?.aborted) break;
    const tag = `[${i + 1}/${runs.length}] ${run.variant.name} seed ${run.seed}`;
    const summaryFile = join(run.dir, 'summary.json');
    const done = readJson<RunSummaryFile>(summaryFile);
    if (done?.complete) {
      reporter.info(`${tag}: done, skipped`);
      results.push(done);
      continue;
    }
    reporter.info(`${tag}: ${run.fromDir ? `reusing ${run.variant.from}` : 'training'}`);
    let training: RunSummaryFile['training'];
    let checkpoint: string | undefined;
    if (run.fromDir) {
      checkpoint = readJson<RunSummaryFile>(join(run.fromDir, 'summary.json'))?.checkpoint;
      if (!checkpoint) throw new WhittleError(`${tag}: variant "${run.variant.from}" has not finished for seed ${run.seed}`);
      training = { reusedFrom: run.fromDir };
      mkdirSync(run.dir, { recursive: true });
    } else {
      const s = await runTraining(run.config, { resume: true, reporter, signal: o.signal, command: `experiment ${exp.name}` });
      if (s.interrupted) break;
      const { runDir: _d, ...rest } = s;
      training = rest;
      checkpoint = s.checkpoint;
    }
    if (!checkpoint) throw new WhittleError(`${tag}: training produced no checkpoint`);
    const post = await runPostSteps(run, checkpoint, o.budget, dataCache, reporter, o.signal);
    if (o.signal?.aborted) break; // an interrupted step left no result: it reruns on resume
    const summary: RunSummaryFile = {
      experiment: exp.name, variant: run.variant.name, seed: run.seed, budget: o.budget, complete: true,
      training, checkpoint, trainSeconds: epochSeconds(run.fromDir ?? run.dir), post,
    };
    writeJsonAtomic(summaryFile, summary);
    results.push(summary);
  }
  return results;
}

async function runPostSteps(
  run: PlannedRun, checkpoint: string, budget: Budget, cache: Map<string, LoadedDataset>, reporter: Reporter, signal?: AbortSignal,
): Promise<RunSummaryFile['post']> {
  const results: RunSummaryFile['post'] = [];
  if (run.variant.post.length === 0) return results;
  const key = JSON.stringify([run.config.data, run.config.seed]);
  let data = cache.get(key);
  if (!data) {
    data = await loadRunData(run.config.data, run.config.seed, reporter);
    cache.set(key, data);
  }
  const d = data;
  const t = run.config.train;
  const log = jsonLinesLogger(join(run.dir, 'post.jsonl'));
  for (const [i, step] of run.variant.post.entries()) {
    if (signal?.aborted) break;
    const file = join(run.dir, 'post', `${i}-${step.step}.json`);
    const prev = readJson<PostStepResult>(file);
    if (prev) {
      results.push({ step: step.step, result: prev });
      continue;
    }
    reporter.info(`  post step ${step.step}`);
    const dir = join(run.dir, 'post', `${i}-${step.step}`);
    const trainSource = imageBatchSource(d.train, { batchSize: t.batchSize, shuffle: true, augment: run.config.data.augment, normalize: d.normalization });
    const valBatches = imageEvalBatches(d.val, { batchSize: t.batchSize, normalize: d.normalization });
    const ctx: PostStepContext = {
      run, budget, checkpoint, dir, data: d, trainSource, valBatches,
      loadModel: async () => (await modelFromCheckpoint(checkpoint)).model,
      evaluate: (m) => evaluate(m, valBatches()),
      finetune: async (m: tfl.LayersModel, f) => {
        const optimizer = createOptimizer(optimizerConfig(t));
        try {
          const r = await train({
            model: m, data: trainSource, evalData: valBatches,
            epochs: f.epochs, optimizer, lr: f.lr ?? t.lr * 0.1, seed: run.seed + 1000 + i, hooks: f.hooks, forward: f.forward,
            log: (e) => log({ step: step.step, ...e }), signal,
          });
          return r.final;
        } finally {
          optimizer.dispose();
        }
      },
      log: (e) => log({ step: step.step, ...e }),
      info: (line) => reporter.info(`  ${line}`),
      signal,
    };
    const before = tf.memory().numTensors;
    const result = await postStep(step.step)(step, ctx);
    if (signal?.aborted) {
      reporter.info(`  ${step.step} interrupted: it reruns when the experiment resumes`);
      break;
    }
    if (tf.memory().numTensors > before + 2000) reporter.info(`  note: ${step.step} left ${tf.memory().numTensors - before} tensors allocated`);
    writeJsonAtomic(file, result);
    results.push({ step: step.step, result });
  }
  return results;
}

/** Per run: done / training (with progress) / not started. */
export function experimentStatus(exp: Experiment, o: { budget: Budget; seeds?: number; out: string }): Array<{ variant: string; seed: number; state: 'done' | 'in progress' | 'not started'; detail: string }> {
  return planRuns(exp, o).map((r) => {
    const s = readJson<RunSummaryFile>(join(r.dir, 'summary.json'));
    if (s?.complete) {
      const top1 = 'val' in s.training && s.training.val ? `${(100 * s.training.val.top1).toFixed(2)}%` : '-';
      return { variant: r.variant.name, seed: r.seed, state: 'done' as const, detail: `val top-1 ${top1}, ${s.trainSeconds.toFixed(0)} s` };
    }
    const ck = latestCheckpoint(join(r.dir, 'checkpoints'));
    if (ck || existsSync(join(r.dir, 'log.jsonl'))) return { variant: r.variant.name, seed: r.seed, state: 'in progress' as const, detail: ck ? `checkpoint ${ck}` : 'started' };
    return { variant: r.variant.name, seed: r.seed, state: 'not started' as const, detail: '' };
  });
}

export { silentReporter };
