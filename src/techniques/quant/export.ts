/**
 * Integer export (issue 5, "int8 export"): quantised kernels are stored as b-bit codes in Whittle's
 * safetensors — U8, one code per byte for 8 bits, bit-packed LSB-first for b < 8 (two int4 codes per
 * byte) — plus `<key>.scale` (F32) and `<key>.zero_point` (U8) per tensor or per output channel, in the
 * PyTorch quint8 convention w ≈ (code − zero_point)·scale. Every other weight stays F32. The
 * `whittle.quant` metadata entry (JSON) lists the quantised keys with shape, bits and axis.
 * Loading dequantises into a plain model, whose weights equal the quantised model's evaluation weights.
 */
import { tf, tfl } from '../../engine/tf.js';
import { FormatError } from '../../core/errors.js';
import { readSafetensors, toTypedArray, writeSafetensors, type TensorInput } from '../../io/safetensors.js';
import { modelParams } from '../../models/params.js';
import { isQuantLayer } from './layers.js';
import { dequantizeCodes, quantizeCodes, type QParams } from './quantizer.js';

export const QUANT_META_KEY = 'whittle.quant';

export interface QuantTensorMeta {
  shape: number[];
  bits: number;
  axis: number | null;
  symmetric: boolean;
}

export interface SizeReport {
  /** All weights as float32. */
  floatBytes: number;
  /** The safetensors file, header included. */
  fileBytes: number;
  /** Tensor payload only (codes + scales + zero points + float leftovers). */
  payloadBytes: number;
  quantizedTensors: number;
  floatTensors: number;
  ratio: number;
}

/** Packs b-bit codes LSB-first; 8-bit codes are returned as they are. */
export function packCodes(codes: Uint8Array, bits: number): Uint8Array {
  if (bits === 8) return codes;
  const out = new Uint8Array(Math.ceil((codes.length * bits) / 8));
  let bit = 0;
  for (let i = 0; i < codes.length; i++, bit += bits) {
    const v = codes[i];
    const byte = bit >> 3;
    const off = bit & 7;
    out[byte] |= (v << off) & 0xff;
    if (off + bits > 8) out[byte + 1] |= v >> (8 - off);
  }
  return out;
}

export function unpackCodes(packed: Uint8Array, bits: number, n: number): Uint8Array {
  if (bits === 8) return packed.slice(0, n);
  const mask = (1 << bits) - 1;
  const out = new Uint8Array(n);
  let bit = 0;
  for (let i = 0; i < n; i++, bit += bits) {
    const byte = bit >> 3;
    const off = bit & 7;
    let v = packed[byte] >> off;
    if (off + bits > 8) v |= packed[byte + 1] << (8 - off);
    out[i] = v & mask;
  }
  return out;
}

/**
 * Serialises a model's weights with its quantised layers' kernels as integers. `extra` lets a caller
 * quantise kernels of plain layers too (post-training quantisation baselines), by parameter key.
 */
export function exportQuantized(
  model: tfl.LayersModel,
  extra: Map<string, QParams> = new Map(),
  metadata: Record<string, string> = {},
): { bytes: Uint8Array; report: SizeReport } {
  const tensors = new Map<string, TensorInput>();
  const meta: Record<string, QuantTensorMeta> = {};
  let floatBytes = 0;
  let payloadBytes = 0;
  let nq = 0;
  let nf = 0;
  for (const p of modelParams(model)) {
    const data = p.variable.dataSync() as Float32Array;
    const shape = p.variable.shape;
    floatBytes += data.length * 4;
    let qp = extra.get(p.key) ?? null;
    if (!qp && isQuantLayer(p.layer) && p.key === `${p.layer.name}/kernel`) {
      qp = p.layer.quantizer().ensureWeights(() => data);
    }
    if (!qp) {
      tensors.set(p.key, { dtype: 'F32', shape, data: Float32Array.from(data) });
      payloadBytes += data.length * 4;
      nf++;
      continue;
    }
    const packed = packCodes(quantizeCodes(data, shape, qp), qp.bits);
    tensors.set(p.key, { dtype: 'U8', shape: [packed.length], data: packed });
    tensors.set(`${p.key}.scale`, { dtype: 'F32', shape: [qp.scale.length], data: Float32Array.from(qp.scale) });
    tensors.set(`${p.key}.zero_point`, { dtype: 'U8', shape: [qp.zeroPoint.length], data: Uint8Array.from(qp.zeroPoint) });
    meta[p.key] = { shape, bits: qp.bits, axis: qp.axis, symmetric: qp.symmetric };
    payloadBytes += packed.length + qp.scale.length * 5;
    nq++;
  }
  const bytes = writeSafetensors(tensors, { ...metadata, [QUANT_META_KEY]: JSON.stringify(meta) });
  const report = { floatBytes, fileBytes: bytes.length, payloadBytes, quantizedTensors: nq, floatTensors: nf, ratio: floatBytes / bytes.length };
  return { bytes, report };
}

