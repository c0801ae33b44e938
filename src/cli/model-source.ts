/**
 * The model a command works on, from `--checkpoint <dir>` (a Whittle run or checkpoint), `--model <zoo
 * name>` (freshly initialised from `--seed`) or `--model <model.json | folder>` (a TF.js Layers model
 * with its shards, as tensorflowjs_converter or tfjs `model.save` writes it; `--input-size HxW`).
 */
import { WhittleError } from '../core/errors.js';
import type { tfl } from '../engine/tf.js';
import { createModel } from '../models/registry.js';
import { modelFromCheckpoint } from '../train/model-io.js';
import { isModelFile, loadLayersModelFile } from '../models/import/layers-model-file.js';
import { join } from 'node:path';

export interface ModelSourceOptions {
  checkpoint?: string;
  model?: string;
  seed?: string;
  inputSize?: string;
}

function parseInputSize(s: string | undefined): [number, number] | undefined {
  if (s === undefined) return undefined;
  const m = /^(\d+)(?:[x,](\d+))?$/.exec(s);
  if (!m) throw new WhittleError(`--input-size: expected H, HxW or H,W, got "${s}"`);
  return [Number(m[1]), Number(m[2] ?? m[1])];
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
  if (isModelFile(o.model!)) {
    const file = o.model!.endsWith('.json') ? o.model! : join(o.model!, 'model.json');
    return { model: await loadLayersModelFile(file, { inputSize: parseInputSize(o.inputSize) }), from: file };
  }
  if (o.inputSize !== undefined) throw new WhittleError('--input-size applies to a model.json given with --model');
  const seed = o.seed === undefined ? 0 : Number(o.seed);
  if (!Number.isInteger(seed)) throw new WhittleError(`--seed must be an integer, got "${o.seed}"`);
  return { model: createModel(o.model!, { seed }), from: `${o.model} (seed ${seed})` };
}
