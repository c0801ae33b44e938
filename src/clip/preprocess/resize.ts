/**
 * Pillow-compatible resampling of interleaved uint8 images (Pillow 9.x libImaging/Resample.c): separable
 * bicubic (a = −0.5) whose support is scaled by the downscale factor (antialiasing), coefficients normalised and
 * converted to 22-bit fixed point, horizontal pass first with uint8 rounding/clipping, then vertical.
 * Also Pillow's NEAREST (used for palette and 1-bit images, which PIL never resamples bicubically) and the
 * RGBA ⇄ premultiplied conversions Pillow applies around resizing images with alpha.
 */
const PRECISION_BITS = 32 - 8 - 2;
const HALF = 1 << (PRECISION_BITS - 1);
const MAX_IN = 1 << (PRECISION_BITS + 8);

function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

interface Coeffs { ksize: number; bounds: Int32Array; kk: Int32Array }

/** precompute_coeffs + normalize_coeffs_8bpc for one axis (box = whole input). */
function coeffs(inSize: number, outSize: number): Coeffs {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 2 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    // C's (int) cast truncates toward zero
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = bicubic((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < ksize; x++) {
      const v = x < xmax && ww !== 0 ? k[x] / ww : x < xmax ? k[x] : 0;
      kk[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * (1 << PRECISION_BITS)) : Math.trunc(0.5 + v * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

function clip8(v: number): number {
  if (v >= MAX_IN) return 255;
  if (v <= 0) return 0;
  return v >> PRECISION_BITS;
}

/** Bicubic resize of an interleaved uint8 image with `c` channels, as PIL Image.resize(..., BICUBIC). */
export function resizeBicubic(src: Uint8Array, w: number, h: number, c: number, outW: number, outH: number): Uint8Array {
  let cur = src;
  let curW = w;
  if (outW !== w) {
    const { ksize, bounds, kk } = coeffs(w, outW);
    const out = new Uint8Array(outW * h * c);
    for (let y = 0; y < h; y++) {
      const row = y * w * c;
      for (let xx = 0; xx < outW; xx++) {
        const xmin = bounds[xx * 2];
        const xmax = bounds[xx * 2 + 1];
        const kb = xx * ksize;
        for (let ch = 0; ch < c; ch++) {
          let ss = HALF;
          for (let x = 0; x < xmax; x++) ss += src[row + (x + xmin) * c + ch] * kk[kb + x];
          out[(y * outW + xx) * c + ch] = clip8(ss);
        }
      }
    }
    cur = out;
    curW = outW;
  }
  if (outH !== h) {
    const { ksize, bounds, kk } = coeffs(h, outH);
    const out = new Uint8Array(curW * outH * c);
    const stride = curW * c;
    for (let yy = 0; yy < outH; yy++) {
      const ymin = bounds[yy * 2];
      const ymax = bounds[yy * 2 + 1];
      const kb = yy * ksize;
      for (let i = 0; i < stride; i++) {
        let ss = HALF;
        for (let y = 0; y < ymax; y++) ss += cur[(y + ymin) * stride + i] * kk[kb + y];
        out[yy * stride + i] = clip8(ss);
      }
    }
    cur = out;
  }
  return cur === src ? src.slice() : cur;
}

/**
 * PIL NEAREST resize (ImagingScaleAffine: source coordinate accumulated as xo += scale from scale/2,
 * truncated), used for palette ('P') and '1' images, which PIL never resamples bicubically.
 */
export function resizeNearest(src: Uint8Array, w: number, h: number, c: number, outW: number, outH: number): Uint8Array {
  const out = new Uint8Array(outW * outH * c);
  const sx = w / outW;
  const sy = h / outH;
  const xin = new Int32Array(outW);
  for (let x = 0, xo = sx * 0.5; x < outW; x++, xo += sx) xin[x] = Math.min(Math.trunc(xo), w - 1);
  for (let y = 0, yo = sy * 0.5; y < outH; y++, yo += sy) {
    const yi = Math.min(Math.trunc(yo), h - 1);
    for (let x = 0; x < outW; x++) {
      for (let ch = 0; ch < c; ch++) out[(y * outW + x) * c + ch] = src[(yi * w + xin[x]) * c + ch];
    }
  }
  return out;
}

/** RGBA → RGBa (or LA → La) in place semantics of Pillow: colour · alpha / 255 with MULDIV255 rounding. */
export function premultiply(px: Uint8Array, c: number): Uint8Array {
  const out = px.slice();
  for (let i = 0; i < px.length; i += c) {
    const a = px[i + c - 1];
    for (let ch = 0; ch < c - 1; ch++) {
      const t = px[i + ch] * a + 128;
      out[i + ch] = ((t >> 8) + t) >> 8;
    }
  }
  return out;
}

/** RGBa → RGBA: colour · 255 / alpha (integer division, clipped); alpha 0 and 255 left as-is. */
export function unpremultiply(px: Uint8Array, c: number): Uint8Array {
  const out = px.slice();
  for (let i = 0; i < px.length; i += c) {
    const a = px[i + c - 1];
    if (a === 0 || a === 255) continue;
    for (let ch = 0; ch < c - 1; ch++) out[i + ch] = Math.min(255, Math.floor((255 * px[i + ch]) / a));
  }
  return out;
}
