/**
 * The layer graph of a model as a training plan for the native backend: a list of fused steps over
 * numbered values, or the reason the model is not covered. Covered (the zoo's CIFAR ResNets and the
 * vanilla CNN): Conv2D (linear, channels-last, dilation 1, with or without bias; a ZeroPadding2D read only
 * by a 'valid' conv folds into the conv's padding), BatchNormalization (last axis, with gamma and beta)
 * followed by ReLU or by Add + ReLU, ReLU, Flatten, the option-A shortcut, GlobalAveragePooling2D and a
 * linear Dense. Any other layer, a shared layer or a differently wired graph leaves the model to
 * tfjs-layers' own execution.
 */
import { tfl } from '../../tf.js';

type Layer = tfl.layers.Layer;
type Sym = tfl.SymbolicTensor;

/** A weight read by the plan: its position among the plan op's inputs. */
export type ParamRef = number;

export interface ConvStep {
  kind: 'conv';
  x: number;
  y: number;
  w: ParamRef;
  b?: ParamRef;
  kernel: [number, number];
  strides: [number, number];
  filters: number;
  /** 'same' | 'valid' as the layer has it, or explicit [top, bottom, left, right] from a folded pad. */
  pad: 'same' | 'valid' | [number, number, number, number];
}
export interface BnStep {
  kind: 'bn';
  layer: Layer;
  x: number;
  y: number;
  gamma: ParamRef;
  beta: ParamRef;
  /** Added before the ReLU (Add + ReLU after the batch norm). */
  residual?: number;
  epsilon: number;
  momentum: number;
}
export interface ShortcutStep { kind: 'shortcutA'; x: number; y: number; stride: number; outChannels: number }
export interface ReluStep { kind: 'relu'; x: number; y: number }
/** NHWC [n, h, w, c] -> [n, h*w*c] (the same values in the same order). */
export interface FlattenStep { kind: 'flatten'; x: number; y: number }
export interface PoolStep { kind: 'gap'; x: number; y: number }
export interface DenseStep { kind: 'dense'; x: number; y: number; w: ParamRef; b?: ParamRef }
export type Step = ConvStep | BnStep | ShortcutStep | PoolStep | DenseStep | ReluStep | FlattenStep;

export interface PlanGraph {
  steps: Step[];
  /** Number of values; value 0 is the model input. */
  values: number;
  output: number;
  /** The plan op's inputs after x: the layers' weights, in ParamRef order. */
  params: tfl.LayerVariable[];
}

interface LayerInternals {
  inboundNodes: Array<{ inputTensors: Sym[] }>;
  kernel?: tfl.LayerVariable | null;
  bias?: tfl.LayerVariable | null;
  gamma?: tfl.LayerVariable | null;
  beta?: tfl.LayerVariable | null;
  activation?: { getClassName(): string };
  stride?: number;
  outChannels?: number;
}

const cls = (l: Layer): string => l.getClassName();
const cfg = (l: Layer): Record<string, unknown> => l.getConfig() as Record<string, unknown>;
const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v), Number(v)]);

