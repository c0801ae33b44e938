/**
 * One planned run of an experiment, in phases, so an executor can split a grid across processes or
 * cluster jobs: 'train' trains (resumable) and records `training.json`; 'post' runs the post steps on
 * the trained checkpoint and writes `summary.json`; 'all' does both. A run without post steps (and not
 * reusing another variant's checkpoint) is finished by its 'train' phase.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tf, tfl } from '../engine/tf.js';
import { writeJsonAtomic } from '../io/atomic.js';
import { WhittleError } from '../core/errors.js';
import { initBackend, type BackendName } from '../engine/backend.js';
import { runTraining, type RunSummary } from '../run/run-training.js';
import { loadRunData } from '../run/run-data.js';
import { optimizerConfig } from '../run/run-parts.js';
import type { Reporter } from '../run/reporter.js';
import { createOptimizer, evaluate, imageBatchSource, imageEvalBatches, jsonLinesLogger, modelFromCheckpoint, train, type LogEvent } from '../train/index.js';
import type { LoadedDataset } from '../data/index.js';
import type { PlannedRun } from './plan.js';
import { postStep, type PostStepContext, type PostStepResult } from './post-steps.js';
import type { Budget } from './schema.js';
import { readJson, epochSeconds } from './run-files.js';
import { collectProvenance, type Provenance } from '../run/provenance.js';
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
  /** Code, command line and machine of the invocation that finished the run (absent in older runs). */
  provenance?: Provenance;
}

export type RunPhase = 'train' | 'post' | 'all';

export interface RunOneOptions {
  experiment: string;
  budget: Budget;
  phase: RunPhase;
  reporter: Reporter;
  signal?: AbortSignal;
  /** Datasets of post steps, shared between the runs of one process. */
  dataCache?: Map<string, LoadedDataset>;
  /** Shown in front of progress lines, e.g. "[2/4] baseline seed 1". */
  tag: string;
}

/** Training finished by the 'train' phase (what summary.json's `training` holds). */
type TrainingRecord = Omit<RunSummary, 'runDir'>;

/** Whether a run needs the 'post' phase after training (post steps, or a reused checkpoint). */
export function needsPostPhase(run: PlannedRun): boolean {
  return run.variant.post.length > 0 || run.fromDir !== undefined;
}

/**
 * Runs the phase; resolves with the summary once the run is complete, or undefined when the phase is
 * done but the run is not (training finished, post steps pending) or when the signal interrupted it.
 */
export async function runOne(run: PlannedRun, o: RunOneOptions): Promise<RunSummaryFile | undefined> {
  const summaryFile = join(run.dir, 'summary.json');
  const done = readJson<RunSummaryFile>(summaryFile);
  if (done?.complete) return done;
  let training: RunSummaryFile['training'] | undefined;
  let checkpoint: string | undefined;
  if (run.fromDir) {
    if (o.phase === 'train') return undefined;
    checkpoint = readJson<RunSummaryFile>(join(run.fromDir, 'summary.json'))?.checkpoint
      ?? readJson<TrainingRecord>(join(run.fromDir, 'training.json'))?.checkpoint;
    if (!checkpoint) throw new WhittleError(`${o.tag}: variant "${run.variant.from}" has not finished training for seed ${run.seed}`);
    training = { reusedFrom: run.fromDir };
    mkdirSync(run.dir, { recursive: true });
  } else if (o.phase === 'post') {
    const rec = readJson<TrainingRecord>(join(run.dir, 'training.json'));
    if (!rec?.checkpoint) throw new WhittleError(`${o.tag}: training has not finished (no training.json in ${run.dir})`);
    training = rec;
    checkpoint = rec.checkpoint;
  } else {
    const s = await runTraining(run.config, { resume: true, reporter: o.reporter, signal: o.signal, command: `experiment ${o.experiment}` });
    if (s.interrupted) return undefined;
    const { runDir: _d, ...rest } = s;
    if (!rest.checkpoint) throw new WhittleError(`${o.tag}: training produced no checkpoint`);
    writeJsonAtomic(join(run.dir, 'training.json'), rest);
    training = rest;
    checkpoint = rest.checkpoint;
    if (o.phase === 'train' && needsPostPhase(run)) return undefined;
  }
  const post = await runPostSteps(run, checkpoint, o);
  if (o.signal?.aborted) return undefined; // an interrupted step left no result: it reruns on resume
  const summary: RunSummaryFile = {
    experiment: o.experiment, variant: run.variant.name, seed: run.seed, budget: o.budget, complete: true,
    training, checkpoint, trainSeconds: epochSeconds(run.fromDir ?? run.dir), post, provenance: collectProvenance(),
  };
  writeJsonAtomic(summaryFile, summary);
  return summary;
}

async function runPostSteps(run: PlannedRun, checkpoint: string, o: RunOneOptions): Promise<RunSummaryFile['post']> {
  const results: RunSummaryFile['post'] = [];
  if (run.variant.post.length === 0) return results;
  const { reporter, signal } = o;
  // A 'post' phase in a fresh process has not trained: the steps run on the run's backend all the same.
  await initBackend(run.config.backend as BackendName, { threads: run.config.threads });
  const cache = o.dataCache ?? new Map<string, LoadedDataset>();
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
      run, budget: o.budget, checkpoint, dir, data: d, trainSource, valBatches,
      loadModel: async () => (await modelFromCheckpoint(checkpoint)).model,
      evaluate: (m) => evaluate(m, valBatches()),
      finetune: async (m: tfl.LayersModel, f) => {
        const optimizer = createOptimizer(optimizerConfig(t));
        try {
          const r = await train({
            model: m, data: trainSource, evalData: valBatches,
            epochs: f.epochs, optimizer, lr: f.lr ?? t.lr * 0.1, seed: run.seed + 1000 + i, hooks: f.hooks, forward: f.forward,
            log: (e: LogEvent) => log({ step: step.step, ...e }), signal,
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