/** Decodes an exported file into float32 weights by parameter key. */
export function decodeQuantized(bytes: Uint8Array, fileName = '<buffer>'): Map<string, { shape: number[]; data: Float32Array }> {
  const file = readSafetensors(bytes, fileName);
  let meta: Record<string, QuantTensorMeta>;
  try {
    meta = JSON.parse(file.metadata[QUANT_META_KEY] ?? '{}');
  } catch (e) {
    throw new FormatError(fileName, `metadata "${QUANT_META_KEY}" is not JSON (${(e as Error).message})`);
  }
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [key, t] of file.tensors) {
    if (key.endsWith('.scale') || key.endsWith('.zero_point')) continue;
    const m = meta[key];
    if (!m) {
      if (t.dtype !== 'F32') throw new FormatError(fileName, `tensor "${key}" is ${t.dtype} but not listed as quantised`);
      out.set(key, { shape: t.shape, data: toTypedArray(t) as Float32Array });
      continue;
    }
    const s = file.tensors.get(`${key}.scale`);
    const z = file.tensors.get(`${key}.zero_point`);
    if (!s || !z) throw new FormatError(fileName, `quantised tensor "${key}" lacks its .scale or .zero_point`);
    const n = m.shape.reduce((a, b) => a * b, 1);
    if (t.bytes.length !== Math.ceil((n * m.bits) / 8)) {
      throw new FormatError(fileName, `tensor "${key}": ${t.bytes.length} bytes for ${n} ${m.bits}-bit codes`);
    }
    const qp: QParams = {
      bits: m.bits,
      scale: toTypedArray(s) as Float32Array,
      zeroPoint: Float32Array.from(toTypedArray(z)),
      axis: m.axis,
      symmetric: m.symmetric,
    };
    out.set(key, { shape: m.shape, data: dequantizeCodes(unpackCodes(t.bytes, m.bits, n), m.shape, qp) });
  }
  return out;
}

/** Loads an exported file into a plain (or any) model with the same parameter keys. */
export function loadQuantizedInto(model: tfl.LayersModel, bytes: Uint8Array, fileName = '<buffer>'): void {
  const weights = decodeQuantized(bytes, fileName);
  const params = modelParams(model);
  for (const p of params) {
    const w = weights.get(p.key);
    if (!w) throw new FormatError(fileName, `no weight "${p.key}" for the model's layer ${p.layer.name}`);
    if (w.shape.join(',') !== p.variable.shape.join(',')) {
      throw new FormatError(fileName, `weight "${p.key}" has shape [${w.shape}], the model expects [${p.variable.shape}]`);
    }
    const t = tf.tensor(w.data, w.shape);
    p.variable.assign(t);
    t.dispose();
  }
  if (weights.size !== params.length) {
    const known = new Set(params.map((p) => p.key));
    const extra = [...weights.keys()].filter((k) => !known.has(k));
    throw new FormatError(fileName, `weights not in the model: ${extra.join(', ')}`);
  }
}
