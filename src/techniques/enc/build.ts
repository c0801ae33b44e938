/**
 * Builds the factorised network as plain tfjs layers: the model's JSON topology is rewritten so each
 * factorised layer `<name>` becomes `<name>.a` → `<name>.b` (Conv2D/Conv2D or Dense/Dense), every
 * consumer of `<name>` now reads `<name>.b`, and the rest of the graph (residual adds included) is
 * untouched. The result is an ordinary LayersModel: it saves, loads and runs on any backend.
 */
import { tf, tfl } from '../../engine/tf.js';
import { WhittleError } from '../../core/errors.js';
import type { StrideMode } from './cost.js';
import { factorShapes, sliceFactors, type Factors } from './factorize.js';
import type { AnalysedLayer } from './analyse.js';

type Json = Record<string, unknown>;
type LayerJson = { name: string; class_name: string; config: Json; inbound_nodes: unknown[] };

/** Stride placement actually used for a layer: 'reference' needs 'same' padding (see cost.ts). */
export function effectiveStrideMode(l: AnalysedLayer, mode: StrideMode): StrideMode {
  return mode === 'reference' && l.spec.padding === 'same' ? 'reference' : 'exact';
}

function factorConfigs(l: AnalysedLayer, r: number, mode: StrideMode, orig: LayerJson): [LayerJson, LayerJson] {
  const s = l.spec;
  const aName = `${s.name}.a`;
  const bName = `${s.name}.b`;
  const base = orig.config;
  const link = [[[aName, 0, 0, {}]]];
  if (s.scheme === 'dense') {
    const a = { ...base, name: aName, units: r, use_bias: false, activation: 'linear' };
    const b = { ...base, name: bName, units: s.cout };
    return [
      { name: aName, class_name: 'Dense', config: a, inbound_nodes: orig.inbound_nodes },
      { name: bName, class_name: 'Dense', config: b, inbound_nodes: link },
    ];
  }
  const [sh, sw] = s.strides;
  let a: Json;
  let b: Json;
  if (s.scheme === 'channel') {
    a = { ...base, name: aName, filters: r, use_bias: false, activation: 'linear' };
    b = { ...base, name: bName, filters: s.cout, kernel_size: [1, 1], strides: [1, 1], padding: 'valid' };
  } else {
    const ref = effectiveStrideMode(l, mode) === 'reference';
    a = { ...base, name: aName, filters: r, kernel_size: [s.kh, 1], strides: ref ? [sh, sw] : [sh, 1], use_bias: false, activation: 'linear' };
    b = { ...base, name: bName, filters: s.cout, kernel_size: [1, s.kw], strides: ref ? [1, 1] : [1, sw] };
  }
  return [
    { name: aName, class_name: 'Conv2D', config: a, inbound_nodes: orig.inbound_nodes },
    { name: bName, class_name: 'Conv2D', config: b, inbound_nodes: link },
  ];
}

function renameInbound(nodes: unknown, renamed: Map<string, string>): unknown {
  if (Array.isArray(nodes)) {
    if (nodes.length >= 3 && typeof nodes[0] === 'string' && typeof nodes[1] === 'number') {
      const to = renamed.get(nodes[0]);
      return to ? [to, ...nodes.slice(1)] : nodes;
    }
    return nodes.map((n) => renameInbound(n, renamed));
  }
  return nodes;
}

export interface BuildOptions {
  strideMode?: StrideMode;
}

/**
 * A new model with each layer in `ranks` (by name) replaced by its rank-r factor pair, weights set
 * from the R_max factors sliced to r; all other weights copied from `model`.
 */
export async function buildFactorisedModel(
  model: tfl.LayersModel,
  layers: AnalysedLayer[],
  ranks: Record<string, number>,
  opts: BuildOptions = {},
): Promise<tfl.LayersModel> {
  const mode = opts.strideMode ?? 'exact';
  const byName = new Map(layers.filter((l) => ranks[l.spec.name] !== undefined).map((l) => [l.spec.name, l]));
  const topo = model.toJSON(null, false) as unknown as Json;
  const cfg = topo.config as Json;
  const renamed = new Map([...byName.keys()].map((n) => [n, `${n}.b`]));
  const out: LayerJson[] = [];
  for (const lj of cfg.layers as LayerJson[]) {
    const l = byName.get(lj.name);
    const rewired = { ...lj, inbound_nodes: renameInbound(lj.inbound_nodes, renamed) as unknown[] };
    if (l) out.push(...factorConfigs(l, ranks[lj.name], mode, rewired));
    else out.push(rewired);
  }
  const newTopo = { ...topo, config: { ...cfg, layers: out, output_layers: renameInbound(cfg.output_layers, renamed) } };
  const fm = await tfl.models.modelFromJSON({ modelTopology: newTopo } as unknown as Parameters<typeof tfl.models.modelFromJSON>[0]);
  for (const layer of fm.layers) {
    const base = layer.name.replace(/\.(a|b)$/, '');
    const l = byName.get(base);
    if (l) continue;
    const src = model.getLayer(layer.name);
    if (layer.weights.length) layer.setWeights(src.getWeights());
  }
  for (const l of byName.values()) setFactorWeights(fm, l, sliceFactors(l.factors, ranks[l.spec.name]));
  const meta = (model.getUserDefinedMetadata() ?? {}) as Json;
  fm.setUserDefinedMetadata({ ...meta, enc: { ranks: { ...ranks }, strideMode: mode } });
  return fm;
}

/** Writes factor kernels (and the original bias on `.b`) into `<name>.a` / `<name>.b`. */
export function setFactorWeights(fm: tfl.LayersModel, l: AnalysedLayer, f: Factors): void {
  const shapes = factorShapes(l.spec, f.rank);
  const a = fm.getLayer(`${l.spec.name}.a`);
  const b = fm.getLayer(`${l.spec.name}.b`);
  const ta = tf.tensor(f.a, shapes.a);
  const tb = tf.tensor(f.b, shapes.b);
  const tbias = l.spec.useBias ? tf.tensor(l.bias ?? new Float32Array(l.spec.cout), [l.spec.cout]) : undefined;
  try {
    a.setWeights([ta]);
    b.setWeights(tbias ? [tb, tbias] : [tb]);
  } catch (e) {
    throw new WhittleError(`ENC: cannot set factor weights of ${l.spec.name}: ${(e as Error).message}`);
  } finally {
    tf.dispose([ta, tb, ...(tbias ? [tbias] : [])]);
  }
}

/**
 * On a model built at R_max, emulates rank r ≤ R_max for each layer by zeroing the components beyond r
 * in `<name>.a` (output-identical to the sliced model, without rebuilding). Only changed layers are
 * rewritten; `current` tracks what the model holds.
 */
export function maskRanks(fm: tfl.LayersModel, layers: AnalysedLayer[], ranks: Record<string, number>, current: Record<string, number>): void {
  for (const l of layers) {
    const r = ranks[l.spec.name] ?? l.rMax;
    if ((current[l.spec.name] ?? l.rMax) === r) continue;
    const K = l.factors.rank;
    const a = l.factors.a.slice();
    if (r < K) for (let i = 0; i < a.length; i++) if (i % K >= r) a[i] = 0;
    const t = tf.tensor(a, factorShapes(l.spec, K).a);
    fm.getLayer(`${l.spec.name}.a`).setWeights([t]);
    t.dispose();
    current[l.spec.name] = r;
  }
}
