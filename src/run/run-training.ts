/**
 * One training run from a validated RunConfig: backend, data, model + techniques, optimizer, schedule,
 * run directory (config.json, log.jsonl, checkpoints/), exact resume, interruption with a checkpoint,
 * progress, and a summary. Independent of the CLI: `whittle train|repr|sfp`, the experiments runner
 * and the demo all call `runTraining`.
 *
 * @example
 *   const cfg = parseRunConfig({ model: { name: 'vanilla' }, data: { name: 'shapes' }, out: 'runs/x' });
 *   const summary = await runTraining(cfg, { reporter: silentReporter });
 */
import { join, resolve } from 'node:path';
import { WhittleError } from '../core/errors.js';
import { collectProvenance } from './provenance.js';
import { initBackend, type BackendInfo, type BackendName } from '../engine/backend.js';
import { writeFileAtomic } from '../io/atomic.js';
import { paramCounts } from '../models/stats.js';
import { numBatches } from '../data/batches.js';
import { createOptimizer, createSchedule, imageBatchSource, imageEvalBatches, jsonLinesLogger, latestCheckpoint, train, type LogEvent, type TrainHook, type TrainOptions } from '../train/index.js';
import type { RunConfig } from '../config/run-config.js';
import { buildModelAndTechniques } from './techniques.js';
import { modelEntry } from '../models/registry.js';
import { describeData, loadRunData } from './run-data.js';
import { silentReporter, type Reporter } from './reporter.js';
import { scheduleConfig, optimizerConfig } from './run-parts.js';

export interface RunTrainingOptions {
  /** Continue from the latest checkpoint in `<out>/checkpoints` (a fresh start when there is none). */
  resume?: boolean;
  /** Aborting stops after the current step, writes a checkpoint and resolves with `interrupted: true`. */
  signal?: AbortSignal;
  /** Progress and information lines (default: silent; the CLI passes its terminal reporter). */
  reporter?: Reporter;
  /** Hooks appended after the technique hooks (names must be unique). */
  hooks?: TrainHook[];
  /** Every event, after it was written to log.jsonl. */
  onEvent?: (e: LogEvent) => void;
  /** Recorded in config.json (e.g. 'train', 'repr'). */
  command?: string;
}

export interface RunMetrics {
  loss: number;
  top1: number;
  top5: number;
  n: number;
}

export interface RunSummary {
  command: string;
  runDir: string;
  /** The latest checkpoint directory (pass to `whittle eval --checkpoint`). */
  checkpoint?: string;
  backend: string;
  model: string;
  dataset: string;
  techniques: string[];
  params: number;
  epochs: number;
  /** Epochs completed and global steps done (across resumes). */
  epochsDone: number;
  iterations: number;
  /** Last validation metrics (fractions in [0, 1]). */
  val?: RunMetrics;
  /** Mean training loss / top-1 of the last completed epoch. */
  train?: { loss: number; top1: number };
  /** Wall time of this invocation (data loading excluded), and training images per second in it. */
  wallSeconds: number;
  imagesPerSecond: number;
  resumedFrom?: string;
  /** Stopped early by the signal (a checkpoint was written). */
  interrupted: boolean;
  /** Stopped by train.maxIterations. */
  stopped: boolean;
}

export const DEFAULT_OUT = (c: RunConfig) => join('runs', `${c.model.name}-${c.data.name}`);

