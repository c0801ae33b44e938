/**
 * A Torch-Pruning-style channel dependency graph over any tfjs-layers topology. Every tensor's channel
 * (last) axis is a list of segments, each a run of channels of one *channel space*; spaces that must
 * lose the same channels are merged (union-find):
 * - Conv2D / Dense / SeparableConv2D start a new space (their filters);
 * - BN, activations, dropout, pooling, padding, Rescaling pass the layout through;
 * - a depthwise conv (multiplier 1) ties its output to its input; Add/Multiply/… merge their inputs'
 *   spaces segment by segment; Concatenate joins the segment lists (channel offsets shift);
 * - Flatten keeps the layout with a spatial factor (a Dense consumer's rows are position·C + channel);
 *   a Reshape that keeps the last axis and the spatial size passes through.
 * A space is *fixed* (not prunable) when it reaches the model input or output or a layer the graph
 * cannot follow (the reason is recorded). The prunable groups are the non-fixed spaces.
 */
import type { tfl } from '../engine/tf.js';

type Layer = tfl.layers.Layer;

export interface Segment {
  space: number;
  size: number;
}

/** Channel layout of a tensor: segments along the last axis, repeated `spatial` times when flattened. */
export interface Layout {
  segments: Segment[];
  spatial: number;
}

export interface ChannelGraph {
  /** Output layout of every layer, by name. */
  layouts: Map<string, Layout>;
  /** Input layouts of every layer (one per inbound tensor), by name. */
  inputs: Map<string, Layout[]>;
  /** Root space of a space. */
  find(space: number): number;
  /** Size of every space. */
  sizes: number[];
  /** Why a root space cannot be pruned (absent: prunable). */
  fixed: Map<number, string>;
  /** Layers whose filters start each root space. */
  producers: Map<number, string[]>;
}

const PASS = new Set([
  'BatchNormalization', 'ReLU', 'Activation', 'LeakyReLU', 'Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout',
  'MaxPooling2D', 'AveragePooling2D', 'ZeroPadding2D', 'Rescaling', 'WhittleStochasticDepthGate',
]);
const GLOBAL_POOL = new Set(['GlobalAveragePooling2D', 'GlobalMaxPooling2D']);
const MERGE = new Set(['Add', 'Multiply', 'Subtract', 'Average', 'Maximum', 'Minimum']);
const PRODUCERS = new Set(['Conv2D', 'Dense', 'SeparableConv2D']);

function lastDim(shape: unknown): number {
  const s = shape as Array<number | null>;
  return Number(s[s.length - 1]);
}

