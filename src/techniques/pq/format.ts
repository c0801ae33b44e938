/**
 * The compressed model file: self-describing safetensors, pure TypeScript (no Node APIs) so the same
 * decoder runs in Node and in the browser (src/browser/pq-decoder.ts).
 *
 * Tensors:
 *   `<layer>/<weight>`          F32   every non-quantised parameter (biases, BN, unquantised layers)
 *   `<layer>/kernel.codebook`   F16|F32 [m·K, d]  sub-space s owns rows s·K…s·K+K−1 (d = bs/m)
 *   `<layer>/kernel.codes`      U8    indices: bit-packed ⌈log2 K⌉ bits each (pack.ts), or a canonical
 *                                     Huffman stream over global rows s·K + code (entropy.ts)
 *   `<layer>/kernel.code_lengths` U8 [m·K]  Huffman code lengths (Huffman coding only)
 *   `__whittle__/topology`      U8    the tfjs model JSON (plain Conv2D/Dense layers), deflated (fflate, raw
 *                                     DEFLATE): ~29 KB of JSON for ResNet-20 becomes ~1.6 KB
 * Metadata: format = "whittle-pq", version, topology_encoding = "deflate", layers (per quantised layer: kernel shape, block size, K, m, bits, coding, #codes), user (the model's
 * user-defined metadata). Codes are ordered block-major (row j·cout + o, blocks.ts), m per block.
 */
import { deflateSync, strFromU8, strToU8 } from 'fflate';
import { tf, tfl } from '../../engine/tf.js';
import { FormatError } from '../../core/errors.js';
import { float32ToHalf, readSafetensors, toTypedArray, writeSafetensors, type TensorInput } from '../../io/safetensors.js';
import { modelParams } from '../../models/params.js';
import { decodeKernel } from './quantize.js';
import { packBits, unpackBits } from './pack.js';
import { huffmanDecode, huffmanEncode } from './entropy.js';
import { bitsPerIndex } from './size.js';
import { isPQLayer } from './layers.js';
import { toFloatModel, topologyOf } from './convert.js';
import { PQ_LIMITS, checkLayerMeta, inflateBounded, parseJsonField } from './format-check.js';
import { buildFromTopology } from '../../models/topology-check.js';
import { describeValue } from '../../core/describe.js';

export const PQ_FORMAT = 'whittle-pq';
export const PQ_FORMAT_VERSION = '1';
const TOPOLOGY_TENSOR = '__whittle__/topology';

export interface PQLayerMeta {
  shape: number[];
  blockSize: number;
  k: number;
  subspaces: number;
  bits: number;
  coding: 'packed' | 'huffman';
  count: number;
  centroidDtype: 'F16' | 'F32';
}

export interface EncodeOptions {
  centroidDtype?: 'F16' | 'F32';
  /**
   * Index coding: 'packed' (fixed width), 'huffman', or 'auto' (default): per layer whichever stream is
   * smaller, its Huffman code table counted. Briefly trained models have near-uniform centroid usage, where
   * the table costs more than the entropy saves (docs/pq.md).
   */
  coding?: 'packed' | 'huffman' | 'auto';
}

