/**
 * Rebuilding a model from a checkpoint: the tfjs topology stored in model.json (so pruned, factorised
 * and quantised models load as they were saved), then the weights by stable key.
 */
import { assertExportTarget } from './output-target.js';
import type { tfl } from '../engine/tf.js';
import { FormatError } from '../core/errors.js';
import '../models/custom-layers.js';
import { buildFromTopology, disposeVariablesSince, TOPOLOGY_LIMITS, variableNames } from '../models/topology-check.js';
import { createModel, type ModelOptions } from '../models/registry.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointMeta, type LoadedCheckpoint } from './checkpoint.js';
import { captureWeights, restoreWeights } from './model-state.js';
import type { EpochRecord } from './state.js';

export interface CheckpointModel {
  model: tfl.LayersModel;
  checkpoint: LoadedCheckpoint;
  /** 'topology' normally; 'registry' when the stored topology could not be rebuilt but the model name could. */
  rebuiltFrom: 'topology' | 'registry';
}

/** The model of a checkpoint (a run dir, its checkpoints/ folder, a ckpt-* dir, or one already loaded), with its weights. */
export async function modelFromCheckpoint(from: string | LoadedCheckpoint): Promise<CheckpointModel> {
  const checkpoint = typeof from === 'string' ? loadCheckpoint(from) : from;
  const modelFile = `${checkpoint.dir}/model.json`;
  let model: tfl.LayersModel | undefined;
  let rebuiltFrom: CheckpointModel['rebuiltFrom'] = 'topology';
  let why = 'no topology stored';
  if (checkpoint.topology) {
    try {
      model = await buildFromTopology(checkpoint.topology as Record<string, unknown>, modelFile);
    } catch (e) {
      why = (e as Error).message.split('\n')[0];
    }
  }
  if (!model) {
    const name = checkpoint.meta.modelName;
    if (typeof name !== 'string' || !name) throw new FormatError(modelFile, `cannot rebuild the model (${why}) and no whittle.modelName to fall back on`);
    model = createFromRegistry(name, checkpoint.meta.modelOptions, modelFile);
    rebuiltFrom = 'registry';
  }
  try {
    restoreWeights(model, checkpoint.weights, `${checkpoint.dir}/weights.safetensors`);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, checkpoint, rebuiltFrom };
}

/** The registry fallback, with the stored options bounded (they size the weights) and failures typed. */
function createFromRegistry(name: string, options: unknown, file: string): tfl.LayersModel {
  const o = (options ?? {}) as ModelOptions;
  if (typeof o !== 'object' || Array.isArray(o)) throw new FormatError(file, 'field "whittle.modelOptions" is not an object');
  const input = Array.isArray(o.inputShape) ? o.inputShape.reduce((a: number, b: unknown) => a * (typeof b === 'number' ? b : NaN), 1) : 1;
  if (!(input <= TOPOLOGY_LIMITS.maxInputElements) || !(o.numClasses === undefined || (Number.isInteger(o.numClasses) && o.numClasses <= TOPOLOGY_LIMITS.maxConfigNumber))) {
    throw new FormatError(file, 'field "whittle.modelOptions" declares an input or class count beyond the limits');
  }
  const before = variableNames();
  try {
    return createModel(name, o);
  } catch (e) {
    disposeVariablesSince(before);
    throw new FormatError(file, `cannot rebuild model "${name.slice(0, 60)}" from the registry (${(e as Error).message.split('\n')[0].slice(0, 200)})`);
  }
}

/**
 * Saves a model on its own (no optimizer or training position) as a checkpoint directory, e.g. the
 * output of `whittle prune --export`, `whittle enc` or `whittle quant`; loads back with
 * `modelFromCheckpoint` and fine-tunes with `train`. Returns the checkpoint directory.
 */
export function saveModelCheckpoint(runDir: string, model: tfl.LayersModel, meta: CheckpointMeta, extra: { config?: unknown; history?: EpochRecord[] } = {}): string {
  assertExportTarget(runDir, 'export target');
  return saveCheckpoint(runDir, {
    meta,
    topology: model.toJSON(null, false),
    weights: captureWeights(model),
    optimizer: { kind: 'none', config: {}, steps: {}, slots: {} },
    hookTensors: {},
    state: {
      format: 'whittle-train-state', version: 1, epoch: 0, stepInEpoch: 0, iteration: 0, epochs: 0, stepsPerEpoch: 0, seed: 0,
      rng: {}, config: extra.config, hooks: {}, history: extra.history ?? [], epochAccum: { lossSum: 0, correct: 0, n: 0 },
    },
  });
}
