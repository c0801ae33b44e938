/**
 * Weight quantisation in the TF.js weights manifest, as `tensorflowjs_converter --quantize_uint8 /
 * --quantize_uint16 / --quantize_float16` writes it (tfjs-converter python/tensorflowjs/quantization.py),
 * so stock tfjs decodes it (`value = code·scale + min`, or float16 → float32):
 * - uint8/uint16: per tensor, scale = (max − min)/q_max; when 0 ∈ [min, max] the range is nudged so that 0
 *   is a code (zero point = round(−min/scale), min = −zero_point·scale); codes = round((clip(w) − min)/scale);
 *   a constant tensor is all-zero codes with scale 1 and min = its value;
 * - float16: IEEE half precision, round to nearest even.
 * A tensor may instead bring its own codes (an int8/QAT layer's learned per-tensor scale and zero point).
 */
export type ManifestQuantization = 'uint8' | 'uint16' | 'float16';

export interface QuantizationEntry {
  dtype: ManifestQuantization;
  min?: number;
  scale?: number;
  original_dtype: 'float32';
}

export interface EncodedWeight {
  bytes: Uint8Array;
  quantization: QuantizationEntry;
}

/** Affine uint8/uint16 as the converter computes it (float64 arithmetic, as numpy does). */
export function quantizeAffine(data: Float32Array, dtype: 'uint8' | 'uint16'): EncodedWeight {
  const qMax = dtype === 'uint8' ? 255 : 65535;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (data.length === 0) lo = hi = 0;
  const codes = dtype === 'uint8' ? new Uint8Array(data.length) : new Uint16Array(data.length);
  if (lo === hi) return { bytes: new Uint8Array(codes.buffer), quantization: { dtype, min: lo, scale: 1, original_dtype: 'float32' } };
  const scale = (hi - lo) / qMax;
  let min = lo;
  let max = hi;
  if (lo <= 0 && 0 <= hi) {
    min = -roundHalfEven(-lo / scale) * scale;
    max = qMax * scale + min;
  }
  for (let i = 0; i < data.length; i++) {
    const c = Math.min(max, Math.max(min, data[i]));
    codes[i] = Math.min(qMax, Math.max(0, roundHalfEven((c - min) / scale)));
  }
  return { bytes: new Uint8Array(codes.buffer), quantization: { dtype, min, scale, original_dtype: 'float32' } };
}

/** numpy's round (half to even). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → IEEE half bits, round to nearest even (as numpy's astype(float16)). */
export function toFloat16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / nan
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow → ±0
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++; // a carry into the exponent is correct
  return sign | half;
}

export function quantizeFloat16(data: Float32Array): EncodedWeight {
  const h = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) h[i] = toFloat16Bits(data[i]);
  return { bytes: new Uint8Array(h.buffer), quantization: { dtype: 'float16', original_dtype: 'float32' } };
}

/** Learned per-tensor codes (b ≤ 8 bits) as a uint8 entry: w = code·s − z·s. */
export function learnedUint8(codes: Uint8Array, scale: number, zeroPoint: number): EncodedWeight {
  return { bytes: codes, quantization: { dtype: 'uint8', min: -zeroPoint * scale, scale, original_dtype: 'float32' } };
}

export function quantizeWeight(data: Float32Array, dtype: ManifestQuantization): EncodedWeight {
  return dtype === 'float16' ? quantizeFloat16(data) : quantizeAffine(data, dtype);
}