/** Serialises a model holding PQ layers (others stay fp32). */
export async function encodePQModel(model: tfl.LayersModel, opts: EncodeOptions = {}): Promise<Uint8Array> {
  const dtype = opts.centroidDtype ?? 'F16';
  const codingOpt = opts.coding ?? 'auto';
  if (!['packed', 'huffman', 'auto'].includes(codingOpt)) throw new Error(`PQ index coding must be packed, huffman or auto, got "${String(codingOpt)}"`);
  const float = await toFloatModel(model);
  try {
    const tensors = new Map<string, TensorInput>();
    const layers: Record<string, PQLayerMeta> = {};
    const pq = new Map(model.layers.filter(isPQLayer).map((l) => [l.name, l]));
    for (const p of modelParams(float)) {
      const q = pq.get(p.layer.name);
      if (q && p.key === `${q.name}/kernel`) {
        const { centroids: c, assignments: a } = q.pqTensors();
        const m = q.subspaces;
        const d = q.blockSize / m;
        const cb = c.dataSync() as Float32Array;
        const rows = Int32Array.from(a.dataSync());
        tensors.set(`${p.key}.codebook`, dtype === 'F16'
          ? { dtype: 'F16', shape: [m * q.k, d], data: float32ToHalf(cb) }
          : { dtype: 'F32', shape: [m * q.k, d], data: Float32Array.from(cb) });
        const bits = bitsPerIndex(q.k);
        const h = codingOpt === 'packed' ? undefined : huffmanEncode(rows, m * q.k);
        const packed = codingOpt === 'huffman' ? undefined : packBits(rows.map((r, i) => r - (i % m) * q.k), bits);
        const coding = !packed || (h && h.data.length + h.lengths.length < packed.length) ? 'huffman' : 'packed';
        if (coding === 'huffman') {
          tensors.set(`${p.key}.codes`, { dtype: 'U8', shape: [h!.data.length], data: h!.data });
          tensors.set(`${p.key}.code_lengths`, { dtype: 'U8', shape: [h!.lengths.length], data: h!.lengths });
        } else {
          tensors.set(`${p.key}.codes`, { dtype: 'U8', shape: [packed!.length], data: packed! });
        }
        layers[q.name] = { shape: [...p.variable.shape], blockSize: q.blockSize, k: q.k, subspaces: m, bits, coding, count: rows.length, centroidDtype: dtype };
      } else {
        tensors.set(p.key, { dtype: 'F32', shape: [...p.variable.shape], data: Float32Array.from(p.variable.dataSync() as Float32Array) });
      }
    }
    const topo = deflateSync(strToU8(JSON.stringify(topologyOf(float))), { level: 9 });
    tensors.set(TOPOLOGY_TENSOR, { dtype: 'U8', shape: [topo.length], data: topo });
    return writeSafetensors(tensors, {
      format: PQ_FORMAT,
      version: PQ_FORMAT_VERSION,
      topology_encoding: 'deflate',
      layers: JSON.stringify(layers),
      user: JSON.stringify(model.getUserDefinedMetadata() ?? {}),
    });
  } finally {
    float.dispose();
  }
}

export interface DecodedPQFile {
  model: tfl.LayersModel;
  layers: Record<string, PQLayerMeta>;
  user: Record<string, unknown>;
}

/** Dense kernels of every quantised layer, decoded from the file's tensors (no tfjs involved). */
export function decodeKernels(bytes: Uint8Array, file = '<buffer>'): { kernels: Map<string, Float32Array>; meta: ReturnType<typeof readMeta> } {
  const meta = readMeta(bytes, file);
  const kernels = new Map<string, Float32Array>();
  for (const [name, l] of Object.entries(meta.layers)) {
    const key = `${name}/kernel`;
    const codes = meta.st.tensors.get(`${key}.codes`)!;
    const codebook = toTypedArray(meta.st.tensors.get(`${key}.codebook`)!) as Float32Array;
    let local: Int32Array;
    try {
      if (l.coding === 'huffman') {
        const rows = huffmanDecode(meta.st.tensors.get(`${key}.code_lengths`)!.bytes, codes.bytes, l.count);
        local = rows.map((r, i) => r - (i % l.subspaces) * l.k);
      } else {
        local = unpackBits(codes.bytes, l.bits, l.count);
      }
    } catch (e) {
      throw new FormatError(file, `layer "${name}": ${key}.codes does not decode (${(e as Error).message})`);
    }
    // a code outside its sub-space's K centroids would read another sub-space's (or no) centroid
    const bad = local.findIndex((c) => c < 0 || c >= l.k);
    if (bad >= 0) throw new FormatError(file, `layer "${name}": code ${bad} is ${local[bad]}, outside 0..${l.k - 1} of its sub-space`);
    kernels.set(key, decodeKernel({ shape: l.shape, blockSize: l.blockSize, k: l.k, subspaces: l.subspaces, codebook, codes: local }));
  }
  return { kernels, meta };
}

