/**
 * One converter per stock tfjs-layers class: ONNX nodes computing the layer (rank-4 tensors NCHW inside
 * the graph, see layout.ts). A quantised kernel (`LayerInput.kernelCodes`) is written as uint8 codes and a
 * DequantizeLinear with the layer's own scale and zero point (per tensor, or per output channel).
 */
import onnxProto from 'onnx-proto';
import { WhittleError } from '../../core/errors.js';
import type { OnnxGraph } from './graph.js';
import type { KernelCodes } from '../kernel-codes.js';
import { convPads, depthwiseToOihw, hwioToOihw, pair, physicalAxis, type Shape } from './layout.js';

const DT = onnxProto.onnx.TensorProto.DataType;


export interface LayerInput {
  g: OnnxGraph;
  name: string;
  className: string;
  config: Record<string, unknown>;
  /** Input tensor names and logical (NHWC) shapes. */
  inputs: Array<{ name: string; shape: Shape }>;
  outputShape: Shape;
  weights: Array<{ data: Float32Array; shape: number[] }>;
  kernelCodes?: KernelCodes;
}

type Converter = (l: LayerInput) => string;

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];

export function toNhwc(g: OnnxGraph, name: string, rank: number, base: string): string {
  return rank === 4 ? g.node('Transpose', [name], `${base}/nhwc`, { perm: NCHW_TO_NHWC }) : name;
}

export function toNchw(g: OnnxGraph, name: string, rank: number, base: string): string {
  return rank === 4 ? g.node('Transpose', [name], `${base}/nchw`, { perm: NHWC_TO_NCHW }) : name;
}

/** The activation named in a layer config, applied to `x` (rank for softmax's channel axis). */
export function activation(g: OnnxGraph, x: string, act: unknown, rank: number, base: string): string {
  const a = act === undefined || act === null ? 'linear' : String(act);
  switch (a) {
    case 'linear':
      return x;
    case 'relu':
      return g.node('Relu', [x], `${base}/relu`);
    case 'relu6':
      return g.node('Clip', [x, g.scalar(`${base}/min`, 0), g.scalar(`${base}/max`, 6)], `${base}/relu6`);
    case 'sigmoid':
      return g.node('Sigmoid', [x], `${base}/sigmoid`);
    case 'tanh':
      return g.node('Tanh', [x], `${base}/tanh`);
    case 'softplus':
      return g.node('Softplus', [x], `${base}/softplus`);
    case 'elu':
      return g.node('Elu', [x], `${base}/elu`, { alpha: { float: 1 } });
    case 'selu':
      return g.node('Selu', [x], `${base}/selu`, { alpha: { float: 1.6732632423543772 }, gamma: { float: 1.0507009873554805 } });
    case 'hardSigmoid':
      return g.node('HardSigmoid', [x], `${base}/hard_sigmoid`, { alpha: { float: 0.2 }, beta: { float: 0.5 } });
    case 'swish':
      return g.node('Mul', [x, g.node('Sigmoid', [x], `${base}/sigmoid`)], `${base}/swish`);
    case 'softmax':
      return g.node('Softmax', [x], `${base}/softmax`, { axis: rank === 4 ? 1 : -1 });
    default:
      throw new WhittleError(`activation "${a}" has no ONNX mapping here`);
  }
}

/** A float initialiser, or codes + DequantizeLinear when the layer's kernel is quantised. */
function kernelInput(l: LayerInput, data: Float32Array, dims: number[], codes: Uint8Array | undefined, channelAxis: number): string {
  const q = l.kernelCodes;
  if (!q || !codes) return l.g.floats(`${l.name}/kernel`, data, dims);
  const c = l.g.raw(`${l.name}/kernel_codes`, dims, DT.UINT8, codes);
  const n = q.scale.length;
  const s = l.g.floats(`${l.name}/kernel_scale`, q.scale, q.perChannel ? [n] : []);
  const z = l.g.raw(`${l.name}/kernel_zero_point`, q.perChannel ? [n] : [], DT.UINT8, Uint8Array.from(q.zeroPoint));
  return l.g.node('DequantizeLinear', [c, s, z], `${l.name}/kernel`, q.perChannel ? { axis: channelAxis } : {});
}

