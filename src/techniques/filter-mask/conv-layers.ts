/**
 * Conv layers as filter banks: which convs a mask applies to, their kernels as HWIO arrays, per-filter
 * masks, and the layers that consume a conv's output channels (for RePr's "incoming weights of the
 * next layer" option and for filter removal).
 */
import { tf, tfl } from '../../engine/tf.js';
import { KERNEL_CONV_CLASSES, KERNEL_DENSE_CLASSES } from '../../models/layer-kinds.js';
import type { KernelView } from './criteria.js';

export interface ConvInfo {
  name: string;
  layer: tfl.layers.Layer;
  kernelKey: string;
  biasKey?: string;
  kernel: tf.Variable;
  bias?: tf.Variable;
  shape: [number, number, number, number];
  /** kh·kw·in: the length of a flattened filter. */
  fanIn: number;
}

/** Layer-name patterns: exact names, or /regex/ strings. */
export function nameMatcher(patterns: readonly string[]): (name: string) => boolean {
  const res = patterns.map((p) => (p.length > 2 && p.startsWith('/') && p.endsWith('/') ? new RegExp(p.slice(1, -1)) : null));
  return (name) => patterns.some((p, i) => (res[i] ? res[i]!.test(name) : p === name));
}

/** Every Conv2D layer (or quantising / block-noise stand-in, layer-kinds.ts) in layer order, minus the excluded ones. */
export function convLayers(model: tfl.LayersModel, exclude: readonly string[] = []): ConvInfo[] {
  const excluded = nameMatcher(exclude);
  const out: ConvInfo[] = [];
  for (const layer of model.layers) {
    if (!KERNEL_CONV_CLASSES.has(layer.getClassName()) || excluded(layer.name)) continue;
    const [k, b] = layer.weights;
    const kernel = k.read() as tf.Variable;
    const shape = kernel.shape as [number, number, number, number];
    out.push({
      name: layer.name,
      layer,
      kernelKey: `${layer.name}/kernel`,
      kernel,
      biasKey: b ? `${layer.name}/bias` : undefined,
      bias: b ? (b.read() as tf.Variable) : undefined,
      shape,
      fanIn: shape[0] * shape[1] * shape[2],
    });
  }
  return out;
}

export function readKernel(c: ConvInfo): KernelView {
  return { data: c.kernel.dataSync() as Float32Array, shape: c.shape };
}

/** 0/1 mask of shape [1,1,1,out] with 0 at `dropped` (broadcasts over an HWIO kernel). */
export function filterMask(out: number, dropped: readonly number[], shape: number[] = [1, 1, 1, out]): tf.Tensor {
  const m = new Float32Array(out).fill(1);
  for (const f of dropped) m[f] = 0;
  return tf.tensor(m, shape);
}

/** Multiplies the dropped filters (and optionally their biases) of a conv by 0, in place. */
export function zeroFilters(c: ConvInfo, dropped: readonly number[], alsoBias: boolean): void {
  if (dropped.length === 0) return;
  tf.tidy(() => {
    const out = c.shape[3];
    c.kernel.assign(tf.mul(c.kernel, filterMask(out, dropped)));
    if (alsoBias && c.bias) c.bias.assign(tf.mul(c.bias, filterMask(out, dropped, [out])));
  });
}

export interface ChannelConsumer {
  layer: tfl.layers.Layer;
  /** 'conv': input-channel axis 2 of an HWIO kernel; 'dense': rows c, c+C, c+2C… of a dense kernel after Flatten (NHWC). */
  kind: 'conv' | 'dense';
  kernel: tf.Variable;
  /** Channels of the producing conv (C, the stride of the flattened index). */
  channels: number;
}

const PASS_THROUGH = new Set(['ReLU', 'Activation', 'BatchNormalization', 'Dropout', 'MaxPooling2D', 'AveragePooling2D', 'WhittleStochasticDepthGate']);

function outbound(layer: tfl.layers.Layer, model: tfl.LayersModel): tfl.layers.Layer[] {
  const inModel = new Set(model.layers);
  return (layer.outboundNodes ?? []).map((n) => n.outboundLayer).filter((l): l is tfl.layers.Layer => !!l && inModel.has(l));
}

/**
 * The layers reading a conv's output channels, following channel-preserving layers (ReLU, BN, pooling).
 * Returns undefined when the channels reach an Add or anything else whose channel mapping is not
 * one-to-one (residual streams): callers then leave consumers alone.
 */
export function channelConsumers(model: tfl.LayersModel, convName: string): ChannelConsumer[] | undefined {
  const start = model.getLayer(convName);
  const channels = (start.outputShape as number[])[3];
  const found: ChannelConsumer[] = [];
  const stack = outbound(start, model);
  let flattened = false;
  while (stack.length) {
    const l = stack.pop()!;
    const cls = l.getClassName();
    if (KERNEL_CONV_CLASSES.has(cls) && !flattened) {
      found.push({ layer: l, kind: 'conv', kernel: l.weights[0].read() as tf.Variable, channels });
    } else if (cls === 'Flatten' || cls === 'GlobalAveragePooling2D') {
      flattened = cls === 'Flatten';
      if (cls === 'GlobalAveragePooling2D') {
        // GAP keeps one value per channel: the dense rows are indexed by channel directly.
        for (const d of outbound(l, model)) {
          if (!KERNEL_DENSE_CLASSES.has(d.getClassName())) return undefined;
          found.push({ layer: d, kind: 'dense', kernel: d.weights[0].read() as tf.Variable, channels });
        }
        continue;
      }
      stack.push(...outbound(l, model));
    } else if (KERNEL_DENSE_CLASSES.has(cls) && flattened) {
      found.push({ layer: l, kind: 'dense', kernel: l.weights[0].read() as tf.Variable, channels });
    } else if (PASS_THROUGH.has(cls)) {
      stack.push(...outbound(l, model));
    } else {
      return undefined;
    }
  }
  return found;
}

/** Indices along the consumer kernel's input axis that read channel `c`. */
export function consumerRows(cons: ChannelConsumer, c: number): { axis: number; indices: number[] } {
  if (cons.kind === 'conv') return { axis: 2, indices: [c] };
  const inDim = cons.kernel.shape[0];
  const idx: number[] = [];
  for (let i = c; i < inDim; i += cons.channels) idx.push(i);
  return { axis: 0, indices: idx };
}
