/**
 * CLIP's `_transform(n_px)`: Resize(n_px, BICUBIC) on the shorter side (torchvision's size rule), CenterCrop(n_px)
 * (torchvision's offsets), convert('RGB'), ToTensor (/255), Normalize(mean, std) — bit-exact to PIL 9.4 +
 * torchvision 0.14 on the fixtures. Works on any ImageData-like object, so it runs in the browser too;
 * decoding files with sharp lives in ./decode.ts.
 */
import { ShapeError } from '../../core/errors.js';
import { resizeBicubic, resizeNearest, premultiply, unpremultiply } from './resize.js';

export { resizeBicubic, resizeNearest } from './resize.js';

export const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;

/** PIL image modes the pipeline distinguishes: 'P' and '1' resize with NEAREST, alpha modes premultiply. */
export type ImageMode = 'L' | 'LA' | 'RGB' | 'RGBA' | 'P' | '1';

/** Interleaved uint8 pixels (browser ImageData has channels 4). */
export interface ImageLike {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels?: 1 | 2 | 3 | 4;
  /** The PIL mode the file would open as, when it differs from what channels imply ('P', '1'). */
  mode?: ImageMode;
}

/** torchvision Resize(int): shorter side → n, longer side → int(n · long / short). Returns [width, height]. */
export function resizedSize(w: number, h: number, n: number): [number, number] {
  if (w <= h) return [n, Math.trunc((n * h) / w)];
  return [Math.trunc((n * w) / h), n];
}

/** Python's round(): half to even. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** torchvision CenterCrop offsets: int(round((H − n) / 2)). Returns [left, top]. */
export function centerCropOffsets(w: number, h: number, n: number): [number, number] {
  return [roundHalfEven((w - n) / 2), roundHalfEven((h - n) / 2)];
}

/** Widest aspect ratio accepted: the shorter side is resized to n, so the longer becomes n · ratio. */
export const MAX_ASPECT = 50;

/** Throws a ShapeError for empty images and aspect ratios beyond MAX_ASPECT (`what` names the source). */
export function checkImageSize(w: number, h: number, what = 'image'): void {
  if (!(Number.isSafeInteger(w) && Number.isSafeInteger(h) && w > 0 && h > 0)) throw new ShapeError(`${what}: size ${w}×${h} is not a positive integer size`);
  if (Math.max(w, h) > MAX_ASPECT * Math.min(w, h)) throw new ShapeError(`${what}: aspect ratio of ${w}×${h} is beyond 1:${MAX_ASPECT}`);
}

function channelsOf(img: ImageLike): number {
  checkImageSize(img.width, img.height);
  const c = img.channels ?? img.data.length / (img.width * img.height);
  if (![1, 2, 3, 4].includes(c) || img.data.length !== img.width * img.height * c) {
    throw new ShapeError(`image data has ${img.data.length} bytes, not ${img.width}×${img.height}×{1,2,3,4}`);
  }
  return c;
}

/** Resize + center crop + convert('RGB'): n×n×3 uint8, HWC. */
export function transformToRgb(img: ImageLike, n: number): Uint8Array {
  const c = channelsOf(img);
  const src = img.data instanceof Uint8Array ? img.data : new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.length);
  const [rw, rh] = resizedSize(img.width, img.height, n);
  let px: Uint8Array = src;
  if (rw !== img.width || rh !== img.height) {
    if (img.mode === 'P' || img.mode === '1') px = resizeNearest(src, img.width, img.height, c, rw, rh);
    else if (c === 2 || c === 4) px = unpremultiply(resizeBicubic(premultiply(src, c), img.width, img.height, c, rw, rh), c);
    else px = resizeBicubic(src, img.width, img.height, c, rw, rh);
  }
  const [left, top] = centerCropOffsets(rw, rh, n);
  const out = new Uint8Array(n * n * 3);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const s = ((y + top) * rw + (x + left)) * c;
      const d = (y * n + x) * 3;
      if (c <= 2) out[d] = out[d + 1] = out[d + 2] = px[s];
      else {
        out[d] = px[s];
        out[d + 1] = px[s + 1];
        out[d + 2] = px[s + 2];
      }
    }
  }
  return out;
}

/** ToTensor + Normalize in float32 arithmetic as torch does: CHW Float32Array of 3·n·n. */
export function normalizeRgb(rgb: Uint8Array, n: number): Float32Array {
  const out = new Float32Array(3 * n * n);
  const f = Math.fround;
  for (let ch = 0; ch < 3; ch++) {
    const m = f(CLIP_MEAN[ch]);
    const s = f(CLIP_STD[ch]);
    for (let i = 0; i < n * n; i++) out[ch * n * n + i] = f(f(f(rgb[i * 3 + ch] / 255) - m) / s);
  }
  return out;
}

/** The full CLIP transform: CHW float32 (3, n, n). */
export function preprocess(img: ImageLike, n: number): Float32Array {
  return normalizeRgb(transformToRgb(img, n), n);
}

/** Stacks preprocessed images into NCHW data for a batch. */
export function preprocessBatch(images: ImageLike[], n: number): Float32Array {
  const out = new Float32Array(images.length * 3 * n * n);
  images.forEach((im, i) => out.set(preprocess(im, n), i * 3 * n * n));
  return out;
}
