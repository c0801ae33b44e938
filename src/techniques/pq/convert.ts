/**
 * Model surgery without graph tracing (ecosystem.md §2.4.6): edit the topology JSON, rebuild with
 * `modelFromJSON`, copy weights by layer name. `toPQModel` swaps Conv2D/Dense for PQConv2D/PQDense,
 * `toFloatModel` goes back to plain layers holding the decoded kernels (for export and fast inference).
 */
import { tf, tfl } from '../../engine/tf.js';
import { WhittleError } from '../../core/errors.js';
import { PQConv2D, PQDense, isPQLayer } from './layers.js';
import type { QuantizedKernel } from './quantize.js';
import '../../models/layers.js'; // registers the zoo's custom layers (ShortcutA) for modelFromJSON
import { describeValue } from '../../core/describe.js';

type Json = Record<string, unknown>;
interface LayerJson { name: string; class_name: string; config: Json; inbound_nodes: unknown }

/** A Conv2D or Dense layer whose kernel PQ can replace. */
export interface QuantizableLayer {
  name: string;
  isDense: boolean;
  shape: number[];
  layer: tfl.layers.Layer;
}

export function quantizableLayers(model: tfl.LayersModel): QuantizableLayer[] {
  const out: QuantizableLayer[] = [];
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (cls !== 'Conv2D' && cls !== 'Dense') continue;
    const cfg = layer.getConfig();
    if (cls === 'Conv2D' && cfg.dataFormat !== undefined && cfg.dataFormat !== 'channelsLast') continue;
    if (cls === 'Conv2D' && cfg.groups !== undefined && cfg.groups !== 1) continue;
    const kernel = layer.getWeights()[0];
    if (!kernel || (cls === 'Dense' && kernel.shape.length !== 2)) continue;
    out.push({ name: layer.name, isDense: cls === 'Dense', shape: [...kernel.shape], layer });
  }
  return out;
}

export function topologyOf(model: tfl.LayersModel): Json {
  return model.toJSON(null, false) as unknown as Json;
}

function layersOf(topology: Json): LayerJson[] {
  return (topology.config as { layers: LayerJson[] }).layers;
}

function pair(v: unknown, what: string, layer: string): number[] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2) return v as number[];
  throw new WhittleError(`PQ: layer "${layer}" has unsupported ${what} ${describeValue(v)}`);
}

/** PQ layer config (pythonic keys, as in a topology) for a Conv2D/Dense layer JSON. */
function pqLayerJson(l: LayerJson, shape: number[], q: Pick<QuantizedKernel, 'blockSize' | 'k' | 'subspaces'>, noiseRate: number, noiseSeed: number): LayerJson {
  const c = l.config;
  const isDense = l.class_name === 'Dense';
  const kernelShape = isDense ? [1, 1, shape[0], shape[1]] : shape;
  const act = c.activation ?? 'linear';
  if (act !== 'linear' && act !== 'relu') throw new WhittleError(`PQ: layer "${l.name}" activation "${String(act)}" not supported (linear|relu)`);
  const config: Json = {
    name: c.name, trainable: c.trainable, kernel_shape: kernelShape, block_size: q.blockSize, k: q.k, subspaces: q.subspaces,
    use_bias: c.use_bias, activation: act, noise_rate: noiseRate, noise_seed: noiseSeed,
  };
  if (c.batch_input_shape) config.batch_input_shape = c.batch_input_shape;
  if (!isDense) {
    config.strides = pair(c.strides, 'strides', l.name);
    config.dilation_rate = pair(c.dilation_rate ?? 1, 'dilation_rate', l.name);
    if (c.padding !== 'same' && c.padding !== 'valid') throw new WhittleError(`PQ: layer "${l.name}" padding "${String(c.padding)}" not supported`);
    config.padding = c.padding;
  }
  return { ...l, class_name: isDense ? PQDense.className : PQConv2D.className, config };
}

/** Plain Conv2D/Dense JSON for a PQ layer JSON. */
function floatLayerJson(l: LayerJson): LayerJson {
  const c = l.config;
  const ks = c.kernel_shape as number[];
  const common: Json = { name: c.name, trainable: c.trainable, activation: c.activation, use_bias: c.use_bias };
  if (c.batch_input_shape) common.batch_input_shape = c.batch_input_shape;
  if (l.class_name === PQDense.className) return { ...l, class_name: 'Dense', config: { ...common, units: ks[3] } };
  return {
    ...l, class_name: 'Conv2D',
    config: { ...common, filters: ks[3], kernel_size: [ks[0], ks[1]], strides: c.strides, padding: c.padding, data_format: 'channels_last', dilation_rate: c.dilation_rate },
  };
}

