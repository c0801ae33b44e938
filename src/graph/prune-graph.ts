/**
 * Filter pruning on any graph, by channel group (channel-graph.ts): a group's channels are removed from
 * every layer that produces, normalises or consumes them. Two models come out of one selection, as in
 * prune-export: `maskGroups` zeroes the selected channels' weights in place (producers' filters and
 * biases, BN parameters, depthwise filters, consumers' input rows), after which those channels can no
 * longer reach the output; `pruneGroups` builds the physically smaller model, equal to the masked one.
 */
import { tf, tfl } from '../engine/tf.js';
import { WhittleError } from '../core/errors.js';
import { gatherAxis } from '../techniques/prune-export/export.js';
import { buildChannelGraph, channelGroups, keptRows, type ChannelGraph, type GroupInfo, type Layout } from './channel-graph.js';

type Select = (root: number) => number[];
/** Per weight index: the axes tied to channel layouts, and whether the axis holds flattened rows. */
type Role = { weight: number; axis: number; layout: Layout; rows?: boolean };

function roles(layer: tfl.layers.Layer, g: ChannelGraph): Role[] {
  const inp = g.inputs.get(layer.name)?.[0];
  const out = g.layouts.get(layer.name)!;
  if (!inp || layer.weights.length === 0) return [];
  switch (layer.getClassName()) {
    case 'Conv2D':
      return [{ weight: 0, axis: 2, layout: inp }, { weight: 0, axis: 3, layout: out }, { weight: 1, axis: 0, layout: out }];
    case 'Dense':
      return [{ weight: 0, axis: 0, layout: inp, rows: true }, { weight: 0, axis: 1, layout: out }, { weight: 1, axis: 0, layout: out }];
    case 'DepthwiseConv2D':
      return [{ weight: 0, axis: 2, layout: inp }, { weight: 1, axis: 0, layout: out }];
    case 'SeparableConv2D':
      return [{ weight: 0, axis: 2, layout: inp }, { weight: 1, axis: 2, layout: inp }, { weight: 1, axis: 3, layout: out }, { weight: 2, axis: 0, layout: out }];
    case 'BatchNormalization':
      return layer.weights.map((_, i) => ({ weight: i, axis: 0, layout: inp }));
    default:
      throw new WhittleError(`graph pruning: layer "${layer.name}" (${layer.getClassName()}) has weights the channel graph does not know`);
  }
}

function positions(layout: Layout, g: ChannelGraph, select: Select, rows: boolean): number[] {
  const pos: number[] = [];
  let offset = 0;
  for (const s of layout.segments) {
    for (const c of select(g.find(s.space))) pos.push(offset + c);
    offset += s.size;
  }
  return rows ? keptRows(layout, pos) : pos;
}

export interface GraphPrunePlan {
  graph: ChannelGraph;
  groups: GroupInfo[];
  /** Removed channel indices per prunable root space. */
  remove: Map<number, number[]>;
}

/** Per prunable group: the `fraction` of channels with the smallest summed L2 norm over its producers' filters. */
export function planGraphPruning(model: tfl.LayersModel, fraction: number): GraphPrunePlan {
  if (!(fraction >= 0 && fraction < 1)) throw new WhittleError(`graph pruning: fraction must be in [0, 1), got ${fraction}`);
  const graph = buildChannelGraph(model);
  const groups = channelGroups(graph);
  const remove = new Map<number, number[]>();
  for (const grp of groups) {
    const n = Math.floor(fraction * grp.channels);
    if (!grp.prunable || n === 0) continue;
    const score = new Float64Array(grp.channels);
    for (const name of grp.producers) {
      const layer = model.getLayer(name);
      const k = layer.getWeights()[layer.getClassName() === 'SeparableConv2D' ? 1 : 0];
      const d = k.dataSync();
      const c = k.shape[k.shape.length - 1];
      for (let i = 0; i < d.length; i++) score[i % c] += d[i] * d[i];
    }
    const order = Array.from(score.keys()).sort((a, b) => score[a] - score[b] || a - b);
    remove.set(grp.root, order.slice(0, n).sort((a, b) => a - b));
  }
  return { graph, groups, remove };
}

/** Zeroes the planned channels in place (see the file header). */
export function maskGroups(model: tfl.LayersModel, plan: GraphPrunePlan): void {
  const select: Select = (root) => plan.remove.get(root) ?? [];
  for (const layer of model.layers) {
    const rs = roles(layer, plan.graph);
    if (!rs.length) continue;
    const values = layer.getWeights().map((w) => ({ data: Float32Array.from(w.dataSync()), shape: w.shape as number[] }));
    for (const r of rs) {
      const v = values[r.weight];
      if (!v) continue;
      const inner = v.shape.slice(r.axis + 1).reduce((a, b) => a * b, 1);
      const dim = v.shape[r.axis];
      for (const p of positions(r.layout, plan.graph, select, !!r.rows)) {
        for (let i = 0; i < v.data.length; i++) if (Math.floor(i / inner) % dim === p) v.data[i] = 0;
      }
    }
    const ts = values.map((v) => tf.tensor(v.data, v.shape));
    layer.setWeights(ts);
    tf.dispose(ts);
  }
}

/** The physically smaller model: filters/units reduced, weights gathered. The input model is unchanged. */
export async function pruneGroups(model: tfl.LayersModel, plan: GraphPrunePlan): Promise<tfl.LayersModel> {
  const g = plan.graph;
  const keep: Select = (root) => {
    const r = new Set(plan.remove.get(root) ?? []);
    return Array.from({ length: g.sizes[root] }, (_, i) => i).filter((i) => !r.has(i));
  };
  const topo = JSON.parse(JSON.stringify(model.toJSON(null, false))) as { config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> } };
  for (const l of topo.config.layers) {
    const out = g.layouts.get(String(l.config.name));
    if (!out) continue;
    const n = positions(out, g, keep, false).length;
    if (l.class_name === 'Conv2D' || l.class_name === 'SeparableConv2D') l.config.filters = n;
    if (l.class_name === 'Dense') l.config.units = n;
    if (l.class_name === 'Reshape') (l.config.target_shape as number[]).splice(-1, 1, n); // a channel-transparent reshape
  }
  const small = (await tfl.models.modelFromJSON({ modelTopology: topo as unknown as tf.io.ModelJSON['modelTopology'] })) as tfl.LayersModel;
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const rs = roles(layer, g);
    const values = layer.getWeights().map((w, i) => {
      let a = { data: w.dataSync() as Float32Array, shape: w.shape as number[] };
      for (const r of rs.filter((x) => x.weight === i)) a = gatherAxis(a.data, a.shape, r.axis, positions(r.layout, g, keep, !!r.rows));
      return tf.tensor(a.data, a.shape);
    });
    small.getLayer(layer.name).setWeights(values);
    tf.dispose(values);
  }
  return small;
}
