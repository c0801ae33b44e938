/**
 * In-memory image datasets and training batches. Datasets keep raw uint8 pixels (4x smaller than float32,
 * so all of CIFAR-10 fits in ~150 MB); batches are normalised float32, created per step by `iterateBatches`.
 */

/** Images stored NHWC uint8: pixel (i, y, x, c) is `images[((i * height + y) * width + x) * channels + c]`. */
export interface ImageDataset {
  name: string;
  images: Uint8Array;
  labels: Int32Array;
  n: number;
  height: number;
  width: number;
  channels: number;
  numClasses: number;
  classNames: string[];
}

/** One training/evaluation batch: `x` is NHWC float32 (normalised), `y` integer labels, `n` images. */
export interface Batch {
  x: Float32Array;
  y: Int32Array;
  n: number;
}

/** Per-channel normalisation `(v / 255 - mean[c]) / std[c]`. */
export interface Normalization {
  mean: number[];
  std: number[];
}

/** Bytes per image. */
export function imageSize(ds: Pick<ImageDataset, 'height' | 'width' | 'channels'>): number {
  return ds.height * ds.width * ds.channels;
}