async function rebuild(topology: Json, source: tfl.LayersModel, weights: (layer: tfl.layers.Layer) => tf.Tensor[] | undefined): Promise<tfl.LayersModel> {
  const model = await tfl.models.modelFromJSON({ modelTopology: topology as tf.io.ModelJSON['modelTopology'] });
  const meta = source.getUserDefinedMetadata();
  if (meta) model.setUserDefinedMetadata(meta);
  const old = new Map(source.layers.map((l) => [l.name, l]));
  for (const layer of model.layers) {
    const w = weights(layer);
    if (w) layer.setWeights(w);
    else {
      const o = old.get(layer.name);
      if (o && o.getClassName() === layer.getClassName() && o.weights.length) layer.setWeights(o.getWeights());
    }
  }
  return model;
}

/** Tensors for a PQ layer's weights in tfjs order (trainable first): [centroids, bias?, assignments, counts]. */
export function pqWeights(q: QuantizedKernel, bias?: tf.Tensor): tf.Tensor[] {
  const m = q.subspaces;
  const d = q.blockSize / m;
  const rows = new Float32Array(q.codes.length);
  for (let i = 0; i < rows.length; i++) rows[i] = (i % m) * q.k + q.codes[i]; // global codebook row
  const w: tf.Tensor[] = [tf.tensor2d(q.codebook, [m * q.k, d])];
  if (bias) w.push(bias);
  w.push(tf.tensor1d(rows), tf.tensor1d(Float32Array.from(q.counts)));
  return w;
}

/**
 * A new model where every layer in `quantized` is a PQ layer initialised from its codebook; other layers
 * (including already-PQ ones) keep their weights. The source model is left untouched.
 */
export async function toPQModel(
  model: tfl.LayersModel,
  quantized: Map<string, QuantizedKernel>,
  opts: { noiseRate?: number; noiseSeed?: number } = {},
): Promise<tfl.LayersModel> {
  const topology = structuredClone(topologyOf(model));
  const layers = layersOf(topology);
  for (let i = 0; i < layers.length; i++) {
    const q = quantized.get(layers[i].name);
    if (q) layers[i] = pqLayerJson(layers[i], q.shape, q, opts.noiseRate ?? 0, opts.noiseSeed ?? 0);
  }
  const created: tf.Tensor[] = [];
  const result = await rebuild(topology, model, (layer) => {
    const q = quantized.get(layer.name);
    if (!q) return undefined;
    const src = model.getLayer(layer.name);
    const bias = (layer as PQConv2D | PQDense).useBias ? src.getWeights()[1] : undefined;
    const w = pqWeights(q, bias);
    created.push(...w.filter((t) => t !== bias));
    return w;
  });
  created.forEach((t) => t.dispose());
  return result;
}

/** A plain model where every PQ layer becomes Conv2D/Dense with its decoded (noise-free) kernel. */
export async function toFloatModel(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  const topology = structuredClone(topologyOf(model));
  const layers = layersOf(topology);
  for (let i = 0; i < layers.length; i++) {
    if (layers[i].class_name === PQConv2D.className || layers[i].class_name === PQDense.className) layers[i] = floatLayerJson(layers[i]);
  }
  const created: tf.Tensor[] = [];
  const result = await rebuild(topology, model, (layer) => {
    const src = model.layers.find((l) => l.name === layer.name);
    if (!src || !isPQLayer(src)) return undefined;
    const k = tf.tidy(() => {
      const w = src.kernel(false);
      return layer.getClassName() === 'Dense' ? tf.reshape(w, [src.kernelShape[2], src.kernelShape[3]]) : w;
    });
    created.push(k);
    const b = src.pqTensors().bias;
    return b ? [k, b] : [k];
  });
  created.forEach((t) => t.dispose());
  return result;
}

/** Sets PQ noise rate on every PQ layer (e.g. 0 before evaluation/export). */
export function setNoiseRate(model: tfl.LayersModel, p: number): void {
  for (const l of model.layers) if (isPQLayer(l)) l.noiseRate = p;
}