export async function runTraining(config: RunConfig, opts: RunTrainingOptions = {}): Promise<RunSummary> {
  const command = opts.command ?? 'train';
  const runDir = resolve(config.out ?? DEFAULT_OUT(config));
  const ckptDir = join(runDir, 'checkpoints');
  const latest = latestCheckpoint(ckptDir);
  if (latest && !opts.resume) {
    throw new WhittleError(`run directory ${runDir} already has checkpoints: pass --resume to continue it, or choose another --out`);
  }
  const reporter = opts.reporter ?? silentReporter;

  modelEntry(config.model.name); // fail fast, before loading data, on an unknown model (technique sections are checked by their schemas)
  const be = await initBackend(config.backend as BackendName, { threads: config.threads });
  reporter.info(describeBackend(be));

  const data = await loadRunData(config.data, config.seed, reporter);
  reporter.info(describeData(data));
  const { train: ds, val, normalization } = data;
  const modelOptions = { ...config.model.options, inputShape: [ds.height, ds.width, ds.channels] as [number, number, number], numClasses: ds.numClasses, seed: config.seed };
  const { model, hooks, forward, enabled } = buildModelAndTechniques(config, modelOptions);
  const params = paramCounts(model).trainable;
  reporter.info(`model: ${config.model.name} (${params.toLocaleString('en-US')} params)${enabled.length ? `, techniques: ${enabled.join(', ')}` : ''}`);

  const t = config.train;
  const source = imageBatchSource(ds, { batchSize: t.batchSize, shuffle: true, augment: config.data.augment, normalize: normalization });
  const evalSteps = numBatches(val.n, t.batchSize);
  const optimizer = createOptimizer(optimizerConfig(t));
  const lr = createSchedule(scheduleConfig(t, source.stepsPerEpoch));

  // Written once the checkpoint is restored and checked (train's onRestored): a refused --resume (another
  // seed, batch size or model) leaves the run directory as it was. So is this invocation's provenance.
  const writeConfig = (): void => {
    writeFileAtomic(join(runDir, 'config.json'), JSON.stringify({ command, ...config, out: runDir }, null, 2) + '\n');
    log({ type: 'provenance', ...collectProvenance(), backend: be.name, threads: be.threads });
    if (opts.resume) reporter.info(latest ? `resuming from ${latest}` : `nothing to resume in ${ckptDir}: starting fresh`);
  };
  const log = jsonLinesLogger(join(runDir, 'log.jsonl'), (e) => {
    report(reporter, e, t.epochs);
    opts.onEvent?.(e);
  });

  // Throughput: images trained in this invocation (the last batch of an epoch may be partial).
  let images = 0;
  const t0 = Date.now();
  const imagesPerSecond = () => images / Math.max(1e-3, (Date.now() - t0) / 1000);
  const trainOpts: TrainOptions = {
    model,
    data: source,
    evalData: imageEvalBatches(val, { batchSize: t.batchSize, normalize: normalization }),
    epochs: t.epochs,
    optimizer,
    lr,
    seed: config.seed,
    hooks: [...hooks, ...(opts.hooks ?? [])],
    evalEvery: t.evalEvery,
    checkpoint: { dir: ckptDir, everySteps: config.checkpoint.everySteps, keep: config.checkpoint.keep },
    meta: { modelName: config.model.name, modelOptions, dataset: ds.name, normalization, stochasticDepth: config.stochasticDepth },
    config: { command, ...config },
    resume: opts.resume === true,
    log,
    logEvery: t.logEvery,
    forward,
    maxIterations: t.maxIterations,
    signal: opts.signal, // Ctrl-C: stop at the next step with a checkpoint
    onRestored: writeConfig,
    onProgress: (p) => {
      if (p.phase === 'train') images += p.step === p.stepsPerEpoch ? ds.n - (p.step - 1) * t.batchSize : t.batchSize;
      reporter.progress(p, { imagesPerSecond: imagesPerSecond(), evalSteps });
    },
  };
  let result;
  try {
    result = await train(trainOpts);
  } finally {
    reporter.stop();
  }
  const last = result.history[result.history.length - 1];
  const wallSeconds = (Date.now() - t0) / 1000;
  const interrupted = opts.signal?.aborted === true && result.stopped;
  return {
    command,
    runDir,
    checkpoint: latestCheckpoint(ckptDir),
    backend: be.name,
    model: config.model.name,
    dataset: config.data.name,
    techniques: enabled,
    params,
    epochs: t.epochs,
    epochsDone: result.history.length,
    iterations: result.iteration,
    val: result.final ? { ...result.final } : undefined,
    train: last ? { loss: last.trainLoss, top1: last.trainTop1 } : undefined,
    wallSeconds,
    imagesPerSecond: images / Math.max(1e-3, wallSeconds),
    resumedFrom: result.resumedFrom,
    interrupted,
    stopped: result.stopped && !interrupted,
  };
}

/** "backend: wasm (requested auto: native backend unavailable (...); ...)" — said once per run. */
export function describeBackend(be: BackendInfo): string {
  const why = be.reasons.filter((r) => r !== 'requested');
  return `backend: ${be.name} (${be.requested === be.name ? 'requested' : `requested ${be.requested}`}${why.length ? `: ${why.join('; ')}` : ''})`;
}

const pct = (v: number | undefined) => (typeof v === 'number' && Number.isFinite(v) ? `${(100 * v).toFixed(2)}%` : '-');
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(4) : '-');

/** The human lines for log events: epochs, resumes and warnings (the rest is in log.jsonl). */
function report(r: Reporter, e: LogEvent, epochs: number): void {
  if (e.type === 'epoch') {
    const val = e.valTop1 === undefined ? '' : ` | val loss ${num(e.valLoss)} top-1 ${pct(e.valTop1 as number)} top-5 ${pct(e.valTop5 as number)}`;
    r.info(`epoch ${e.epoch as number}/${epochs} (${typeof e.seconds === 'number' ? e.seconds.toFixed(1) : '-'} s): train loss ${num(e.trainLoss)} top-1 ${pct(e.trainTop1 as number)}${val}`);
  } else if (e.type === 'warning') {
    r.info(`warning: ${String(e.message)}`);
  } else if (e.type === 'resume' && e.configChanged) {
    r.info('note: the configuration differs from the checkpoint\'s (see log.jsonl)');
  }
}
