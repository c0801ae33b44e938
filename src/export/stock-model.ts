/**
 * A copy of any Whittle model made of stock tfjs-layers classes only, computing what the Whittle model
 * computes at inference, so that stock TF.js (and the ONNX writer) can take it:
 * - quantising wrappers → Conv2D/Dense holding q(w) with the layer's own scales (quant/model.ts bake);
 * - PQ layers → Conv2D/Dense holding the decoded kernel; Quant-Noise block-noise layers → Conv2D/Dense;
 * - the option-A shortcut → a 1×1 Conv2D, stride s, 'valid', no bias, whose fixed kernel is the identity
 *   on the first C_in channels and zero on the padded ones (x[::s, ::s] then zero channels: exactly the
 *   same sampling and the same values, every output a single product x·1 plus zeros);
 * - a stochastic-depth gate → Rescaling(scale = p or 1), its inference form.
 * Anything else that is not a stock class is refused by name. The input model is left untouched.
 */
import { tf, tfl } from '../engine/tf.js';
import { WhittleError } from '../core/errors.js';
import '../models/custom-layers.js';
import { ShortcutA } from '../models/layers.js';
import { StochasticDepthGate } from '../techniques/stochastic-depth/gate.js';
import { bakeQuantization, quantLayers } from '../techniques/quant/model.js';
import { rebuildModel, type LayerRewrite } from '../techniques/quant/clone.js';
import { isPQLayer } from '../techniques/pq/layers.js';
import { toFloatModel } from '../techniques/pq/convert.js';
import { isBlockNoiseLayer, stripBlockNoise } from '../techniques/pq/noise-layers.js';

type Layer = tfl.layers.Layer;

/** Whether a registered class name is one of tfjs-layers' own (Whittle's all start with "Whittle"). */
export function isStockClass(className: string): boolean {
  const map = tf.serialization.SerializationMap.getMap().classNameMap as Record<string, unknown>;
  return !className.startsWith('Whittle') && Object.prototype.hasOwnProperty.call(map, className);
}

function inputChannels(layer: Layer): number {
  const s = layer.inboundNodes[0]?.inputTensors[0]?.shape;
  const c = s?.[s.length - 1];
  if (typeof c !== 'number') throw new WhittleError(`export: layer ${layer.name} has no known input channel count`);
  return c;
}

/** The fixed [1, 1, inC, outC] kernel of an option-A shortcut: identity on the first inC channels. */
export function shortcutKernel(inC: number, outC: number): Float32Array {
  const k = new Float32Array(inC * outC);
  for (let c = 0; c < inC; c++) k[c * outC + c] = 1;
  return k;
}

/** Replaces the option-A shortcuts and stochastic-depth gates with stock layers (weights set). */
function rewriteZooLayers(model: tfl.LayersModel): tfl.LayersModel {
  if (!model.layers.some((l) => l instanceof ShortcutA || l instanceof StochasticDepthGate)) return model;
  const shortcuts: Array<{ name: string; inC: number; outC: number }> = [];
  const out = rebuildModel(model, (l): LayerRewrite | null => {
    if (l instanceof ShortcutA) {
      shortcuts.push({ name: l.name, inC: inputChannels(l), outC: l.outChannels });
      return {
        className: 'Conv2D',
        config: { name: l.name, filters: l.outChannels, kernelSize: [1, 1], strides: [l.stride, l.stride], padding: 'valid', useBias: false, kernelInitializer: 'zeros' },
      };
    }
    if (l instanceof StochasticDepthGate) {
      const scale = l.scaling === 'test-multiply' ? l.survival : 1;
      return { className: 'Rescaling', config: { name: l.name, scale, offset: 0 } };
    }
    return null;
  });
  for (const s of shortcuts) {
    const k = tf.tensor4d(shortcutKernel(s.inC, s.outC), [1, 1, s.inC, s.outC]);
    out.getLayer(s.name).setWeights([k]);
    k.dispose();
  }
  return out;
}

/** Throws naming every layer whose class is not a stock tfjs-layers class. */
export function assertStock(model: tfl.LayersModel): void {
  const bad = model.layers.filter((l) => !isStockClass(l.getClassName()));
  if (bad.length) {
    throw new WhittleError(`export: no stock TF.js equivalent for ${bad.map((l) => `layer "${l.name}" (${l.getClassName()})`).join(', ')}`);
  }
}

/**
 * The stock-layer model computing `model`'s inference outputs. Refuses models whose quantised layers
 * also quantise activations (no stock layer rounds activations; the ONNX export writes those as QDQ).
 */
export async function toStockModel(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  const actQuant = quantLayers(model).filter((l) => l.quantSpec.activation);
  if (actQuant.length) {
    throw new WhittleError(`export: layers ${actQuant.map((l) => l.name).join(', ')} quantise their activations, which stock TF.js layers cannot express`);
  }
  const steps: Array<[boolean, (m: tfl.LayersModel) => tfl.LayersModel | Promise<tfl.LayersModel>]> = [
    [quantLayers(model).length > 0, bakeQuantization],
    [model.layers.some(isBlockNoiseLayer), stripBlockNoise],
    [model.layers.some(isPQLayer), toFloatModel],
    [true, rewriteZooLayers],
  ];
  let m = model;
  for (const [needed, step] of steps) {
    if (!needed) continue;
    const next = await step(m);
    if (m !== model && next !== m) m.dispose();
    m = next;
  }
  if (m === model) {
    // Always hand back a separate model, so callers may dispose it.
    m = rebuildModel(model, () => null);
  }
  assertStock(m);
  return m;
}
