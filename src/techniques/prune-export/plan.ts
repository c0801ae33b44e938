/**
 * Which filters can be physically removed, and everything their removal touches. A conv's output
 * channel is removable only when its channels reach consumers one-to-one (through BN/ReLU/pooling to
 * the next conv, or through Flatten/GAP to a dense layer). Channels that enter a residual addition are
 * tied to every other conv feeding that stream (src/models/residual.ts); Whittle keeps those rather than
 * risk a wrong model, so in CIFAR ResNets the removable filters are the first conv of each block — the
 * same ones SFP's `get_small_model` shrinks.
 */
import { tfl } from '../../engine/tf.js';
import { channelConsumers, convLayers, readKernel, type ChannelConsumer } from '../filter-mask/conv-layers.js';
import { l2Norms } from '../filter-mask/criteria.js';

export interface ChannelPath {
  conv: string;
  filters: number;
  /** BN layers between the conv and its consumers (their per-channel weights shrink with it). */
  batchNorms: string[];
  consumers: ChannelConsumer[];
}

export interface RemovalPlan {
  /** Removed filter indices per conv (only removable convs appear). */
  remove: Map<string, number[]>;
  paths: Map<string, ChannelPath>;
  /** Convs with zeroed filters that had to be kept, and why. */
  kept: Array<{ conv: string; zeroed: number; reason: string }>;
}

const PASS = new Set(['ReLU', 'Activation', 'BatchNormalization', 'Dropout', 'MaxPooling2D', 'AveragePooling2D', 'WhittleStochasticDepthGate']);

/** BN layers on the channel-preserving path from a conv to its consumers. */
function batchNormsAfter(model: tfl.LayersModel, conv: string): string[] {
  const inModel = new Set(model.layers);
  const out: string[] = [];
  const stack = [model.getLayer(conv)];
  while (stack.length) {
    const l = stack.pop()!;
    for (const n of l.outboundNodes ?? []) {
      const next = n.outboundLayer as tfl.layers.Layer | undefined;
      if (!next || !inModel.has(next)) continue;
      const cls = next.getClassName();
      if (cls === 'BatchNormalization') out.push(next.name);
      if (PASS.has(cls)) stack.push(next);
    }
  }
  return out;
}

export function channelPath(model: tfl.LayersModel, conv: string): ChannelPath | undefined {
  const consumers = channelConsumers(model, conv);
  if (!consumers || consumers.length === 0) return undefined;
  const filters = (model.getLayer(conv).outputShape as number[])[3];
  return { conv, filters, batchNorms: batchNormsAfter(model, conv), consumers };
}

/** Filters whose kernel is entirely zero, per conv. */
export function zeroedFilters(model: tfl.LayersModel): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const c of convLayers(model)) {
    const idx: number[] = [];
    l2Norms(readKernel(c)).forEach((n, f) => n === 0 && idx.push(f));
    if (idx.length) m.set(c.name, idx);
  }
  return m;
}

/** Plans the removal of `selected` filters (default: every all-zero filter). Never empties a layer. */
export function planRemoval(model: tfl.LayersModel, selected: Map<string, number[]> = zeroedFilters(model)): RemovalPlan {
  const remove = new Map<string, number[]>();
  const paths = new Map<string, ChannelPath>();
  const kept: RemovalPlan['kept'] = [];
  for (const [conv, idx] of selected) {
    if (idx.length === 0) continue;
    const path = channelPath(model, conv);
    if (!path) {
      kept.push({ conv, zeroed: idx.length, reason: 'its channels feed a residual addition (tied channels kept)' });
      continue;
    }
    if (idx.length >= path.filters) {
      kept.push({ conv, zeroed: idx.length, reason: 'every filter selected; a layer is never emptied' });
      continue;
    }
    remove.set(conv, [...idx].sort((a, b) => a - b));
    paths.set(conv, path);
  }
  return { remove, paths, kept };
}
