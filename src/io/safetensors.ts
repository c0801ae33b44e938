/**
 * safetensors reader/writer (https://github.com/huggingface/safetensors format): 8-byte little-endian
 * header length, a JSON header {name: {dtype, shape, data_offsets}, __metadata__?: {str: str}}, then
 * the raw little-endian bytes. No npm package implements it usably (ecosystem.md §0.7).
 */
import { FormatError } from '../core/errors.js';
import { describeValue } from '../core/describe.js';

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

let HALF_TABLE: Float32Array | undefined;

/** IEEE half → float32, through a 65,536-entry table (built once; the arithmetic is exact in float32). */
export function halfToFloat32(h: Uint16Array): Float32Array {
  if (!HALF_TABLE) {
    HALF_TABLE = new Float32Array(65536);
    for (let x = 0; x < 65536; x++) {
      const sign = x & 0x8000 ? -1 : 1;
      const exp = (x >> 10) & 0x1f;
      const frac = x & 0x3ff;
      if (exp === 0) HALF_TABLE[x] = sign * frac * 2 ** -24;
      else if (exp === 31) HALF_TABLE[x] = frac ? NaN : sign * Infinity;
      else HALF_TABLE[x] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
    }
  }
  const table = HALF_TABLE;
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) out[i] = table[h[i]];
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

/** Limits of the safetensors reference implementation (MAX_HEADER_SIZE) and of tensor ranks. */
export const SAFETENSORS_MAX_HEADER = 100_000_000;
const MAX_RANK = 32;

const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Reads a safetensors buffer, validating it exactly as the reference implementation does before anything is
 * copied: the header length fits the file and the 100 MB limit, the header is UTF-8 JSON starting with `{`,
 * every entry has a known dtype, a shape of non-negative integers and integer `data_offsets`; sorted by offset
 * the tensors are contiguous from 0, do not overlap, cover the data to its last byte, and each byte range is
 * exactly dtype size × shape product. `__metadata__` must map strings to strings.
 */
export function readSafetensors(buf: Uint8Array, fileName = '<buffer>'): SafetensorsFile {
  const fail = (msg: string): never => {
    throw new FormatError(fileName, `safetensors: ${msg}`);
  };
  if (buf.length < 8) fail(`file is ${buf.length} bytes, too short for a header`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const declared = dv.getBigUint64(0, true);
  if (declared > BigInt(SAFETENSORS_MAX_HEADER)) fail(`header length ${declared} exceeds the ${SAFETENSORS_MAX_HEADER}-byte limit`);
  const headerLen = Number(declared);
  if (headerLen > buf.length - 8) fail(`header length ${headerLen} exceeds file size ${buf.length}`);
  if (headerLen === 0 || buf[8] !== 0x7b) fail('header does not start with "{"');
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + headerLen)));
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) fail('header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = buf.length - dataStart;
  const entries: [string, SafeDType, number[], number, number][] = [];
  let metadata: Record<string, string> = {};
  const h = header as Record<string, unknown>;
  // Object.keys, not Object.entries: far faster on headers with tens of thousands of tensors
  for (const name of Object.keys(h)) {
    const v = h[name];
    if (name === '__metadata__') {
      metadata = readMetadata(v, fail);
      continue;
    }
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    const field = (f: string) => `tensor "${name.slice(0, 200)}" field "${f}"`;
    if (!e || typeof e !== 'object' || Array.isArray(e)) fail(`tensor "${name.slice(0, 200)}" is not an object`);
    const { dtype, shape, data_offsets: offs } = e!;
    if (typeof dtype !== 'string' || !Object.hasOwn(BYTES, dtype)) fail(`${field('dtype')}: unknown dtype ${describeValue(dtype, 40)}`);
    if (!Array.isArray(shape) || shape.length > MAX_RANK || !shape.every(isIndex)) fail(`${field('shape')} must be a list of at most ${MAX_RANK} non-negative integers`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isIndex)) fail(`${field('data_offsets')} must be two non-negative integers`);
    const [a, b] = offs as [number, number];
    if (b < a) fail(`${field('data_offsets')}: end ${b} before start ${a}`);
    let n = 1;
    for (const d of shape as number[]) {
      n *= d;
      if (!Number.isSafeInteger(n * 8)) fail(`${field('shape')}: element count overflows`);
    }
    if (b - a !== n * BYTES[dtype as SafeDType]) {
      fail(`${field('data_offsets')}: byte range ${a}..${b} (${b - a} bytes) does not match shape [${shape}] ${dtype} (${n * BYTES[dtype as SafeDType]} bytes)`);
    }
    entries.push([name, dtype as SafeDType, shape as number[], a, b]);
  }
  // Contiguous, non-overlapping, covering the data exactly (the reference's validate()).
  const sorted = entries.slice().sort((x, y) => x[3] - y[3] || x[4] - y[4]);
  let end = 0;
  for (const [name, , , a, b] of sorted) {
    if (a !== end) fail(`tensor "${name.slice(0, 200)}" starts at byte ${a}, expected ${end} (${a < end ? 'overlapping' : 'a gap between'} tensors)`);
    end = b;
  }
  if (end !== dataLen) fail(`tensors cover ${end} bytes of data but the file holds ${dataLen} after the header (${end > dataLen ? 'truncated' : 'trailing bytes'})`);
  const tensors = new Map<string, SafeTensor>();
  for (const [name, dtype, shape, a, b] of entries) tensors.set(name, { dtype, shape, bytes: buf.slice(dataStart + a, dataStart + b) });
  return { tensors, metadata };
}

function readMetadata(v: unknown, fail: (m: string) => never): Record<string, string> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return fail('"__metadata__" must be an object of strings');
  for (const [k, x] of Object.entries(v)) if (typeof x !== 'string') fail(`"__metadata__" field "${k.slice(0, 200)}" is not a string`);
  return v as Record<string, string>;
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
