/** Model weights ⇄ plain arrays keyed by stable param key (checkpoints, tests). */
import { tf, tfl } from '../engine/tf.js';
import { FormatError } from '../core/errors.js';
import { modelParams } from '../models/params.js';
import type { NamedArray } from './types.js';

/** Every weight of the model (trainable and not) as float32 copies, keyed `layer/weight`. */
export function captureWeights(model: tfl.LayersModel): Map<string, NamedArray> {
  const out = new Map<string, NamedArray>();
  for (const p of modelParams(model)) {
    if (p.variable.dtype !== 'float32') throw new FormatError(p.key, `weight dtype ${p.variable.dtype} is not float32`);
    out.set(p.key, { shape: [...p.variable.shape], data: (p.variable.dataSync() as Float32Array).slice() });
  }
  return out;
}

/** Assigns weights by key; every model weight must be present with its shape (`file` names the source). */
export function restoreWeights(model: tfl.LayersModel, weights: ReadonlyMap<string, NamedArray>, file = '<weights>'): void {
  const params = modelParams(model);
  const keys = new Set(params.map((p) => p.key));
  const extra = [...weights.keys()].filter((k) => !keys.has(k));
  if (extra.length) throw new FormatError(file, `has weights the model lacks: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', …' : ''}`);
  for (const p of params) {
    const w = weights.get(p.key);
    if (!w) throw new FormatError(file, `lacks weight "${p.key}" of shape [${p.variable.shape}]`);
    const same = w.shape.length === p.variable.shape.length && w.shape.every((d, i) => d === p.variable.shape[i]);
    if (!same) throw new FormatError(file, `weight "${p.key}" has shape [${w.shape}], the model wants [${p.variable.shape}]`);
  }
  tf.tidy(() => {
    for (const p of params) {
      const w = weights.get(p.key)!;
      p.variable.assign(tf.tensor(w.data, w.shape, 'float32'));
    }
  });
}
