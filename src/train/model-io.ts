/**
 * Rebuilding a model from a checkpoint: the tfjs topology stored in model.json (so pruned, factorised
 * and quantised models load as they were saved), then the weights by stable key.
 */
import { tf, tfl } from '../engine/tf.js';
import { FormatError } from '../core/errors.js';
import '../models/custom-layers.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointMeta, type LoadedCheckpoint } from './checkpoint.js';
import { captureWeights, restoreWeights } from './model-state.js';
import type { EpochRecord } from './state.js';

export interface CheckpointModel {
  model: tfl.LayersModel;
  checkpoint: LoadedCheckpoint;
}

export async function modelFromCheckpoint(path: string): Promise<CheckpointModel> {
  const checkpoint = loadCheckpoint(path);
  if (!checkpoint.topology) throw new FormatError(`${checkpoint.dir}/model.json`, 'holds no model topology');
  let model: tfl.LayersModel;
  try {
    model = (await tfl.models.modelFromJSON({ modelTopology: checkpoint.topology as tf.io.ModelJSON['modelTopology'] })) as tfl.LayersModel;
  } catch (e) {
    throw new FormatError(`${checkpoint.dir}/model.json`, `cannot rebuild the model: ${(e as Error).message}`);
  }
  restoreWeights(model, checkpoint.weights, `${checkpoint.dir}/weights.safetensors`);
  return { model, checkpoint };
}

/**
 * Saves a model on its own (no optimizer or training position) as a checkpoint directory, e.g. the
 * output of `whittle prune --export`, `whittle enc` or `whittle quant`; loads back with
 * `modelFromCheckpoint` and fine-tunes with `train`. Returns the checkpoint directory.
 */
export function saveModelCheckpoint(runDir: string, model: tfl.LayersModel, meta: CheckpointMeta, extra: { config?: unknown; history?: EpochRecord[] } = {}): string {
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
