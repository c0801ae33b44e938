/**
 * safetensors reader/writer (https://github.com/huggingface/safetensors format): 8-byte little-endian
 * header length, a JSON header {name: {dtype, shape, data_offsets}, __metadata__?: {str: str}}, then
 * the raw little-endian bytes. No npm package implements it usably (ecosystem.md §0.7).
 */
import { FormatError } from '../core/errors.js';

export type SafeDType = 'F32' | 'F16' | 'BF16' | 'I8' | 'U8' | 'I16' | 'I32' | 'I64' | 'F64' | 'BOOL';
const BYTES: Record<SafeDType, number> = { F32: 4, F16: 2, BF16: 2, I8: 1, U8: 1, I16: 2, I32: 4, I64: 8, F64: 8, BOOL: 1 };

export interface SafeTensor {
  dtype: SafeDType;
  shape: number[];
  /** Raw bytes (little-endian), a copy aligned to the start of its own buffer. */
  bytes: Uint8Array;
}

export function dtypeBytes(d: SafeDType): number {
  return BYTES[d];
}

/** Typed view of a tensor's data: F32/F16/BF16 → Float32Array, I8 → Int8Array, U8/BOOL → Uint8Array, I32 → Int32Array. */
export function toTypedArray(t: SafeTensor): Float32Array | Int8Array | Uint8Array | Int32Array | Int16Array | Float64Array {
  const b = t.bytes;
  const buf = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  switch (t.dtype) {
    case 'F32': return new Float32Array(buf);
    case 'F64': return new Float64Array(buf);
    case 'I8': return new Int8Array(buf);
    case 'U8': case 'BOOL': return new Uint8Array(buf);
    case 'I16': return new Int16Array(buf);
    case 'I32': return new Int32Array(buf);
    case 'I64': {
      const big = new BigInt64Array(buf);
      return Int32Array.from(big, (v) => Number(v));
    }
    case 'F16': return halfToFloat32(new Uint16Array(buf));
    case 'BF16': {
      const u = new Uint16Array(buf);
      const out = new Uint32Array(u.length);
      for (let i = 0; i < u.length; i++) out[i] = u[i] << 16;
      return new Float32Array(out.buffer);
    }
  }
}

/** IEEE half → float32. */
export function halfToFloat32(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) {
    const x = h[i];
    const sign = x & 0x8000 ? -1 : 1;
    const exp = (x >> 10) & 0x1f;
    const frac = x & 0x3ff;
    if (exp === 0) out[i] = sign * frac * 2 ** -24;
    else if (exp === 31) out[i] = frac ? NaN : sign * Infinity;
    else out[i] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return out;
}

/** float32 → IEEE half (round to nearest even). */
export function float32ToHalf(f: Float32Array): Uint16Array {
  const out = new Uint16Array(f.length);
  const fv = new Float32Array(1);
  const iv = new Uint32Array(fv.buffer);
  for (let i = 0; i < f.length; i++) {
    fv[0] = f[i];
    const x = iv[0];
    const sign = (x >>> 16) & 0x8000;
    const exp = ((x >>> 23) & 0xff) - 127 + 15;
    let mant = x & 0x7fffff;
    if (((x >>> 23) & 0xff) === 0xff) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 : 0);
      continue;
    }
    if (exp >= 31) { out[i] = sign | 0x7c00; continue; }
    if (exp <= 0) {
      if (exp < -10) { out[i] = sign; continue; }
      mant |= 0x800000;
      const shift = 14 - exp;
      let h = mant >> shift;
      const rem = mant & ((1 << shift) - 1);
      const half = 1 << (shift - 1);
      if (rem > half || (rem === half && h & 1)) h++;
      out[i] = sign | h;
      continue;
    }
    let h = (exp << 10) | (mant >> 13);
    const rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
    out[i] = sign | h;
  }
  return out;
}

export interface SafetensorsFile {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

export function readSafetensors(buf: Uint8Array, fileName = '<buffer>'): SafetensorsFile {
  if (buf.length < 8) throw new FormatError(fileName, `safetensors: file is ${buf.length} bytes, too short for a header`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = Number(dv.getBigUint64(0, true));
  if (headerLen > buf.length - 8 || headerLen > 100_000_000) {
    throw new FormatError(fileName, `safetensors: header length ${headerLen} exceeds file size ${buf.length}`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw new FormatError(fileName, `safetensors: header is not valid JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new FormatError(fileName, 'safetensors: header is not a JSON object');
  const dataStart = 8 + headerLen;
  const tensors = new Map<string, SafeTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = v as Record<string, string>;
      continue;
    }
    const e = v as { dtype: SafeDType; shape: number[]; data_offsets: [number, number] };
    if (!e || !Array.isArray(e.shape) || !Array.isArray(e.data_offsets) || e.data_offsets.length !== 2) {
      throw new FormatError(fileName, `safetensors: tensor "${name}" lacks a shape or data_offsets array`);
    }
    if (!(e.dtype in BYTES)) throw new FormatError(fileName, `safetensors: tensor "${name}" has unknown dtype ${e.dtype}`);
    const [a, b] = e.data_offsets;
    const n = e.shape.reduce((x, y) => x * y, 1);
    if (b - a !== n * BYTES[e.dtype]) {
      throw new FormatError(fileName, `safetensors: tensor "${name}" byte range ${a}..${b} does not match shape [${e.shape}] ${e.dtype}`);
    }
    if (dataStart + b > buf.length) {
      throw new FormatError(fileName, `safetensors: tensor "${name}" ends at byte ${dataStart + b}, beyond the file's ${buf.length} bytes (truncated?)`);
    }
    tensors.set(name, { dtype: e.dtype, shape: e.shape, bytes: buf.slice(dataStart + a, dataStart + b) });
  }
  return { tensors, metadata };
}

export type TensorInput =
  | { dtype: SafeDType; shape: number[]; data: ArrayBufferView }
  | SafeTensor;

export function writeSafetensors(tensors: Map<string, TensorInput> | Record<string, TensorInput>, metadata: Record<string, string> = {}): Uint8Array {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let off = 0;
  for (const [name, t] of entries) {
    const bytes = 'bytes' in t ? t.bytes : new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const n = t.shape.reduce((x, y) => x * y, 1);
    if (bytes.byteLength !== n * BYTES[t.dtype]) {
      throw new Error(`writeSafetensors: "${name}" has ${bytes.byteLength} bytes, expected ${n * BYTES[t.dtype]} for [${t.shape}] ${t.dtype}`);
    }
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + bytes.byteLength] };
    chunks.push(bytes);
    off += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const hb = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hb.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  let p = 8 + hb.length;
  for (const c of chunks) {
    out.set(c, p);
    p += c.byteLength;
  }
  return out;
}