export function buildChannelGraph(model: tfl.LayersModel): ChannelGraph {
  const parent: number[] = [];
  const sizes: number[] = [];
  const fixedRaw = new Map<number, string>();
  const producersRaw = new Map<number, string[]>();
  const find = (a: number): number => (parent[a] === a ? a : (parent[a] = find(parent[a])));
  const space = (size: number, why?: string): number => {
    parent.push(parent.length);
    sizes.push(size);
    if (why) fixedRaw.set(parent.length - 1, why);
    return parent.length - 1;
  };
  const union = (a: number, b: number) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent[rb] = ra;
  };
  const fix = (l: Layout | undefined, why: string) => l?.segments.forEach((s) => fixedRaw.has(find(s.space)) || fixedRaw.set(find(s.space), why));
  const fresh = (size: number, why?: string): Layout => ({ segments: [{ space: space(size, why), size }], spatial: 1 });

  const layouts = new Map<string, Layout>();
  const inputs = new Map<string, Layout[]>();
  const inModel = new Set(model.layers);
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const node = layer.inboundNodes.find((n) => n.inboundLayers.every((l) => inModel.has(l)));
    const ins = (node?.inboundLayers ?? []).map((l: Layer) => layouts.get(l.name)!);
    inputs.set(layer.name, ins);
    const outC = lastDim(layer.outputShape);
    const x = ins[0];
    let out: Layout;
    if (cls === 'InputLayer') out = fresh(outC, 'the model input');
    else if (PRODUCERS.has(cls)) {
      out = fresh(outC);
      producersRaw.set(out.segments[0].space, [layer.name]);
      if (cls === 'SeparableConv2D' && Number(layer.getConfig().depthMultiplier ?? 1) !== 1) fix(x, `${layer.name}: depth multiplier ≠ 1`);
    } else if (cls === 'DepthwiseConv2D') {
      if (Number(layer.getConfig().depthMultiplier ?? 1) === 1) out = { segments: x.segments, spatial: 1 };
      else {
        fix(x, `${layer.name}: depth multiplier ≠ 1`);
        out = fresh(outC, `${layer.name}: depth multiplier ≠ 1`);
      }
    } else if (PASS.has(cls)) out = x;
    else if (GLOBAL_POOL.has(cls)) out = { segments: x.segments, spatial: 1 };
    else if (cls === 'Flatten') {
      const s = layer.inboundNodes[0].inputTensors[0].shape.slice(1, -1) as number[];
      out = { segments: x.segments, spatial: x.spatial * s.reduce((a, b) => a * b, 1) };
    } else if (cls === 'Reshape' && lastDim(layer.outputShape) === lastDim(layer.inboundNodes[0].inputTensors[0].shape) && x.spatial === 1 &&
      (layer.outputShape as number[]).slice(1, -1).every((d) => d === 1) && (layer.inboundNodes[0].inputTensors[0].shape as number[]).slice(1, -1).every((d) => d === 1)) {
      out = x; // [N, C] ↔ [N, 1, 1, C]
    } else if (MERGE.has(cls) && ins.every((l) => l.segments.length === x.segments.length && l.segments.every((s, i) => s.size === x.segments[i].size))) {
      for (const l of ins.slice(1)) l.segments.forEach((s, i) => union(x.segments[i].space, s.space));
      out = x;
    } else if (cls === 'Concatenate' && [-1, 3].includes(Number(layer.getConfig().axis ?? -1)) && ins.every((l) => l.spatial === 1)) {
      out = { segments: ins.flatMap((l) => l.segments), spatial: 1 };
    } else {
      for (const l of ins) fix(l, `${layer.name} (${cls}) is not channel-transparent`);
      out = fresh(outC, `produced by ${layer.name} (${cls})`);
    }
    layouts.set(layer.name, out);
  }
  for (const t of model.outputs) fix(layouts.get(t.sourceLayer.name), 'the model output');
  const fixed = new Map<number, string>();
  for (const [s, why] of fixedRaw) if (!fixed.has(find(s))) fixed.set(find(s), why);
  const producers = new Map<number, string[]>();
  for (const [s, names] of producersRaw) producers.set(find(s), [...(producers.get(find(s)) ?? []), ...names]);
  return { layouts, inputs, find, sizes, fixed, producers };
}

/** Positions along a tensor's channel axis of the kept channels of every root space. */
export function keptPositions(layout: Layout, g: ChannelGraph, kept: Map<number, number[]>): number[] {
  const out: number[] = [];
  let offset = 0;
  for (const s of layout.segments) {
    const k = kept.get(g.find(s.space));
    for (const c of k ?? Array.from({ length: s.size }, (_, i) => i)) out.push(offset + c);
    offset += s.size;
  }
  return out;
}

/** Rows of a flattened input (position·C + channel) for the kept channel positions. */
export function keptRows(layout: Layout, positions: number[]): number[] {
  const c = layout.segments.reduce((a, s) => a + s.size, 0);
  const rows: number[] = [];
  for (let p = 0; p < layout.spatial; p++) for (const k of positions) rows.push(p * c + k);
  return rows;
}

export interface GroupInfo {
  root: number;
  channels: number;
  producers: string[];
  prunable: boolean;
  reason?: string;
}

/** Every channel group (root space) with its producing layers, and why it is fixed if it is. */
export function channelGroups(g: ChannelGraph): GroupInfo[] {
  const roots = new Set<number>();
  for (const l of g.layouts.values()) for (const s of l.segments) roots.add(g.find(s.space));
  return [...roots].sort((a, b) => a - b).map((root) => {
    const reason = g.fixed.get(root) ?? (g.producers.get(root)?.length ? undefined : 'no conv or dense layer produces it');
    return { root, channels: g.sizes[root], producers: g.producers.get(root) ?? [], prunable: reason === undefined, reason };
  });
}
