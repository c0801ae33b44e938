/**
 * Datasets by name. `loadDataset` is synchronous and never touches the network; a CLI that offers
 * downloading calls `ensureCifar10Dir` first and passes the folder it returns as `dataDir`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { CIFAR_NORM_REPR, CIFAR_NORM_TRUE_STD } from './augment.js';
import { loadCifar10, loadCifar100, resolveDataDir, type Cifar10Batch } from './cifar.js';
import { downloadCifar10, type DownloadOptions } from './download.js';
import { defaultCacheDir, defaultCifar10Dir } from './paths.js';
import { makeShapes } from './shapes.js';
import { sliceDataset, splitByCount, splitCifar10ByBatch, type Split } from './split.js';
import { channelStats } from './stats.js';
import type { ImageDataset, Normalization } from './types.js';

export type DatasetName = 'cifar10' | 'cifar100' | 'shapes';

/** CIFAR-100 training-set statistics (the constants most CIFAR-100 code uses). */
export const CIFAR100_NORM: Normalization = { mean: [0.5071, 0.4865, 0.4409], std: [0.2673, 0.2564, 0.2762] };

export interface LoadDatasetOptions {
  /** cifar10/cifar100: the folder with the .bin files (or its parent). Default for cifar10: `defaultCifar10Dir()`. */
  dataDir?: string;
  /** cifar10: batches held out for validation (default [5]); ignored when `valCount` is set. */
  valBatches?: Cifar10Batch[];
  /** cifar10/cifar100: hold out this many training images by a seeded permutation instead. */
  valCount?: number;
  /** Seed of the count split and of the shapes generator (default 0). */
  seed?: number;
  /** cifar100: fine (100 classes, default) or coarse (20) labels. */
  label?: 'fine' | 'coarse';
  /** shapes: number of train / val images (default 10000 / 2000). */
  trainSize?: number;
  valSize?: number;
  /** Keep only the first N images of each part (quick runs, tests). */
  limitTrain?: number;
  limitVal?: number;
  /** cifar10: 'repr' (default, RePr reference constants), 'true-std', or explicit mean/std. */
  normalization?: 'repr' | 'true-std' | Normalization;
}

export interface LoadedDataset extends Split {
  /** The normalisation to pass to `iterateBatches` for both parts. */
  normalization: Normalization;
}

export function loadDataset(name: DatasetName, opts: LoadDatasetOptions = {}): LoadedDataset {
  let split: Split;
  let norm: Normalization;
  if (name === 'cifar10') {
    const dir = opts.dataDir ?? defaultCifar10Dir();
    split = opts.valCount !== undefined
      ? splitByCount(loadCifar10(dir), { valCount: opts.valCount, seed: opts.seed ?? 0 })
      : splitCifar10ByBatch(dir, { valBatches: opts.valBatches });
    const nm = opts.normalization ?? 'repr';
    norm = nm === 'repr' ? CIFAR_NORM_REPR : nm === 'true-std' ? CIFAR_NORM_TRUE_STD : nm;
  } else if (name === 'cifar100') {
    if (!opts.dataDir) throw new ConfigError('dataDir', 'cifar100 needs the folder with train.bin/test.bin');
    const train = loadCifar100(opts.dataDir, { split: 'train', label: opts.label });
    if (opts.valCount !== undefined) split = splitByCount(train, { valCount: opts.valCount, seed: opts.seed ?? 0 });
    else split = { train, val: { ...loadCifar100(opts.dataDir, { split: 'test', label: opts.label }), name: 'cifar100-test' } };
    norm = typeof opts.normalization === 'object' ? opts.normalization : CIFAR100_NORM;
  } else if (name === 'shapes') {
    const seed = opts.seed ?? 0;
    // Distinct seeds per part so val images are not copies of train images.
    split = {
      train: { ...makeShapes({ n: opts.trainSize ?? 10000, seed }), name: 'shapes-train' },
      val: { ...makeShapes({ n: opts.valSize ?? 2000, seed: (seed ^ 0x5eed) >>> 0 }), name: 'shapes-val' },
    };
    norm = typeof opts.normalization === 'object' ? opts.normalization : channelStats(split.train);
  } else {
    throw new ConfigError('data', `unknown dataset "${String(name)}" (cifar10, cifar100 or shapes)`);
  }
  return { train: limit(split.train, opts.limitTrain), val: limit(split.val, opts.limitVal), normalization: norm };
}

function limit(ds: ImageDataset, n: number | undefined): ImageDataset {
  return n === undefined || n >= ds.n ? ds : sliceDataset(ds, 0, n);
}

/**
 * The CIFAR-10 folder to read: `dataDir` (or the default) if it holds the files, else, when `download` is
 * set, the cache after downloading the official archive into it.
 */
export async function ensureCifar10Dir(
  opts: { dataDir?: string; download?: boolean } & Partial<DownloadOptions> = {},
): Promise<string> {
  const dir = resolveDataDir(opts.dataDir ?? defaultCifar10Dir(), 'cifar-10-batches-bin', 'data_batch_1.bin');
  if (existsSync(join(dir, 'data_batch_1.bin')) || !opts.download) return dir;
  const { dataDir: _d, download: _w, ...dl } = opts;
  const res = await downloadCifar10({ ...dl, cacheDir: opts.cacheDir ?? defaultCacheDir() });
  return res.dataDir;
}

export * from './types.js';
export * from './cifar.js';
export * from './augment.js';
export * from './batches.js';
export * from './split.js';
export * from './shapes.js';
export * from './stats.js';
export * from './download.js';
export * from './paths.js';
export { extractTarGz, TarExtractor, safeTarPath } from './tar.js';
