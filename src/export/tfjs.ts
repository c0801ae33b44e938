/**
 * Writing a stock-layer model as a TF.js Layers model directory, laid out as `tensorflowjs_converter`
 * writes one: model.json (format "layers-model", modelTopology, weightsManifest) plus weight shards
 * `group1-shard{i}of{n}.bin` of at most 4 MiB. The topology and weight specs are tfjs-layers' own
 * (`model.save` through a capturing handler), so stock `tf.loadLayersModel` reads them back. Shards are
 * written first and model.json last, each atomically, so a reader never sees a manifest without its shards.
 */
import { join } from 'node:path';
import { tf, tfl } from '../engine/tf.js';
import { WhittleError } from '../core/errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { quantizeWeight, type EncodedWeight, type ManifestQuantization, type QuantizationEntry } from './tfjs-quantize.js';

/** tensorflowjs_converter's default shard size. */
export const SHARD_BYTES = 4 * 1024 * 1024;

export interface TfjsWriteOptions {
  quantize?: ManifestQuantization;
  /** Encodings to use instead of the generic one, by weight name (e.g. learned int8 codes). */
  encoded?: Map<string, EncodedWeight>;
  shardBytes?: number;
  generatedBy?: string;
}

export interface TfjsWriteReport {
  dir: string;
  files: string[];
  /** Bytes of all shards. */
  weightBytes: number;
  /** The same weights as float32. */
  floatBytes: number;
  weights: number;
}

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: QuantizationEntry;
}

async function captureArtifacts(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    captured = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  if (!captured?.weightSpecs || captured.weightData === undefined) throw new WhittleError(`export: tfjs returned no weights for model ${model.name}`);
  return captured;
}

/** Writes `model` (stock layers only) into `dir`. */
export async function writeTfjsModel(model: tfl.LayersModel, dir: string, opts: TfjsWriteOptions = {}): Promise<TfjsWriteReport> {
  const a = await captureArtifacts(model);
  const data = new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData!));
  const parts: Uint8Array[] = [];
  const entries: ManifestEntry[] = [];
  let offset = 0;
  for (const spec of a.weightSpecs!) {
    const n = spec.shape.reduce((x, y) => x * y, 1);
    const bytes = data.subarray(offset, offset + n * 4);
    offset += n * 4;
    if (spec.dtype !== 'float32') throw new WhittleError(`export: weight ${spec.name} is ${spec.dtype}; only float32 weights are exported`);
    const enc = opts.encoded?.get(spec.name) ?? (opts.quantize ? quantizeWeight(new Float32Array(bytes.slice().buffer), opts.quantize) : undefined);
    entries.push({ name: spec.name, shape: spec.shape, dtype: 'float32', ...(enc ? { quantization: enc.quantization } : {}) });
    parts.push(enc ? enc.bytes : bytes);
  }
  const total = parts.reduce((s, p) => s + p.length, 0);
  const all = new Uint8Array(total);
  let p = 0;
  for (const part of parts) {
    all.set(part, p);
    p += part.length;
  }
  const shardBytes = opts.shardBytes ?? SHARD_BYTES;
  const n = Math.max(1, Math.ceil(total / shardBytes));
  const paths = Array.from({ length: n }, (_, i) => `group1-shard${i + 1}of${n}.bin`);
  paths.forEach((name, i) => writeFileAtomic(join(dir, name), all.subarray(i * shardBytes, Math.min(total, (i + 1) * shardBytes))));
  const json = {
    format: 'layers-model',
    generatedBy: opts.generatedBy ?? `Whittle (TensorFlow.js tfjs-layers v${tfl.version_layers})`,
    convertedBy: null,
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths, weights: entries }],
    ...(a.userDefinedMetadata ? { userDefinedMetadata: a.userDefinedMetadata } : {}),
  };
  writeFileAtomic(join(dir, 'model.json'), JSON.stringify(json));
  return { dir, files: [...paths, 'model.json'], weightBytes: total, floatBytes: data.length, weights: entries.length };
}
