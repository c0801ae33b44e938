/**
 * Applying Quant-Noise to a functional model: rebuild it (clone.ts, synchronous) with the selected
 * Conv2D/Dense layers swapped for the quantising subclasses (layers.ts), copying every layer's
 * weights by layer name. `stripQuantization` is the inverse (float weights, plain classes);
 * `bakeQuantization` strips and stores the dequantised weights, i.e. the exported model's weights.
 */
import { tf, tfl } from '../../engine/tf.js';
import { hashString } from '../../core/rng.js';
import { WhittleError } from '../../core/errors.js';
import { parseQuantConfig, type LayerQuantSpec, type QuantConfig, type QuantConfigInput } from './config.js';
import { QUANT_CLASS, isQuantLayer, type QuantLayer } from './layers.js';
import { rebuildModel } from './clone.js';
import { fakeQuantArray } from './quantizer.js';

function fullMatch(patterns: string[], name: string): boolean {
  return patterns.some((p) => new RegExp(`^(?:${p})$`).test(name));
}

/** Whether a layer (by class and name) is selected by a config. */
export function selects(cfg: QuantConfig, className: string, name: string): boolean {
  return (
    (cfg.layerTypes as string[]).includes(className) && fullMatch(cfg.layers, name) && !fullMatch(cfg.exclude, name)
  );
}

/** The spec stored in one layer: the run config minus selection, with a per-layer seed. */
export function layerSpec(cfg: QuantConfig, name: string): LayerQuantSpec {
  const { layers: _l, exclude: _e, layerTypes: _t, ...spec } = cfg;
  return { ...spec, seed: (cfg.seed ^ hashString(name)) >>> 0 };
}

/**
 * A copy of `model` whose selected Conv2D/Dense layers quantise their kernels (Quant-Noise in training,
 * full fake quantisation otherwise). The original model is left untouched; weights are copied.
 * @example const qm = await quantizeModel(model, { bits: 4, noiseRate: 0.5, observer: { kind: 'histogram' } })
 */
export function quantizeModel(model: tfl.LayersModel, config: QuantConfigInput | QuantConfig = {}): tfl.LayersModel {
  const cfg = parseQuantConfig(config);
  let n = 0;
  const out = rebuildModel(model, (l) => {
    const cls = l.getClassName();
    if ((cls !== 'Conv2D' && cls !== 'Dense') || isQuantLayer(l) || !selects(cfg, cls, l.name)) return null;
    n++;
    return { className: QUANT_CLASS[cls], config: { ...l.getConfig(), quant: layerSpec(cfg, l.name) as unknown as tf.serialization.ConfigDictValue } };
  });
  if (n === 0) throw new WhittleError(`quant: no Conv2D/Dense layer matches layers=${JSON.stringify(cfg.layers)} exclude=${JSON.stringify(cfg.exclude)}`);
  return out;
}

/** The quantising layers of a model, in layer order. */
export function quantLayers(model: tfl.LayersModel): QuantLayer[] {
  return model.layers.filter(isQuantLayer);
}

/** A plain-layer copy of a quantised model with its float weights (the wrappers removed). */
export function stripQuantization(model: tfl.LayersModel): tfl.LayersModel {
  return rebuildModel(model, (l) => {
    if (!isQuantLayer(l)) return null;
    const { quant: _q, ...config } = l.getConfig();
    return { className: l.baseClassName, config };
  });
}

/**
 * A plain-layer copy whose kernels hold q(w) with each layer's current quantisation parameters — what
 * the quantised model computes at evaluation (activation quantisation, if any, is not carried over).
 */
export function bakeQuantization(model: tfl.LayersModel): tfl.LayersModel {
  const out = stripQuantization(model);
  for (const l of quantLayers(model)) {
    const k = l.floatKernel();
    const qp = l.quantizer().ensureWeights(() => k.dataSync());
    const target = out.getLayer(l.name).getWeights();
    const values = fakeQuantArray(k.dataSync(), k.shape, qp);
    const weights = target.map((t, i) => (i === 0 ? tf.tensor(values, k.shape) : t));
    out.getLayer(l.name).setWeights(weights);
    tf.dispose(weights[0]);
  }
  return out;
}
