/**
 * Mini-batches from an ImageDataset: seeded shuffling, augmentation and normalisation, and exact resumption
 * in the middle of an epoch.
 *
 * RNG stream of one epoch (all from `opts.rng`): first the permutation (if `shuffle`), drawn when
 * `iterateBatches` is called; then, if `augment`, 3 draws per image in batch order (crop top, crop left, flip)
 * as batches are pulled. Resuming at batch `b` replays the draws of batches < b without touching pixels, so
 * the remaining batches, and the RNG state after the epoch, equal those of an uninterrupted run.
 *
 * How the training loop should use it: give every epoch its own stream, `epochRng(seed, epoch)`, and record
 * `(epoch, batchesDoneInEpoch)` in the checkpoint. To resume, call
 * `iterateBatches(train, { ..., rng: epochRng(seed, epoch), startBatch: batchesDoneInEpoch })`.
 * (With one long-lived Rng instead, checkpoint its state *at the start of the epoch*, restore that state and
 * pass `startBatch`.) Don't draw from the same Rng elsewhere while an epoch's iterator is live.
 */
import { Rng } from '../core/rng.js';
import { ConfigError } from '../core/errors.js';
import { drawAugment, normalizationLut, writeImage, IDENTITY_AUGMENT, type AugmentOptions } from './augment.js';
import type { Batch, ImageDataset, Normalization } from './types.js';

export interface BatchOptions {
  batchSize: number;
  /** Visit images in a seeded random order (default false: dataset order). */
  shuffle?: boolean;
  /** Random crop + flip: `true` for the CIFAR defaults (padding 4, flip), or options. Default off. */
  augment?: boolean | AugmentOptions;
  /** Required when `shuffle` or `augment` is on; it is advanced (see the module comment). */
  rng?: Rng;
  /** Per-channel mean/std applied after scaling pixels to [0, 1]. */
  normalize: Normalization;
  /** Omit the final partial batch (default false). */
  dropLast?: boolean;
  /** Resume: skip this many batches of the epoch (the RNG must be in its epoch-start state). */
  startBatch?: number;
}

/** The data stream of one epoch, derived from the run seed, so a resumed run can rebuild it. */
export function epochRng(seed: number, epoch: number): Rng {
  return Rng.derive(seed, `whittle/data/epoch/${epoch}`);
}

export function numBatches(n: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

/** Batches of one epoch. Setup (validation, permutation, resume skip) happens eagerly, at call time. */
export function iterateBatches(ds: ImageDataset, opts: BatchOptions): Generator<Batch, void, undefined> {
  const { batchSize } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ConfigError('batchSize', `must be a positive integer, got ${batchSize}`);
  const aug: AugmentOptions | null = opts.augment === true ? {} : opts.augment ? opts.augment : null;
  const rng = opts.rng;
  if ((opts.shuffle || aug) && !rng) throw new ConfigError('rng', 'shuffle/augment need a seeded Rng');
  const total = numBatches(ds.n, batchSize, opts.dropLast);
  const start = opts.startBatch ?? 0;
  if (!Number.isInteger(start) || start < 0 || start > total) {
    throw new ConfigError('startBatch', `must be an integer in [0, ${total}], got ${start}`);
  }
  const lut = normalizationLut(opts.normalize, ds.channels);
  const order = opts.shuffle ? rng!.permutation(ds.n) : null;
  // Replay the augmentation draws of the skipped batches (cheap: no pixel work).
  if (aug) {
    const skipped = Math.min(ds.n, start * batchSize);
    for (let i = 0; i < skipped; i++) drawAugment(rng!, aug);
  }
  return generate(ds, order, aug, rng, lut, batchSize, start, total);
}

function* generate(
  ds: ImageDataset,
  order: Int32Array | null,
  aug: AugmentOptions | null,
  rng: Rng | undefined,
  lut: Float32Array,
  batchSize: number,
  start: number,
  total: number,
): Generator<Batch, void, undefined> {
  const { height: h, width: w, channels: ch } = ds;
  const size = h * w * ch;
  for (let b = start; b < total; b++) {
    const lo = b * batchSize;
    const n = Math.min(batchSize, ds.n - lo);
    // Fresh buffers per batch: tfjs backends may keep a reference to the array a tensor is built from.
    const x = new Float32Array(n * size);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const idx = order ? order[lo + i] : lo + i;
      y[i] = ds.labels[idx];
      const p = aug ? drawAugment(rng!, aug) : IDENTITY_AUGMENT;
      writeImage(ds.images, idx * size, h, w, ch, p, lut, x, i * size);
    }
    yield { x, y, n };
  }
}
