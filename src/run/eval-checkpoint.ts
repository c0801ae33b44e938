/**
 * Evaluating a checkpoint: the model is rebuilt from the topology in model.json (so pruned, factorised
 * or gated models load too), falling back to the registry (`whittle.modelName/modelOptions`) only when
 * the topology cannot be deserialised; the data defaults to the run's own validation split.
 */
import { join } from 'node:path';
import type { tfl } from '../engine/tf.js';
import { initBackend, type BackendName } from '../engine/backend.js';
import { modelFromCheckpoint } from '../train/model-io.js';
import { loadCheckpoint, evaluate, imageEvalBatches, type LoadedCheckpoint } from '../train/index.js';
import type { Normalization } from '../data/types.js';
import { mergeConfig, type ConfigTree } from '../config/load.js';
import { runConfigSchema, type RunConfig } from '../config/run-config.js';
import { configErrorFrom } from '../config/load.js';
import { loadRunData } from './run-data.js';
import { describeBackend } from './run-training.js';
import { silentReporter, type Reporter } from './reporter.js';

export interface EvalCheckpointOptions {
  /** Overrides of the run's data section (e.g. another dataDir or a valSubset). */
  data?: ConfigTree;
  batchSize?: number;
  backend?: BackendName;
  reporter?: Reporter;
}

export interface EvalCheckpointResult {
  checkpoint: string;
  model: string;
  dataset: string;
  backend: string;
  epoch: number;
  iteration: number;
  loss: number;
  top1: number;
  top5: number;
  n: number;
  seconds: number;
  imagesPerSecond: number;
  /** How the model was rebuilt. */
  rebuiltFrom: 'topology' | 'registry';
}

/** The run config stored in the checkpoint (defaults for anything missing), with data overrides applied. */
function runConfigOf(ck: LoadedCheckpoint, data: ConfigTree | undefined): RunConfig {
  const stored = (ck.state.config ?? {}) as ConfigTree;
  const { command: _c, ...rest } = stored;
  const merged = mergeConfig(rest, data ? { data } : {});
  const r = runConfigSchema.safeParse(merged);
  if (!r.success) throw configErrorFrom(r.error, [{ source: join(ck.dir, 'state.json'), values: rest }, ...(data ? [{ source: 'the command line', values: { data } }] : [])]);
  return r.data;
}

/** The run's validation data for a checkpoint and an evaluator over it (shared by eval, prune, ...). */
export async function checkpointValidation(ck: LoadedCheckpoint, opts: Pick<EvalCheckpointOptions, 'data' | 'batchSize'> = {}) {
  const config = runConfigOf(ck, opts.data);
  const data = await loadRunData(config.data, config.seed);
  // The run's own normalisation when the data is the run's dataset (CLI overrides of other fields keep it).
  const stored = ck.meta.normalization as Normalization | undefined;
  const normalize = stored && ck.meta.dataset === data.train.name && opts.data?.normalization === undefined ? stored : data.normalization;
  const batchSize = opts.batchSize ?? config.train.batchSize;
  const evaluateModel = (model: tfl.LayersModel) => evaluate(model, imageEvalBatches(data.val, { batchSize, normalize })());
  return { config, data, normalize, batchSize, evaluate: evaluateModel };
}

export async function evaluateCheckpoint(path: string, opts: EvalCheckpointOptions = {}): Promise<EvalCheckpointResult> {
  const reporter = opts.reporter ?? silentReporter;
  const ck = loadCheckpoint(path);
  const config = runConfigOf(ck, opts.data);
  const be = await initBackend(opts.backend ?? (config.backend as BackendName));
  reporter.info(describeBackend(be));
  const { model, rebuiltFrom } = await modelFromCheckpoint(ck);
  const v = await checkpointValidation(ck, opts);
  const t0 = Date.now();
  const m = await v.evaluate(model);
  const seconds = (Date.now() - t0) / 1000;
  model.dispose();
  return {
    checkpoint: ck.dir,
    model: String(ck.meta.modelName ?? model.name),
    dataset: v.data.val.name,
    backend: be.name,
    epoch: ck.state.epoch,
    iteration: ck.state.iteration,
    ...m,
    seconds,
    imagesPerSecond: m.n / Math.max(1e-3, seconds),
    rebuiltFrom,
  };
}
