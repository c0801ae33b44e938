/**
 * The data flags of the commands that work on a trained checkpoint (`whittle quant`, `whittle pq`):
 * declared once, parsed once (numbers checked, errors naming the flag). Without them the run's own
 * dataset is used.
 */
import type { Command } from 'commander';
import type { ConfigTree } from '../config/load.js';
import { ConfigError } from '../core/errors.js';
import type { DatasetName } from '../data/index.js';

export interface CheckpointDataFlags {
  batchSize: string;
  dataset?: string;
  dataDir?: string;
  limitTrain?: string;
  limitVal?: string;
}

export interface CheckpointData {
  batchSize: number;
  dataset?: DatasetName;
  dataDir?: string;
  limitTrain?: number;
  limitVal?: number;
}

const DATASETS: readonly string[] = ['cifar10', 'cifar100', 'shapes'];

export function addCheckpointDataOptions(cmd: Command): Command {
  return cmd
    .option('--batch-size <n>', 'batch size', '128')
    .option('--dataset <name>', 'cifar10 | cifar100 | shapes (default: the checkpoint run\'s)')
    .option('--data-dir <dir>', 'dataset folder')
    .option('--limit-train <n>', 'use only the first N training images')
    .option('--limit-val <n>', 'use only the first N validation images');
}

/** A finite number from a flag's text, or a ConfigError naming the flag. */
export function numberFlag(flag: string, v: string, positiveInt = false): number {
  const n = Number(v);
  if (!Number.isFinite(n) || (positiveInt && !(Number.isInteger(n) && n > 0))) {
    throw new ConfigError(flag, `expected ${positiveInt ? 'a positive integer' : 'a number'}, got "${v}"`);
  }
  return n;
}

export function parseCheckpointData(o: CheckpointDataFlags): CheckpointData {
  if (o.dataset !== undefined && !DATASETS.includes(o.dataset)) throw new ConfigError('--dataset', `"${o.dataset}" is not one of ${DATASETS.join(', ')}`);
  return {
    batchSize: numberFlag('--batch-size', o.batchSize, true),
    dataset: o.dataset as DatasetName | undefined,
    dataDir: o.dataDir,
    limitTrain: o.limitTrain === undefined ? undefined : numberFlag('--limit-train', o.limitTrain, true),
    limitVal: o.limitVal === undefined ? undefined : numberFlag('--limit-val', o.limitVal, true),
  };
}

/** The run-config `data` fields these flags override (merged over the run config stored in a checkpoint). */
export function dataOverrides(d: CheckpointData): ConfigTree {
  const t: ConfigTree = {};
  if (d.dataset) t.name = d.dataset;
  if (d.dataDir) t.dir = d.dataDir;
  if (d.limitTrain) t.trainSubset = d.limitTrain;
  if (d.limitVal) t.valSubset = d.limitVal;
  return t;
}
