/**
 * Adapters from src/data to the loop's BatchSource. src/data's iterateBatches replays the RNG draws of
 * skipped batches, so it resumes exactly mid-epoch (`canSkip`). The loop supplies the epoch's stream.
 */
import { iterateBatches, numBatches, type BatchOptions } from '../data/batches.js';
import type { ImageDataset } from '../data/types.js';
import type { Batch, BatchSource } from './types.js';

export type ImageSourceOptions = Omit<BatchOptions, 'rng' | 'startBatch'>;

/** Training batches of an in-memory dataset (shuffle/augment drawn from the loop's per-epoch stream). */
export function imageBatchSource(ds: ImageDataset, opts: ImageSourceOptions): BatchSource {
  return {
    stepsPerEpoch: numBatches(ds.n, opts.batchSize, opts.dropLast),
    canSkip: true,
    epoch: (_epoch, rng, startBatch) => iterateBatches(ds, { ...opts, rng, startBatch }),
  };
}

/** Evaluation batches in dataset order, no augmentation. */
export function imageEvalBatches(ds: ImageDataset, opts: Pick<BatchOptions, 'batchSize' | 'normalize'>): () => Iterable<Batch> {
  return () => iterateBatches(ds, { batchSize: opts.batchSize, normalize: opts.normalize });
}