/** The plan for `model`, or a string saying why it has none. */
export function compilePlan(model: tfl.LayersModel): PlanGraph | string {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return 'not one input and one output';
  const ids = new Map<number, number>(); // symbolic tensor id -> value
  ids.set(model.inputs[0].id, 0);
  let values = 1;
  const consumers = new Map<number, Layer[]>();
  for (const l of model.layers) {
    const nodes = (l as unknown as LayerInternals).inboundNodes;
    if (cls(l) === 'InputLayer') continue;
    if (nodes.length !== 1) return `layer ${l.name} is shared or unconnected`;
    for (const t of nodes[0].inputTensors) consumers.set(t.id, [...(consumers.get(t.id) ?? []), l]);
  }
  const only = (t: Sym): Layer | undefined => {
    const c = consumers.get(t.id) ?? [];
    return c.length === 1 && t.id !== model.outputs[0].id ? c[0] : undefined;
  };
  const inputsOf = (l: Layer): Sym[] => (l as unknown as LayerInternals).inboundNodes[0].inputTensors;
  const params: tfl.LayerVariable[] = [];
  const param = (v: tfl.LayerVariable | null | undefined): ParamRef | undefined => {
    if (!v) return undefined;
    params.push(v);
    return params.length - 1;
  };
  const fused = new Set<Layer>(); // ReLU / Add layers folded into a batch-norm step
  const pads = new Map<number, { src: Sym; pad: [number, number, number, number] }>(); // folded ZeroPadding2D outputs
  const steps: Step[] = [];
  const valueOf = (t: Sym): number | undefined => ids.get(t.id);
  const define = (t: Sym): number => {
    ids.set(t.id, values);
    return values++;
  };

  for (const l of model.layers) {
    const kind = cls(l);
    if (kind === 'InputLayer' || fused.has(l)) continue;
    const li = l as unknown as LayerInternals;
    const ins = inputsOf(l);
    const out = l.output as Sym;
    const c = cfg(l);
    if (kind === 'ZeroPadding2D') {
      const next = only(out);
      const p = c.padding as number[][];
      if (!next || cls(next) !== 'Conv2D' || cfg(next).padding !== 'valid' || c.dataFormat !== 'channelsLast') {
        return `ZeroPadding2D ${l.name} is not read by one 'valid' Conv2D`;
      }
      pads.set(out.id, { src: ins[0], pad: [p[0][0], p[0][1], p[1][0], p[1][1]] });
      continue;
    }
    if (kind === 'Conv2D') {
      const padded = pads.get(ins[0].id);
      const x = valueOf(padded ? padded.src : ins[0]);
      const dil = pair(c.dilationRate);
      if (x === undefined) return `Conv2D ${l.name}: input not computed yet`;
      if (c.dataFormat !== 'channelsLast' || dil[0] !== 1 || dil[1] !== 1 || li.activation?.getClassName() !== 'linear') {
        return `Conv2D ${l.name}: activation, dilation or channels-first`;
      }
      if (c.padding !== 'same' && c.padding !== 'valid') return `Conv2D ${l.name}: padding ${String(c.padding)}`;
      const w = param(li.kernel);
      if (w === undefined) return `Conv2D ${l.name}: no kernel`;
      const b = c.useBias ? param(li.bias) : undefined;
      if (c.useBias && b === undefined) return `Conv2D ${l.name}: no bias variable`;
      steps.push({
        kind: 'conv', x, y: define(out), w, b, kernel: pair(c.kernelSize), strides: pair(c.strides), filters: Number(c.filters),
        pad: padded ? padded.pad : (c.padding as 'same' | 'valid'),
      });
      continue;
    }
    if (kind === 'BatchNormalization') {
      const x = valueOf(ins[0]);
      const axis = c.axis as number;
      if (x === undefined || !c.center || !c.scale || (axis !== -1 && axis !== 3)) return `BatchNormalization ${l.name}: not last-axis with gamma and beta`;
      const next = only(out);
      let residual: Sym | undefined;
      let relu: Layer | undefined;
      const isRelu = (r: Layer | undefined): boolean => !!r && cls(r) === 'ReLU' && cfg(r).maxValue == null;
      const afterAdd = next && cls(next) === 'Add' && inputsOf(next).length === 2 ? only(next.output as Sym) : undefined;
      if (next && isRelu(next)) {
        relu = next;
      } else if (next && afterAdd && isRelu(afterAdd)) {
        residual = inputsOf(next).find((t) => t.id !== out.id);
        relu = afterAdd;
        fused.add(next);
      }
      if (!relu) return `BatchNormalization ${l.name} is not followed by ReLU or Add + ReLU`;
      const r = residual ? valueOf(residual) : undefined;
      if (residual && r === undefined) return `Add after ${l.name}: shortcut not computed yet`;
      fused.add(relu);
      steps.push({
        kind: 'bn', layer: l, x, y: define(relu.output as Sym), gamma: param(li.gamma)!, beta: param(li.beta)!, residual: r,
        epsilon: Number(c.epsilon), momentum: Number(c.momentum),
      });
      continue;
    }
    if (kind === 'ReLU') {
      const x = valueOf(ins[0]);
      if (x === undefined || c.maxValue != null) return `ReLU ${l.name}: max value or input not computed yet`;
      steps.push({ kind: 'relu', x, y: define(out) });
      continue;
    }
    if (kind === 'Flatten') {
      const x = valueOf(ins[0]);
      if (x === undefined || (c.dataFormat ?? 'channelsLast') !== 'channelsLast' || ins[0].shape.length !== 4) return `Flatten ${l.name}: not a channels-last 4-D input`;
      steps.push({ kind: 'flatten', x, y: define(out) });
      continue;
    }
    if (kind === 'WhittleShortcutA') {
      const x = valueOf(ins[0]);
      if (x === undefined || !li.stride || !li.outChannels) return `ShortcutA ${l.name}: input not computed yet`;
      steps.push({ kind: 'shortcutA', x, y: define(out), stride: li.stride, outChannels: li.outChannels });
      continue;
    }
    if (kind === 'GlobalAveragePooling2D') {
      const x = valueOf(ins[0]);
      if (x === undefined || (c.dataFormat ?? 'channelsLast') !== 'channelsLast') return `GlobalAveragePooling2D ${l.name}: channels-first`;
      steps.push({ kind: 'gap', x, y: define(out) });
      continue;
    }
    if (kind === 'Dense') {
      const x = valueOf(ins[0]);
      if (x === undefined || li.activation?.getClassName() !== 'linear' || ins[0].shape.length !== 2) return `Dense ${l.name}: activation or input rank`;
      const w = param(li.kernel);
      if (w === undefined) return `Dense ${l.name}: no kernel`;
      steps.push({ kind: 'dense', x, y: define(out), w, b: param(li.bias) });
      continue;
    }
    return `layer ${l.name} (${kind}) is not covered`;
  }
  const output = valueOf(model.outputs[0]);
  if (output === undefined) return 'the output is not computed by the covered layers';
  const last = steps[steps.length - 1];
  if (last?.kind !== 'dense' || last.y !== output) return 'the output is not a Dense layer';
  return { steps, values, output, params };
}
