/**
 * "shapes": a procedural, seeded 10-class image dataset (32x32x3 uint8) so demos and tests need no files.
 * Each image is one shape of a random colour on a random background colour, with random position, size,
 * pattern phase and per-pixel noise. Classes differ by shape/texture only, never by colour, so a small CNN
 * must learn spatial features, yet reaches high accuracy in well under a minute.
 */
import { Rng } from '../core/rng.js';
import { ConfigError } from '../core/errors.js';
import type { ImageDataset } from './types.js';

export const SHAPES_CLASSES = [
  'circle', 'square', 'triangle', 'ring', 'cross', 'hstripes', 'vstripes', 'diagonal', 'checker', 'diamond',
];

export interface ShapesOptions {
  n: number;
  seed?: number;
  /** Image side in pixels (default 32). */
  size?: number;
  /** Uniform per-pixel noise amplitude in grey levels (default 12). */
  noise?: number;
}

const NOISE_LEN = 1 << 16; // plus 2 guard entries so a pixel's 3 reads never wrap

interface ShapeParams {
  k: number;
  r: number;
  cx: number;
  cy: number;
  period: number;
  phase: number;
  size: number;
}

/**
 * Foreground mask of one shape. The class switch sits outside the pixel loops (one loop per class): a
 * per-pixel predicate call with float arguments is not inlined by V8 and was 5x slower.
 */
function fillMask(p: ShapeParams, mask: Uint8Array): void {
  const { k, r, cx, cy, period, phase, size } = p;
  const half = period / 2;
  const cell = period >> 1;
  let i = 0;
  for (let y = 0; y < size; y++) {
    const dy = y + 0.5 - cy;
    const ay = Math.abs(dy);
    for (let x = 0; x < size; x++, i++) {
      const dx = x + 0.5 - cx;
      const ax = Math.abs(dx);
      const box = ax <= r && ay <= r;
      let m: boolean;
      switch (k) {
        case 0: m = dx * dx + dy * dy <= r * r; break;
        case 1: m = ax <= 0.8 * r && ay <= 0.8 * r; break;
        case 2: {
          const t = (dy + r) / (1.8 * r); // 0 at the apex (top), 1 at the base
          m = t >= 0 && t <= 1 && ax <= t * r;
          break;
        }
        case 3: {
          const d2 = dx * dx + dy * dy;
          m = d2 <= r * r && d2 >= 0.3 * r * r;
          break;
        }
        case 4: m = (ax <= 0.3 * r && ay <= r) || (ay <= 0.3 * r && ax <= r); break;
        case 5: m = box && (y + phase) % period < half; break;
        case 6: m = box && (x + phase) % period < half; break;
        case 7: m = box && (x + y + phase) % period < half; break;
        case 8: m = box && ((((x + phase) / cell) | 0) + (((y + phase) / cell) | 0)) % 2 === 0; break;
        default: m = ax + ay <= 1.1 * r;
      }
      mask[i] = m ? 1 : 0;
    }
  }
}

function render(mask: Uint8Array, fg: Int32Array, bg: Int32Array, noise: Int16Array, t: number, out: Uint8Array, o: number): void {
  for (let i = 0; i < mask.length; i++, o += 3) {
    const col = mask[i] ? fg : bg;
    // Colours lie in [amp, 255 - amp], so adding noise needs no clamping.
    out[o] = col[0] + noise[t];
    out[o + 1] = col[1] + noise[t + 1];
    out[o + 2] = col[2] + noise[t + 2];
    t = (t + 3) & (NOISE_LEN - 1);
  }
}

/** Generate `n` images with exactly balanced classes (n/10 each, remainder to the first classes), shuffled. */
export function makeShapes(opts: ShapesOptions): ImageDataset {
  const { n } = opts;
  if (!Number.isInteger(n) || n < 1) throw new ConfigError('n', `must be a positive integer, got ${n}`);
  const size = opts.size ?? 32;
  const amp = Math.min(60, Math.max(0, Math.round(opts.noise ?? 12)));
  const rng = Rng.derive(opts.seed ?? 0, 'whittle/data/shapes');
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = i % 10;
  rng.shuffle(labels);
  const images = new Uint8Array(n * size * size * 3);
  // Noise comes from a fixed table read at a random offset per image: an sfc32 draw per pixel would
  // dominate the cost, and i.i.d. noise per pixel isn't needed.
  const noise = new Int16Array(NOISE_LEN + 2);
  for (let j = 0; j < NOISE_LEN + 2; j++) noise[j] = rng.int(2 * amp + 1) - amp;
  const fg = new Int32Array(3);
  const bg = new Int32Array(3);
  const plane = size * size * 3;
  const mask = new Uint8Array(size * size);
  for (let i = 0; i < n; i++) {
    const r = size * (0.2 + 0.14 * rng.next());
    const cx = size / 2 + (rng.next() - 0.5) * (size - 2 * r) * 0.8;
    const cy = size / 2 + (rng.next() - 0.5) * (size - 2 * r) * 0.8;
    const period = 4 + 2 * rng.int(2); // 4 or 6: even, so checker cells are whole pixels
    const phase = rng.int(period);
    // Colours far enough apart (L1 >= 150) that the shape is always visible.
    do {
      for (let c = 0; c < 3; c++) {
        fg[c] = amp + rng.int(256 - 2 * amp);
        bg[c] = amp + rng.int(256 - 2 * amp);
      }
    } while (Math.abs(fg[0] - bg[0]) + Math.abs(fg[1] - bg[1]) + Math.abs(fg[2] - bg[2]) < 150);
    fillMask({ k: labels[i], r, cx, cy, period, phase, size }, mask);
    render(mask, fg, bg, noise, rng.int(NOISE_LEN), images, i * plane);
  }
  return {
    name: 'shapes',
    images,
    labels,
    n,
    height: size,
    width: size,
    channels: 3,
    numClasses: 10,
    classNames: [...SHAPES_CLASSES],
  };
}