function readMeta(bytes: Uint8Array, file: string) {
  const st = readSafetensors(bytes, file);
  if (st.metadata.format !== PQ_FORMAT) throw new FormatError(file, `not a ${PQ_FORMAT} file (format = ${describeValue(st.metadata.format)})`);
  if (st.metadata.version !== PQ_FORMAT_VERSION) throw new FormatError(file, `unsupported ${PQ_FORMAT} version ${st.metadata.version.slice(0, 60)}`);
  let topologyText = st.metadata.topology;
  const packed = st.tensors.get(TOPOLOGY_TENSOR);
  if (topologyText === undefined && packed) {
    if (packed.dtype !== 'U8') throw new FormatError(file, `tensor ${TOPOLOGY_TENSOR} is ${packed.dtype}, expected U8`);
    try {
      topologyText = strFromU8(inflateBounded(packed.bytes, PQ_LIMITS.maxTopologyBytes, file, `tensor ${TOPOLOGY_TENSOR}`));
    } catch (e) {
      if (e instanceof FormatError) throw e;
      throw new FormatError(file, `tensor ${TOPOLOGY_TENSOR} is not UTF-8 (${(e as Error).message})`);
    }
  }
  const topology = parseJsonField<Record<string, unknown>>(topologyText, 'topology', file);
  const rawLayers = parseJsonField<Record<string, unknown>>(st.metadata.layers, 'layers', file);
  const layers: Record<string, PQLayerMeta> = {};
  for (const [name, l] of Object.entries(rawLayers)) layers[name] = checkLayerMeta(name, l, st.tensors, file);
  return { st, topology, layers, user: parseJsonField<Record<string, unknown>>(st.metadata.user, 'user', file) };
}

/** Rebuilds a runnable tfjs model (plain layers, dense decoded kernels) from the file's bytes. */
export async function decodePQModel(data: Uint8Array | ArrayBuffer, file = '<buffer>'): Promise<DecodedPQFile> {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  const { kernels, meta } = decodeKernels(bytes, file);
  const model = await buildFromTopology(meta.topology, file);
  try {
    if (Object.keys(meta.user).length) model.setUserDefinedMetadata(meta.user);
    const params = modelParams(model);
    const used = new Set<string>([TOPOLOGY_TENSOR]);
    for (const name of Object.keys(meta.layers)) for (const s of ['codebook', 'codes', 'code_lengths']) used.add(`${name}/kernel.${s}`);
    const values: { p: (typeof params)[number]; v: Float32Array }[] = [];
    for (const p of params) {
      const k = kernels.get(p.key);
      const t = meta.st.tensors.get(p.key);
      const shape = k ? meta.layers[p.key.slice(0, -'/kernel'.length)].shape : t?.shape;
      if (!shape) throw new FormatError(file, `parameter "${p.key}" missing`);
      if (t && !k && t.dtype !== 'F32') throw new FormatError(file, `parameter "${p.key}" is ${t.dtype}, the model needs F32`);
      if (shape.length !== p.variable.shape.length || shape.some((d, i) => d !== p.variable.shape[i])) {
        throw new FormatError(file, `parameter "${p.key}" has shape [${shape}], the model needs [${p.variable.shape}]`);
      }
      used.add(p.key);
      values.push({ p, v: k ?? (toTypedArray(t!) as Float32Array) });
    }
    const unused = [...meta.st.tensors.keys()].filter((k) => !used.has(k));
    if (unused.length) throw new FormatError(file, `tensor "${unused[0].slice(0, 100)}" belongs to no layer of the topology`);
    tf.tidy(() => values.forEach(({ p, v }) => p.variable.assign(tf.tensor(v, p.variable.shape))));
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, layers: meta.layers, user: meta.user };
}
