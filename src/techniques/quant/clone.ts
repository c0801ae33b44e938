/**
 * Synchronous rebuild of a functional LayersModel with some layers replaced: every layer is re-created
 * from its own getConfig() (optionally under another registered class) and re-applied along the
 * original graph, then weights are copied by layer name. tfjs' modelFromJSON would do the same but is
 * async and round-trips configs through snake_case; the run-config technique setup is synchronous.
 * Limits: each layer must be called once in the model (no shared layers).
 */
import { tf, tfl } from '../../engine/tf.js';
import { WhittleError } from '../../core/errors.js';

type Layer = tfl.layers.Layer;
type Sym = tfl.SymbolicTensor;

/** What to build in place of a layer: another registered class and/or an edited config. */
export interface LayerRewrite {
  className: string;
  config: tf.serialization.ConfigDict;
}

function construct(className: string, config: tf.serialization.ConfigDict): Layer {
  const entry = (tf.serialization.SerializationMap.getMap().classNameMap as Record<string, [unknown, unknown]>)[className];
  if (!entry) throw new WhittleError(`cannot rebuild layer "${String(config.name)}": class ${className} is not registered with tfjs serialization`);
  const cls = entry[0] as tf.serialization.SerializableConstructor<tf.serialization.Serializable>;
  const fromConfig = entry[1] as (c: typeof cls, cfg: tf.serialization.ConfigDict) => Layer;
  return fromConfig(cls, config);
}

export function rebuildModel(model: tfl.LayersModel, rewrite: (layer: Layer) => LayerRewrite | null): tfl.LayersModel {
  const map = new Map<Sym, Sym>();
  const inputs = model.inputs.map((t) => {
    const s = tfl.input({ shape: t.shape.slice(1) as number[], dtype: t.dtype, name: t.sourceLayer.name });
    map.set(t, s);
    return s;
  });
  const inputLayers = new Set(model.inputs.map((t) => t.sourceLayer));
  for (const layer of model.layers) {
    if (inputLayers.has(layer)) continue;
    if (layer.inboundNodes.length !== 1) {
      throw new WhittleError(`cannot rebuild model ${model.name}: layer ${layer.name} is called ${layer.inboundNodes.length} times (shared layers are not supported)`);
    }
    const node = layer.inboundNodes[0];
    const args = node.inputTensors.map((t) => {
      const m = map.get(t);
      if (!m) throw new WhittleError(`cannot rebuild model ${model.name}: input of layer ${layer.name} comes from outside the model`);
      return m;
    });
    const r = rewrite(layer) ?? { className: layer.getClassName(), config: layer.getConfig() };
    const fresh = construct(r.className, { ...r.config, name: layer.name });
    const out = fresh.apply(args.length === 1 ? args[0] : args, node.callArgs) as Sym | Sym[];
    const outs = Array.isArray(out) ? out : [out];
    node.outputTensors.forEach((t, i) => map.set(t, outs[i]));
  }
  const outputs = model.outputs.map((t) => map.get(t)!);
  const rebuilt = tfl.model({ inputs, outputs, name: model.name });
  for (const layer of model.layers) {
    const w = layer.getWeights();
    if (w.length) rebuilt.getLayer(layer.name).setWeights(w);
  }
  const meta = model.getUserDefinedMetadata();
  if (meta) rebuilt.setUserDefinedMetadata(meta);
  return rebuilt;
}
