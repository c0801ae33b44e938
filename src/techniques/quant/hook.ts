/**
 * The Quant-Noise training hook: at every step start it advances each quantised layer (range refresh
 * every `updateStep` steps from the stored float kernel, a fresh noise mask from the layer's seeded
 * Rng), outside the gradient tape; its state (step counters, Rng states, observer ranges and current
 * quantisation parameters) goes into checkpoints, so a resumed run draws the same masks.
 */
import { WhittleError } from '../../core/errors.js';
import type { tfl } from '../../engine/tf.js';
import type { HookState, TrainContext, TrainHook } from '../../train/hooks.js';
import type { QuantLayer } from './layers.js';
import { quantLayers } from './model.js';
import type { LayerQuantizerState } from './runtime.js';
import { maskFraction } from './noise.js';

export interface QuantHookState {
  layers: Record<string, LayerQuantizerState>;
}

export interface QuantHook extends TrainHook {
  state(): HookState;
  loadState(s: HookState): void;
}

/**
 * @param model the quantised model (from quantizeModel); when omitted, taken from the loop at onTrainStart.
 * @example train({ model: qm, hooks: [quantNoiseHook(qm)], ... })
 */
export function quantNoiseHook(model?: tfl.LayersModel, opts: { name?: string } = {}): QuantHook {
  let layers: QuantLayer[] = [];
  let attached: tfl.LayersModel | null = null;
  let pending: QuantHookState | null = null;

  const apply = () => {
    if (!pending) return;
    for (const l of layers) {
      const s = pending.layers[l.name];
      if (!s) throw new WhittleError(`quant hook state has no entry for layer ${l.name} (the checkpoint quantised other layers)`);
      l.quantizer().loadState(s);
    }
    pending = null;
  };

  const attach = (m: tfl.LayersModel) => {
    attached = m;
    layers = quantLayers(m);
    if (!layers.length) throw new WhittleError('quant hook: the model has no quantised layers (call quantizeModel first)');
    for (const l of layers) l.quantizer().externallyDriven = true;
    apply();
  };
  if (model) attach(model);

  return {
    name: opts.name ?? 'quant',
    onTrainStart(ctx: TrainContext) {
      if (attached !== ctx.model) attach(ctx.model);
      else apply();
    },
    onStepStart() {
      for (const l of layers) {
        const k = l.floatKernel();
        l.quantizer().beginStep(() => k.dataSync());
      }
    },
    onEpochEnd(ctx: TrainContext) {
      const rows = layers.map((l) => {
        const q = l.quantizer();
        const qp = q.weightQParams;
        return { layer: l.name, step: q.step, noised: q.mask ? maskFraction(q.mask) : null, scale: qp ? Math.max(...qp.scale) : null };
      });
      ctx.log({ type: 'quant', layers: rows });
    },
    state(): HookState {
      const json: QuantHookState = { layers: Object.fromEntries(layers.map((l) => [l.name, l.quantizer().state()])) };
      return { json };
    },
    loadState(s: HookState) {
      pending = s.json as QuantHookState;
      if (layers.length) apply();
    },
  };
}
