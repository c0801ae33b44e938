/** Per-channel statistics of a dataset, to build a Normalization for data without published constants. */
import type { ImageDataset, Normalization } from './types.js';

/** Exact per-channel mean and (population) std of pixel values scaled to [0, 1]. */
export function channelStats(ds: ImageDataset): Normalization {
  const ch = ds.channels;
  // Histograms make this exact and fast (integer counts, no float accumulation over millions of pixels).
  const hist = new Float64Array(256 * ch);
  const { images } = ds;
  for (let i = 0; i < images.length; i += ch) for (let c = 0; c < ch; c++) hist[c * 256 + images[i + c]]++;
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < ch; c++) {
    let cnt = 0;
    let s = 0;
    let s2 = 0;
    for (let v = 0; v < 256; v++) {
      const h = hist[c * 256 + v];
      cnt += h;
      s += h * v;
      s2 += h * v * v;
    }
    const m = s / cnt;
    mean.push(m / 255);
    // A constant channel would give std 0 and divide by zero when normalising: use 1 instead.
    std.push(Math.sqrt(Math.max(0, s2 / cnt - m * m)) / 255 || 1);
  }
  return { mean, std };
}
