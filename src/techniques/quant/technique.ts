/**
 * One-call setup for the run-config technique builder (src/run/techniques.ts): the `quant` section of
 * a run config (QuantConfigSchema) turns the freshly built float model into a quantising one plus its
 * training hook. Importing this module also registers the quantising layer classes, which loading a
 * quant run's checkpoint topology needs.
 * @example
 *   if (config.quant) ({ model, hooks: qh } = quantTechnique(model, config.quant)), hooks.push(...qh)
 */
import type { tfl } from '../../engine/tf.js';
import type { TrainHook } from '../../train/hooks.js';
import { parseQuantConfig, type QuantConfig, type QuantConfigInput } from './config.js';
import { quantNoiseHook } from './hook.js';
import { quantizeModel } from './model.js';

export function quantTechnique(model: tfl.LayersModel, section: QuantConfigInput | QuantConfig): { model: tfl.LayersModel; hooks: TrainHook[]; config: QuantConfig } {
  const config = parseQuantConfig(section);
  const qm = quantizeModel(model, config);
  return { model: qm, hooks: [quantNoiseHook(qm)], config };
}