function conv(l: LayerInput, depthwise: boolean): string {
  const c = l.config;
  const x = l.inputs[0];
  const kernelSize = pair(c.kernelSize, 'kernel size');
  const strides = pair(c.strides ?? 1, 'strides');
  const dilations = pair(c.dilationRate ?? 1, 'dilation rate');
  if (c.dataFormat !== undefined && c.dataFormat !== 'channelsLast') throw new WhittleError(`layer "${l.name}": only channels-last convolutions are supported`);
  const [k, b] = l.weights;
  let w: string;
  let group = 1;
  if (depthwise) {
    const [kh, kw, ch, m] = k.shape;
    if (l.kernelCodes) throw new WhittleError(`layer "${l.name}": quantised depthwise kernels are not exported`);
    w = l.g.floats(`${l.name}/kernel`, depthwiseToOihw(k.data, k.shape), [ch * m, 1, kh, kw]);
    group = ch;
  } else {
    if (c.groups !== undefined && c.groups !== 1) throw new WhittleError(`layer "${l.name}": grouped Conv2D is not supported`);
    const [kh, kw, ci, co] = k.shape;
    w = kernelInput(l, hwioToOihw(k.data, k.shape), [co, ci, kh, kw], l.kernelCodes && hwioToOihw(l.kernelCodes.codes, k.shape), 0);
  }
  const pads = convPads(String(c.padding), x.shape.slice(1, 3), kernelSize, strides, dilations);
  const useBias = c.useBias !== false && b !== undefined;
  const inputs = [x.name, w, ...(useBias ? [l.g.floats(`${l.name}/bias`, b.data, b.shape)] : [])];
  const y = l.g.node('Conv', inputs, l.name, { kernel_shape: kernelSize, strides, dilations, pads, group });
  return activation(l.g, y, c.activation, 4, l.name);
}

function separable(l: LayerInput): string {
  const c = l.config;
  const [dk, pk, b] = l.weights;
  const depth: LayerInput = { ...l, name: `${l.name}/depthwise`, config: { ...c, activation: 'linear', useBias: false }, weights: [dk] };
  const d = conv(depth, true);
  const [, , ci, co] = pk.shape;
  const inputs = [d, l.g.floats(`${l.name}/pointwise_kernel`, hwioToOihw(pk.data, pk.shape), [co, ci, 1, 1])];
  if (c.useBias !== false && b) inputs.push(l.g.floats(`${l.name}/bias`, b.data, b.shape));
  const y = l.g.node('Conv', inputs, l.name, { kernel_shape: [1, 1] });
  return activation(l.g, y, c.activation, 4, l.name);
}

function dense(l: LayerInput): string {
  const x = l.inputs[0];
  if (x.shape.length !== 2) throw new WhittleError(`layer "${l.name}": Dense on a rank-${x.shape.length} input is not supported (flatten or pool first)`);
  const [k, b] = l.weights;
  const w = kernelInput(l, k.data, k.shape, l.kernelCodes?.codes, 1);
  const useBias = l.config.useBias !== false && b !== undefined;
  const y = l.g.node('Gemm', [x.name, w, ...(useBias ? [l.g.floats(`${l.name}/bias`, b.data, b.shape)] : [])], l.name);
  return activation(l.g, y, l.config.activation, 2, l.name);
}

function batchNorm(l: LayerInput): string {
  const c = l.config;
  const x = l.inputs[0];
  const rank = x.shape.length;
  const axis = physicalAxis(Number(c.axis ?? -1), rank);
  if (axis !== 1) throw new WhittleError(`layer "${l.name}": batch normalisation over a non-channel axis is not supported`);
  const ws = [...l.weights];
  const ch = ws[ws.length - 1].shape[0];
  const gamma = c.scale !== false ? ws.shift()!.data : new Float32Array(ch).fill(1);
  const beta = c.center !== false ? ws.shift()!.data : new Float32Array(ch);
  const [mean, variance] = ws;
  const g = l.g;
  return g.node('BatchNormalization', [x.name, g.floats(`${l.name}/gamma`, gamma, [ch]), g.floats(`${l.name}/beta`, beta, [ch]), g.floats(`${l.name}/moving_mean`, mean.data, [ch]), g.floats(`${l.name}/moving_variance`, variance.data, [ch])], l.name, { epsilon: { float: Number(c.epsilon ?? 1e-3) } });
}

function pool(l: LayerInput, op: 'MaxPool' | 'AveragePool'): string {
  const c = l.config;
  const x = l.inputs[0];
  const kernel = pair(c.poolSize ?? 2, 'pool size');
  const strides = pair(c.strides ?? kernel, 'strides');
  const pads = convPads(String(c.padding ?? 'valid'), x.shape.slice(1, 3), kernel, strides);
  // tfjs averages over the window's valid pixels only.
  return l.g.node(op, [x.name], l.name, { kernel_shape: kernel, strides, pads, ...(op === 'AveragePool' ? { count_include_pad: 0 } : {}) });
}

