/**
 * The model a command works on, from `--checkpoint <dir>` (a Whittle run or checkpoint) or
 * `--model <zoo name>` (freshly initialised from `--seed`).
 */
import { WhittleError } from '../core/errors.js';
import type { tfl } from '../engine/tf.js';
import { createModel } from '../models/registry.js';
import { modelFromCheckpoint } from '../train/model-io.js';

export interface ModelSourceOptions {
  checkpoint?: string;
  model?: string;
  seed?: string;
}

export interface ModelSource {
  model: tfl.LayersModel;
  /** What the model came from, for reports. */
  from: string;
}

export async function loadModelSource(o: ModelSourceOptions): Promise<ModelSource> {
  if (!!o.checkpoint === !!o.model) throw new WhittleError('give exactly one of --checkpoint <dir> or --model <name>');
  if (o.checkpoint) {
    const { model, checkpoint } = await modelFromCheckpoint(o.checkpoint);
    return { model, from: checkpoint.dir };
  }
  const seed = o.seed === undefined ? 0 : Number(o.seed);
  if (!Number.isInteger(seed)) throw new WhittleError(`--seed must be an integer, got "${o.seed}"`);
  return { model: createModel(o.model!, { seed }), from: `${o.model} (seed ${seed})` };
}
