/**
 * Rebuilding a model from a checkpoint: the tfjs topology stored in model.json (so pruned, factorised
 * and quantised models load as they were saved), then the weights by stable key.
 */
import { assertExportTarget } from './output-target.js';
import { tf, tfl } from '../engine/tf.js';
import { FormatError } from '../core/errors.js';
import '../models/custom-layers.js';
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
  let model: tfl.LayersModel | undefined;
  let rebuiltFrom: CheckpointModel['rebuiltFrom'] = 'topology';
  let why = 'no topology stored';
  if (checkpoint.topology) {
    try {
      model = (await tfl.models.modelFromJSON({ modelTopology: checkpoint.topology as tf.io.ModelJSON['modelTopology'] })) as tfl.LayersModel;
    } catch (e) {
      why = (e as Error).message.split('\n')[0];
    }
  }
  if (!model) {
    const name = checkpoint.meta.modelName;
    if (!name) throw new FormatError(`${checkpoint.dir}/model.json`, `cannot rebuild the model (${why}) and no whittle.modelName to fall back on`);
    model = createModel(name, (checkpoint.meta.modelOptions ?? {}) as ModelOptions);
    rebuiltFrom = 'registry';
  }
  restoreWeights(model, checkpoint.weights, `${checkpoint.dir}/weights.safetensors`);
  return { model, checkpoint, rebuiltFrom };
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
