/** Train/validation splits: by CIFAR batch file (the official test batch is not shipped) or by seeded count. */
import { Rng } from '../core/rng.js';
import { ConfigError } from '../core/errors.js';
import { loadCifar10, type Cifar10Batch } from './cifar.js';
import { imageSize, type ImageDataset } from './types.js';

export interface Split {
  train: ImageDataset;
  val: ImageDataset;
}

/** Images `[start, end)` as views on the same memory (no copy). */
export function sliceDataset(ds: ImageDataset, start: number, end: number, name = ds.name): ImageDataset {
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= ds.n)) {
    throw new ConfigError('slice', `range [${start}, ${end}) is not inside [0, ${ds.n}]`);
  }
  const s = imageSize(ds);
  return {
    ...ds,
    name,
    images: ds.images.subarray(start * s, end * s),
    labels: ds.labels.subarray(start, end),
    n: end - start,
    classNames: [...ds.classNames],
  };
}

/** The listed images, in the given order (copies). */
export function subset(ds: ImageDataset, indices: ArrayLike<number>, name = ds.name): ImageDataset {
  const s = imageSize(ds);
  const n = indices.length;
  const images = new Uint8Array(n * s);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const j = indices[i];
    if (!(j >= 0 && j < ds.n)) throw new ConfigError('indices', `index ${j} outside [0, ${ds.n})`);
    images.set(ds.images.subarray(j * s, (j + 1) * s), i * s);
    labels[i] = ds.labels[j];
  }
  return { ...ds, name, images, labels, n, classNames: [...ds.classNames] };
}

/** Hold out `valCount` images chosen by a seeded permutation; both parts keep the dataset's order. */
export function splitByCount(ds: ImageDataset, opts: { valCount: number; seed: number }): Split {
  const { valCount } = opts;
  if (!Number.isInteger(valCount) || valCount < 0 || valCount >= ds.n) {
    throw new ConfigError('valCount', `must be an integer in [0, ${ds.n}), got ${valCount}`);
  }
  const perm = Rng.derive(opts.seed, 'whittle/data/split').permutation(ds.n);
  const inVal = new Uint8Array(ds.n);
  for (let i = 0; i < valCount; i++) inVal[perm[i]] = 1;
  const tr: number[] = [];
  const va: number[] = [];
  for (let i = 0; i < ds.n; i++) (inVal[i] ? va : tr).push(i);
  return { train: subset(ds, tr, `${ds.name}-train`), val: subset(ds, va, `${ds.name}-val`) };
}

/** CIFAR-10 split by batch file: by default train on data_batch_1..4 and validate on data_batch_5. */
export function splitCifar10ByBatch(dir: string, opts: { valBatches?: Cifar10Batch[] } = {}): Split {
  const valBatches = opts.valBatches ?? [5];
  const trainBatches = [1, 2, 3, 4, 5].filter((b) => !valBatches.includes(b));
  if (trainBatches.length === 0) throw new ConfigError('valBatches', 'leaves no CIFAR-10 batch for training');
  const train = loadCifar10(dir, { batches: trainBatches });
  const val = loadCifar10(dir, { batches: valBatches });
  return { train: { ...train, name: 'cifar10-train' }, val: { ...val, name: 'cifar10-val' } };
}
