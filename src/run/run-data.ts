/**
 * The data section of a run config → the loaded train/validation split and its normalisation. Shared
 * by training and `whittle eval`, so evaluating a checkpoint sees exactly the validation set its run saw.
 */
import { CIFAR_NORM_REPR, CIFAR_NORM_TRUE_STD } from '../data/augment.js';
import { ensureCifar10Dir, loadDataset, type LoadedDataset } from '../data/index.js';
import { channelStats } from '../data/stats.js';
import type { Normalization } from '../data/types.js';
import type { DataConfig } from '../config/run-config.js';
import { silentReporter, type Reporter } from './reporter.js';

/** Loads the configured dataset (downloading CIFAR-10 first when `download` is set and files are missing). */
export async function loadRunData(data: DataConfig, seed: number, reporter: Reporter = silentReporter): Promise<LoadedDataset> {
  let dir = data.dir;
  if (data.name === 'cifar10' && data.download) {
    const bar = reporter.download?.('cifar-10 download');
    try {
      dir = await ensureCifar10Dir({ dataDir: dir, download: true, onProgress: bar?.onProgress });
    } finally {
      bar?.stop();
    }
  }
  const norm = data.normalization;
  const loaded = loadDataset(data.name, {
    dataDir: dir,
    valBatches: data.valBatches,
    valCount: data.valCount,
    seed,
    label: data.label,
    // shapes: generate only as many images as the subsets keep (cheaper; a different, equally valid draw).
    trainSize: Math.min(data.shapesTrain, data.trainSubset ?? Infinity),
    valSize: Math.min(data.shapesVal, data.valSubset ?? Infinity),
    limitTrain: data.trainSubset,
    limitVal: data.valSubset,
    // Named CIFAR constants work for every dataset; 'dataset' is computed below.
    normalization: typeof norm === 'object' ? norm : norm === 'repr' ? (data.name === 'cifar10' ? 'repr' : CIFAR_NORM_REPR) : norm === 'true-std' ? (data.name === 'cifar10' ? 'true-std' : CIFAR_NORM_TRUE_STD) : undefined,
  });
  if (norm === 'dataset') return { ...loaded, normalization: channelStats(loaded.train) };
  return loaded;
}

export function describeData(d: LoadedDataset, n: Normalization = d.normalization): string {
  const f = (a: number[]) => a.map((v) => v.toFixed(4)).join(', ');
  return `${d.train.name}: ${d.train.n} train / ${d.val.n} val images (${d.train.height}x${d.train.width}x${d.train.channels}, ${d.train.numClasses} classes), normalisation mean [${f(n.mean)}] std [${f(n.std)}]`;
}
