/**
 * CIFAR-style augmentation (random crop with zero padding, horizontal flip) fused with per-channel
 * normalisation: one pass per image straight from uint8 NHWC into the float32 batch, with a 256-entry lookup
 * table per channel, because this runs on every one of 50k images each epoch.
 */
import type { Rng } from '../core/rng.js';
import { ConfigError } from '../core/errors.js';
import type { Normalization } from './types.js';

/** The RePr reference's CIFAR normalisation (methods.md §1.5); its std is the per-image std, a common quirk. */
export const CIFAR_NORM_REPR: Normalization = { mean: [0.4914, 0.4822, 0.4465], std: [0.2023, 0.1994, 0.201] };
/** CIFAR-10 normalisation with the true per-channel std over the training set. */
export const CIFAR_NORM_TRUE_STD: Normalization = {
  mean: [0.4914, 0.4822, 0.4465],
  std: [0.247, 0.2435, 0.2616],
};
/** Only scale to [0, 1]. */
export const UNIT_SCALE = (channels = 3): Normalization => ({
  mean: new Array<number>(channels).fill(0),
  std: new Array<number>(channels).fill(1),
});

export interface AugmentOptions {
  /** Zero padding before the random crop back to the original size; 0 disables the crop. Default 4. */
  padding?: number;
  /** Random horizontal flip with probability 1/2. Default true. */
  flip?: boolean;
}

/** Output pixel (y, x) = input (y + dy, (flip ? W-1-x : x) + dx), zero outside: crop first, then flip. */
export interface AugmentParams {
  dy: number;
  dx: number;
  flip: boolean;
}

export const IDENTITY_AUGMENT: AugmentParams = { dy: 0, dx: 0, flip: false };

/**
 * Draw one image's parameters: crop top, crop left (each uniform in [0, 2·padding]), then the flip coin —
 * the same order and distribution as torchvision's RandomCrop(32, 4) + RandomHorizontalFlip. Always the same
 * number of draws per image, so skipping images on resume is a fixed number of draws.
 */
export function drawAugment(rng: Rng, opts: AugmentOptions = {}): AugmentParams {
  const pad = opts.padding ?? 4;
  const span = 2 * pad + 1;
  const top = pad > 0 ? rng.int(span) : 0;
  const left = pad > 0 ? rng.int(span) : 0;
  const flip = (opts.flip ?? true) ? rng.next() < 0.5 : false;
  return { dy: top - pad, dx: left - pad, flip };
}

/** Lookup table `lut[c * 256 + v] = (v / 255 - mean[c]) / std[c]`. */
export function normalizationLut(norm: Normalization, channels: number): Float32Array {
  if (norm.mean.length !== channels || norm.std.length !== channels) {
    throw new ConfigError('normalize', `mean/std need ${channels} values, got ${norm.mean.length}/${norm.std.length}`);
  }
  const lut = new Float32Array(256 * channels);
  for (let c = 0; c < channels; c++) {
    if (!(norm.std[c] > 0)) throw new ConfigError(`normalize.std[${c}]`, `must be > 0, got ${norm.std[c]}`);
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = (v / 255 - norm.mean[c]) / norm.std[c];
  }
  return lut;
}

/** `lut[c * 256 + v] = v`: applies augmentation only, handy to inspect results in pixel units. */
export function identityLut(channels: number): Float32Array {
  const lut = new Float32Array(256 * channels);
  for (let c = 0; c < channels; c++) for (let v = 0; v < 256; v++) lut[c * 256 + v] = v;
  return lut;
}

/**
 * Write one augmented, normalised image: `src[srcOff ..]` (uint8 HWC) → `out[outOff ..]` (float32 HWC).
 * Padding pixels are value 0 before normalisation, as torchvision pads the PIL image before Normalize.
 */
export function writeImage(
  src: Uint8Array,
  srcOff: number,
  h: number,
  w: number,
  ch: number,
  p: AugmentParams,
  lut: Float32Array,
  out: Float32Array,
  outOff: number,
): void {
  const { dy, dx, flip } = p;
  // Columns x whose source column lies inside the image: sx = (flip ? w-1-x : x) + dx in [0, w).
  const xLo = flip ? Math.max(0, dx) : Math.max(0, -dx);
  const xHi = flip ? Math.min(w, w + dx) : Math.min(w, w - dx);
  const rowLen = w * ch;
  for (let y = 0; y < h; y++) {
    const sy = y + dy;
    const o = outOff + y * rowLen;
    if (sy < 0 || sy >= h) {
      for (let x = 0; x < w; x++) for (let c = 0; c < ch; c++) out[o + x * ch + c] = lut[c * 256];
      continue;
    }
    const srow = srcOff + sy * rowLen;
    for (let x = 0; x < xLo; x++) for (let c = 0; c < ch; c++) out[o + x * ch + c] = lut[c * 256];
    for (let x = xHi; x < w; x++) for (let c = 0; c < ch; c++) out[o + x * ch + c] = lut[c * 256];
    if (ch === 3) {
      // Unrolled common case; the source column walks forwards (no flip) or backwards (flip).
      const step = flip ? -3 : 3;
      let s = srow + ((flip ? w - 1 - xLo : xLo) + dx) * 3;
      for (let d = o + xLo * 3, end = o + xHi * 3; d < end; d += 3, s += step) {
        out[d] = lut[src[s]];
        out[d + 1] = lut[256 + src[s + 1]];
        out[d + 2] = lut[512 + src[s + 2]];
      }
    } else {
      for (let x = xLo; x < xHi; x++) {
        const s = srow + ((flip ? w - 1 - x : x) + dx) * ch;
        const d = o + x * ch;
        for (let c = 0; c < ch; c++) out[d + c] = lut[c * 256 + src[s + c]];
      }
    }
  }
}

/** Augment one uint8 HWC image in pixel space (zero border); for inspection and tests. */
export function augmentImage(img: Uint8Array, h: number, w: number, ch: number, p: AugmentParams): Uint8Array {
  const f = new Float32Array(h * w * ch);
  writeImage(img, 0, h, w, ch, p, identityLut(ch), f, 0);
  return Uint8Array.from(f);
}
