/**
 * Validation of an untrusted PQ model file (format.ts) before anything is decoded or built: the deflated
 * topology inflates within a bound, parsed JSON stays shallow (layer configs: src/models/topology-check.ts), every
 * quantised layer's metadata is self-consistent and matches its tensors (dtype, shape, stream lengths).
 * Pure TypeScript (runs in the browser decoder). Every failure is a FormatError naming the file and field.
 */
import { Inflate } from 'fflate';
import { FormatError } from '../../core/errors.js';
import { pathName, tooDeep } from '../../io/json-limits.js';
import type { SafeTensor } from '../../io/safetensors.js';
import { filterSize, geomOf } from './blocks.js';
import type { PQLayerMeta } from './format.js';
import { bitsPerIndex } from './size.js';
import { describeValue } from '../../core/describe.js';

export const PQ_LIMITS = {
  /** Inflated topology JSON. */
  maxTopologyBytes: 64 * 2 ** 20,
  maxJsonDepth: 64,
  /** Elements of one quantised kernel. */
  maxKernelElements: 2 ** 28,
  /** Centroids per sub-space (bits per index ≤ 24). */
  maxK: 2 ** 24,
};

/** Inflates raw DEFLATE data, refusing output past `max` bytes (a deflate bomb stops there). */
export function inflateBounded(data: Uint8Array, max: number, file: string, field: string): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const inf = new Inflate((chunk) => {
    total += chunk.length;
    if (total > max) throw new FormatError(file, `${field} inflates past ${max} bytes`);
    chunks.push(chunk);
  });
  try {
    inf.push(data, true);
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(file, `${field} does not inflate (${(e as Error).message})`);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** JSON.parse of a metadata string with a depth bound. */
export function parseJsonField<T>(s: string | undefined, field: string, file: string): T {
  if (s === undefined) throw new FormatError(file, `metadata field "${field}" missing`);
  let v: unknown;
  try {
    v = JSON.parse(s);
  } catch (e) {
    throw new FormatError(file, `metadata field "${field}" is not JSON (${(e as Error).message})`);
  }
  const deep = tooDeep(v, PQ_LIMITS.maxJsonDepth);
  if (deep) throw new FormatError(file, `metadata field "${field}" is nested more than ${PQ_LIMITS.maxJsonDepth} deep at ${pathName(deep)}`);
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new FormatError(file, `metadata field "${field}" is not a JSON object`);
  return v as T;
}

const posInt = (v: unknown, max = Number.MAX_SAFE_INTEGER): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0 && v <= max;

/** One quantised layer's metadata against its tensors; returns it typed. */
export function checkLayerMeta(name: string, raw: unknown, tensors: ReadonlyMap<string, SafeTensor>, file: string): PQLayerMeta {
  const fail = (field: string, msg: string): never => {
    throw new FormatError(file, `layer "${name.slice(0, 100)}" metadata field "${field}" ${msg}`);
  };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return fail('(all)', 'is not an object');
  const l = raw as Record<string, unknown>;
  const shape = l.shape;
  if (!Array.isArray(shape) || (shape.length !== 2 && shape.length !== 4) || !shape.every((d) => posInt(d))) return fail('shape', 'must be 2 or 4 positive integers');
  if ((shape as number[]).reduce((a, b) => a * b, 1) > PQ_LIMITS.maxKernelElements) fail('shape', `[${shape}] exceeds ${PQ_LIMITS.maxKernelElements} elements`);
  const g = geomOf(shape as number[]);
  if (!posInt(l.blockSize) || filterSize(g) % l.blockSize !== 0) fail('blockSize', `${describeValue(l.blockSize)} does not divide the ${filterSize(g)} values per filter`);
  if (!posInt(l.subspaces) || (l.blockSize as number) % l.subspaces !== 0) fail('subspaces', `${describeValue(l.subspaces)} does not divide the block size`);
  if (!posInt(l.k, PQ_LIMITS.maxK)) fail('k', `must be an integer in 1..${PQ_LIMITS.maxK}`);
  const [bs, m, k] = [l.blockSize as number, l.subspaces as number, l.k as number];
  if (l.bits !== bitsPerIndex(k)) fail('bits', `is ${describeValue(l.bits)}, K = ${k} needs ${bitsPerIndex(k)}`);
  const count = (filterSize(g) / bs) * g.cout * m;
  if (l.count !== count) fail('count', `is ${describeValue(l.count)}, the kernel has ${count} codes`);
  if (l.coding !== 'packed' && l.coding !== 'huffman') fail('coding', `must be "packed" or "huffman"`);
  if (l.centroidDtype !== 'F16' && l.centroidDtype !== 'F32') fail('centroidDtype', 'must be "F16" or "F32"');
  const key = `${name}/kernel`;
  const cb = tensors.get(`${key}.codebook`);
  if (!cb) return fail('(tensors)', `needs tensor ${key}.codebook`);
  if (cb.dtype !== l.centroidDtype || cb.shape.length !== 2 || cb.shape[0] !== m * k || cb.shape[1] !== bs / m) {
    fail('(tensors)', `${key}.codebook is ${cb.dtype} [${cb.shape}], expected ${String(l.centroidDtype)} [${m * k}, ${bs / m}]`);
  }
  const codes = tensors.get(`${key}.codes`);
  if (!codes || codes.dtype !== 'U8' || codes.shape.length !== 1) return fail('(tensors)', `needs a 1-D U8 tensor ${key}.codes`);
  if (l.coding === 'packed' && codes.bytes.length !== Math.ceil((count * (l.bits as number)) / 8)) {
    fail('(tensors)', `${key}.codes has ${codes.bytes.length} bytes, ${count} codes of ${String(l.bits)} bits need ${Math.ceil((count * (l.bits as number)) / 8)}`);
  }
  if (l.coding === 'huffman') {
    const lens = tensors.get(`${key}.code_lengths`);
    if (!lens || lens.dtype !== 'U8' || lens.shape.length !== 1 || lens.shape[0] !== m * k) fail('(tensors)', `needs a U8 tensor ${key}.code_lengths of ${m * k} lengths`);
  }
  return l as unknown as PQLayerMeta;
}
