/**
 * Stable parameter keys: `${layer.name}/${shortName}` (e.g. `conv1/kernel`, `bn1/moving_mean`).
 * tfjs variable names get uniquifying suffixes when several models share layer names, so Whittle
 * never keys anything by `variable.name`.
 */
import { tf, tfl } from '../engine/tf.js';

export interface ModelParam {
  key: string;
  layer: tfl.layers.Layer;
  variable: tf.Variable;
  trainable: boolean;
}

function shortName(originalName: string): string {
  const parts = originalName.split('/');
  return parts[parts.length - 1].replace(/_\d+$/, '');
}

/** All weights of a model (trainable and not), in layer order, with their stable keys. */
export function modelParams(model: tfl.LayersModel): ModelParam[] {
  const out: ModelParam[] = [];
  const seen = new Set<string>();
  for (const layer of model.layers) {
    for (const w of layer.weights) {
      const key = `${layer.name}/${shortName(w.originalName)}`;
      if (seen.has(key)) throw new Error(`duplicate parameter key ${key}`);
      seen.add(key);
      // LayerVariable.read() returns the underlying tf.Variable.
      out.push({ key, layer, variable: w.read() as tf.Variable, trainable: w.trainable });
    }
  }
  return out;
}

/** Trainable parameters only, keyed. */
export function trainableParams(model: tfl.LayersModel): ModelParam[] {
  return modelParams(model).filter((p) => p.trainable);
}
