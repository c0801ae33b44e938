/**
 * Bring-your-own model: a TF.js Layers model.json with its weight shards, as `tensorflowjs_converter`
 * writes it from a Keras model (topology under `modelTopology.model_config`) or as tfjs
 * `model.save('file://…')` writes it. Checked before anything is built: the JSON, every layer class
 * (those Whittle can compress and export, SUPPORTED_LAYER_CLASSES; any other is named), every shard's
 * presence and size against the manifest (so a truncated file is named, and nothing larger than the
 * manifest says is read). Weights are then decoded by tfjs itself (quantised manifests included).
 * `inputSize` replaces the input's height and width (for topologies with free or other sizes).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { tf, tfl } from '../../engine/tf.js';
import { FormatError, WhittleError } from '../../core/errors.js';
import { CONVERTERS } from '../../export/onnx/ops.js';

/** Layer classes an imported model may hold: those with an ONNX mapping (they also export to tfjs). */
export const SUPPORTED_LAYER_CLASSES: readonly string[] = ['InputLayer', ...Object.keys(CONVERTERS)];

type Json = Record<string, unknown>;
interface LayerJson {
  class_name: string;
  name?: string;
  config: Json;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2, bool: 1 };

export interface ImportOptions {
  /** [height, width] of the input, replacing the topology's. */
  inputSize?: [number, number];
}

function parseJson(file: string): Json {
  if (!existsSync(file) || !statSync(file).isFile()) throw new WhittleError(`model file ${file} does not exist`);
  try {
    const j = JSON.parse(readFileSync(file, 'utf8'));
    if (j === null || typeof j !== 'object' || Array.isArray(j)) throw new Error('not an object');
    return j as Json;
  } catch (e) {
    throw new FormatError(file, `not a TF.js model.json (${(e as Error).message})`);
  }
}

/** The layers list of a functional/sequential topology (Keras-converted ones nest it under model_config). */
function topologyLayers(file: string, topology: Json): LayerJson[] {
  const t = (topology.model_config ?? topology) as Json;
  const layers = (t.config as Json | undefined)?.layers;
  if (!Array.isArray(layers)) throw new FormatError(file, 'modelTopology has no config.layers list (not a Layers model)');
  return layers as LayerJson[];
}

/** Names every layer whose class Whittle cannot handle. */
export function checkLayerClasses(file: string, topology: Json): void {
  const bad = topologyLayers(file, topology).filter((l) => !SUPPORTED_LAYER_CLASSES.includes(l.class_name));
  if (bad.length) {
    const list = bad.map((l) => `"${l.name ?? l.config?.name}" (${l.class_name})`).join(', ');
    throw new WhittleError(`${file}: unsupported layer${bad.length > 1 ? 's' : ''} ${list}; supported: ${SUPPORTED_LAYER_CLASSES.join(', ')}`);
  }
}

function setInputSize(file: string, topology: Json, size: [number, number]): void {
  if (!size.every((d) => Number.isInteger(d) && d > 0)) throw new WhittleError(`--input-size must be two positive integers, got ${size}`);
  for (const l of topologyLayers(file, topology)) {
    const shape = l.config.batch_input_shape as Array<number | null> | undefined;
    if (!shape) continue;
    if (shape.length !== 4) throw new WhittleError(`${file}: input "${l.config.name}" has rank ${shape.length - 1}; --input-size needs an image input [h, w, c]`);
    l.config.batch_input_shape = [shape[0], size[0], size[1], shape[3]];
  }
}

/** Reads the shards named by the manifest, checking names stay in the model's folder and sizes match. */
function readWeights(file: string, manifest: unknown): { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer } {
  if (!Array.isArray(manifest)) throw new FormatError(file, 'weightsManifest must be a list of {paths, weights} groups');
  const dir = resolve(dirname(file));
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const [gi, group] of (manifest as Array<{ paths?: unknown; weights?: unknown }>).entries()) {
    if (!Array.isArray(group?.paths) || !Array.isArray(group?.weights)) throw new FormatError(file, `weightsManifest[${gi}] lacks paths or weights`);
    let expected = 0;
    for (const w of group.weights as tf.io.WeightsManifestEntry[]) {
      const dtype = w.quantization?.dtype ?? w.dtype;
      if (!Array.isArray(w.shape) || !w.shape.every((d) => Number.isInteger(d) && d >= 0) || BYTES[dtype] === undefined) {
        throw new FormatError(file, `weight "${w.name}": bad shape ${JSON.stringify(w.shape)} or dtype ${dtype}`);
      }
      expected += w.shape.reduce((a, b) => a * b, 1) * BYTES[dtype];
      specs.push(w);
    }
    let got = 0;
    const files = (group.paths as unknown[]).map((p) => {
      const path = resolve(dir, String(p));
      if (!path.startsWith(dir + sep)) throw new FormatError(file, `shard path "${String(p)}" leaves the model's folder`);
      if (!existsSync(path)) throw new FormatError(file, `shard ${String(p)} is missing`);
      got += statSync(path).size;
      return path;
    });
    if (got !== expected) throw new FormatError(file, `weightsManifest[${gi}] needs ${expected} bytes, its shards hold ${got} (truncated or mismatched)`);
    for (const f of files) buffers.push(readFileSync(f));
  }
  const all = Buffer.concat(buffers);
  return { specs, data: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) };
}

/** Loads a TF.js Layers model.json (+ shards) as a LayersModel, after the checks above. */
export async function loadLayersModelFile(path: string, opts: ImportOptions = {}): Promise<tfl.LayersModel> {
  const file = resolve(path);
  const json = parseJson(file);
  const topology = json.modelTopology as Json | undefined;
  if (!topology || typeof topology !== 'object') throw new FormatError(file, 'has no modelTopology (not a TF.js Layers model)');
  if (json.format !== undefined && json.format !== 'layers-model') throw new FormatError(file, `format is "${String(json.format)}"; only TF.js Layers models ("layers-model") are supported`);
  if (json.weightsManifest === undefined) throw new FormatError(file, 'has no weightsManifest (topology only: there are no weights to compress)');
  checkLayerClasses(file, topology);
  if (opts.inputSize) setInputSize(file, topology, opts.inputSize);
  const { specs, data } = readWeights(file, json.weightsManifest);
  try {
    const model = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: topology, weightSpecs: specs, weightData: data }));
    model.setUserDefinedMetadata({ ...((json.userDefinedMetadata as Json | undefined) ?? {}), whittle: { importedFrom: file } });
    return model;
  } catch (e) {
    throw new FormatError(file, `tfjs could not build the model: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Whether a --model argument names a model file rather than a zoo model. */
export function isModelFile(arg: string): boolean {
  return arg.endsWith('.json') || existsSync(join(arg, 'model.json'));
}