function merge(l: LayerInput, op: string): string {
  const names = l.inputs.map((i) => i.name);
  if (op === 'Sum' || op === 'Mean' || op === 'Max' || op === 'Min') return l.g.node(op, names, l.name);
  let y = names[0];
  for (let i = 1; i < names.length; i++) y = l.g.node(op, [y, names[i]], i === names.length - 1 ? l.name : `${l.name}/${i}`);
  return y;
}

function flatten(l: LayerInput): string {
  const x = l.inputs[0];
  return l.g.node('Flatten', [toNhwc(l.g, x.name, x.shape.length, l.name)], l.name, { axis: 1 });
}

function reshape(l: LayerInput): string {
  const x = l.inputs[0];
  const target = (l.config.targetShape as number[]).map(Number);
  const shape = target.includes(-1) ? [0, ...target] : [-1, ...target];
  const y = l.g.node('Reshape', [toNhwc(l.g, x.name, x.shape.length, l.name), l.g.int64s(`${l.name}/shape`, shape)], `${l.name}/nhwc_out`);
  return toNchw(l.g, y, l.outputShape.length, l.name);
}

function zeroPadding(l: LayerInput): string {
  const p = l.config.padding as number[][];
  const [[t, b], [le, r]] = p.map((x) => pair(x, 'padding'));
  return l.g.node('Pad', [l.inputs[0].name, l.g.int64s(`${l.name}/pads`, [0, 0, t, le, 0, 0, b, r])], l.name, { mode: 'constant' });
}

function rescaling(l: LayerInput): string {
  const scale = Number(l.config.scale ?? 1);
  const offset = Number(l.config.offset ?? 0);
  let y = l.inputs[0].name;
  if (scale !== 1) y = l.g.node('Mul', [y, l.g.scalar(`${l.name}/scale`, scale)], offset === 0 ? l.name : `${l.name}/scaled`);
  if (offset !== 0) y = l.g.node('Add', [y, l.g.scalar(`${l.name}/offset`, offset)], l.name);
  return y;
}

function reluLayer(l: LayerInput): string {
  const max = l.config.maxValue;
  const x = l.inputs[0].name;
  if (max === undefined || max === null) return l.g.node('Relu', [x], l.name);
  return l.g.node('Clip', [x, l.g.scalar(`${l.name}/min`, 0), l.g.scalar(`${l.name}/max`, Number(max))], l.name);
}

const identity: Converter = (l) => l.inputs[0].name;

export const CONVERTERS: Record<string, Converter> = {
  Conv2D: (l) => conv(l, false),
  DepthwiseConv2D: (l) => conv(l, true),
  SeparableConv2D: separable,
  Dense: dense,
  BatchNormalization: batchNorm,
  Activation: (l) => activation(l.g, l.inputs[0].name, l.config.activation, l.inputs[0].shape.length, l.name),
  ReLU: reluLayer,
  LeakyReLU: (l) => l.g.node('LeakyRelu', [l.inputs[0].name], l.name, { alpha: { float: Number(l.config.alpha ?? 0.3) } }),
  Softmax: (l) => l.g.node('Softmax', [l.inputs[0].name], l.name, { axis: physicalAxis(Number(l.config.axis ?? -1), l.inputs[0].shape.length) }),
  MaxPooling2D: (l) => pool(l, 'MaxPool'),
  AveragePooling2D: (l) => pool(l, 'AveragePool'),
  GlobalAveragePooling2D: (l) => l.g.node('Flatten', [l.g.node('GlobalAveragePool', [l.inputs[0].name], `${l.name}/pool`)], l.name, { axis: 1 }),
  GlobalMaxPooling2D: (l) => l.g.node('Flatten', [l.g.node('GlobalMaxPool', [l.inputs[0].name], `${l.name}/pool`)], l.name, { axis: 1 }),
  ZeroPadding2D: zeroPadding,
  Add: (l) => merge(l, 'Sum'),
  Average: (l) => merge(l, 'Mean'),
  Maximum: (l) => merge(l, 'Max'),
  Minimum: (l) => merge(l, 'Min'),
  Multiply: (l) => merge(l, 'Mul'),
  Subtract: (l) => merge(l, 'Sub'),
  Concatenate: (l) => l.g.node('Concat', l.inputs.map((i) => i.name), l.name, { axis: physicalAxis(Number(l.config.axis ?? -1), l.inputs[0].shape.length) }),
  Flatten: flatten,
  Reshape: reshape,
  Rescaling: rescaling,
  Dropout: identity,
  SpatialDropout1D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
};
