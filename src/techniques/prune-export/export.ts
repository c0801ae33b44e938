/**
 * Physical filter removal (`whittle prune --export`). Two models come out of one plan:
 * - `applyChannelMask`: the same architecture with each removed channel silenced exactly — conv filter
 *   and bias zeroed, and γ = β = 0 in the BN that follows, so the channel's activation is 0 everywhere
 *   (a zeroed filter alone still emits the BN/bias constant, which 'same' padding makes position-dependent,
 *   so zeroing the kernel is not enough for an exact removal);
 * - `exportPruned`: a smaller plain model (topology edited, weights gathered) whose outputs equal the
 *   masked model's. The pruned model saves and loads like any other.
 */
import { tf, tfl } from '../../engine/tf.js';
import { consumerRows } from '../filter-mask/conv-layers.js';
import type { RemovalPlan } from './plan.js';

type LayerJson = { class_name: string; config: Record<string, unknown> };

function keptIndices(total: number, removed: number[]): number[] {
  const r = new Set(removed);
  return Array.from({ length: total }, (_, i) => i).filter((i) => !r.has(i));
}

/** Zeroes removed channels completely (conv filter + bias, following BN γ and β), in place. */
export function applyChannelMask(model: tfl.LayersModel, plan: RemovalPlan): void {
  tf.tidy(() => {
    for (const [conv, idx] of plan.remove) {
      const path = plan.paths.get(conv)!;
      const mask = new Float32Array(path.filters).fill(1);
      for (const f of idx) mask[f] = 0;
      const m = tf.tensor1d(mask);
      const layer = model.getLayer(conv);
      const [k, b] = layer.weights.map((w) => w.read() as tf.Variable);
      k.assign(tf.mul(k, m));
      b?.assign(tf.mul(b, m));
      for (const bn of path.batchNorms) {
        const w = model.getLayer(bn).weights;
        for (const v of w.slice(0, 2)) (v.read() as tf.Variable).assign(tf.mul(v.read(), m)); // gamma, beta
      }
    }
  });
}

/** The smaller model's architecture (filters reduced, fresh weights). The input model is not modified. */
export async function exportPruned(model: tfl.LayersModel, plan: RemovalPlan): Promise<tfl.LayersModel> {
  const topo = model.toJSON(null, false) as unknown as { config: { layers: LayerJson[] } };
  const json = JSON.parse(JSON.stringify(topo));
  for (const l of json.config.layers as LayerJson[]) {
    const idx = plan.remove.get(l.config.name as string);
    if (idx && l.class_name === 'Conv2D') l.config.filters = (l.config.filters as number) - idx.length;
  }
  return (await tfl.models.modelFromJSON({ modelTopology: json })) as tfl.LayersModel;
}

/** Copies weights from `model` into `small`, gathering kept channels along the axes a plan touches. */
export async function exportPrunedWithWeights(model: tfl.LayersModel, plan: RemovalPlan): Promise<tfl.LayersModel> {
  const small = await exportPruned(model, plan);
  // Per layer and weight index: axis → kept indices.
  const gathers = new Map<string, Array<Array<{ axis: number; idx: number[] }>>>();
  const add = (layer: string, w: number, axis: number, idx: number[]) => {
    const per = gathers.get(layer) ?? [];
    (per[w] ??= []).push({ axis, idx });
    gathers.set(layer, per);
  };
  for (const [conv, removed] of plan.remove) {
    const path = plan.paths.get(conv)!;
    const kept = keptIndices(path.filters, removed);
    add(conv, 0, 3, kept);
    if (model.getLayer(conv).weights.length > 1) add(conv, 1, 0, kept);
    for (const bn of path.batchNorms) for (let w = 0; w < 4; w++) add(bn, w, 0, kept);
    for (const c of path.consumers) {
      const rows = kept.flatMap((ch) => consumerRows(c, ch).indices.map((i) => ({ ch, i })));
      // Flattened NHWC: new row order is (position, kept channel), i.e. sort by old index.
      const idx = rows.map((r) => r.i).sort((a, b) => a - b);
      add(c.layer.name, 0, c.kind === 'conv' ? 2 : 0, idx);
    }
  }
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const g = gathers.get(layer.name) ?? [];
    const values = layer.getWeights().map((w, i) => {
      let a = { data: w.dataSync() as Float32Array, shape: w.shape as number[] };
      for (const { axis, idx } of g[i] ?? []) a = gatherAxis(a.data, a.shape, axis, idx);
      return tf.tensor(a.data, a.shape);
    });
    small.getLayer(layer.name).setWeights(values);
    tf.dispose(values);
  }
  return small;
}

/**
 * Keeps `idx` along `axis` of a row-major array. Done on typed arrays rather than with tf.gather:
 * tfjs-backend-wasm 4.22's Gather output, once assigned as a conv bias, trips its FusedConv2D rank
 * check (seen here), and these are one-off copies anyway.
 */
export function gatherAxis(data: Float32Array, shape: number[], axis: number, idx: number[]): { data: Float32Array; shape: number[] } {
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const dim = shape[axis];
  const out = new Float32Array(outer * idx.length * inner);
  let p = 0;
  for (let o = 0; o < outer; o++)
    for (const k of idx) {
      out.set(data.subarray((o * dim + k) * inner, (o * dim + k + 1) * inner), p);
      p += inner;
    }
  const s = [...shape];
  s[axis] = idx.length;
  return { data: out, shape: s };
}
