/**
 * Minimal shapes the training loop consumes, kept structural so src/train never depends on src/data's
 * internals: anything that yields `{ x, y, n }` batches can be trained on.
 */
import type { Rng } from '../core/rng.js';

/** One batch: images NHWC float32 (already normalised), int labels, `n` examples. */
export interface Batch {
  x: Float32Array;
  y: Int32Array;
  n: number;
}

/**
 * Training data as a function of the epoch. For exact resume the batches of an epoch must be a pure
 * function of (`epoch`, `rng`'s state): the loop passes a fresh stream derived from (seed, epoch).
 */
export interface BatchSource {
  /** Steps (batches) per epoch; used by schedules and progress. */
  stepsPerEpoch: number;
  /**
   * The batches of `epoch`. Unless `canSkip` is true the loop passes startBatch 0 and, on a mid-epoch
   * resume, draws and discards the batches already trained itself (always exact, costs only data work).
   */
  epoch(epoch: number, rng: Rng, startBatch: number): Iterable<Batch>;
  /** Set when `epoch(e, rng, k)` yields exactly batches k.. of `epoch(e, rng, 0)` (RNG draws included). */
  canSkip?: boolean;
}

/** A float32 array with its shape (optimizer slots, hook tensors in checkpoints). */
export interface NamedArray {
  shape: number[];
  data: Float32Array;
}

/** A JSON-lines log event: `type` plus flat fields. */
export interface LogEvent {
  type: string;
  [field: string]: unknown;
}
