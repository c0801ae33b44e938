/**
 * Per-layer Quant-Noise state: weight (and optional activation) observers, the step counter, the noise
 * Rng and the current mask. Ranges are refreshed every `updateStep` training steps (methods.md §4.2
 * step 2) and a fresh mask is drawn every step. A training hook drives `beginStep` from outside the
 * gradient tape; without one, the layer drives it itself on every training forward. Masks and
 * quantisation parameters are typed arrays, turned into tensors inside the layer's tidy, so nothing
 * here owns a tensor.
 */
import { Rng, hashString, type RngState } from '../../core/rng.js';
import type { LayerQuantSpec } from './config.js';
import { createObserver, type Observer, type ObserverState } from './observers.js';
import { channelAxis, qparamsFromRange, qparamsFromJSON, qparamsToJSON, type QParams } from './quantizer.js';
import { noiseMask, type NoiseMask } from './noise.js';

export interface LayerQuantizerState {
  step: number;
  rng: RngState;
  weight: ObserverState;
  activation: ObserverState | null;
  weightQParams: ReturnType<typeof qparamsToJSON> | null;
  activationQParams: ReturnType<typeof qparamsToJSON> | null;
}

export class LayerQuantizer {
  /** Training steps begun so far. */
  step = 0;
  /** True once a hook drives `beginStep`; the layer then stops advancing on its own. */
  externallyDriven = false;
  readonly rng: Rng;
  readonly weightObserver: Observer;
  readonly activationObserver: Observer | null;
  weightQParams: QParams | null = null;
  activationQParams: QParams | null = null;
  /** Mask of the current step; null until the first training step. */
  mask: NoiseMask | null = null;
  /** Set by `beginStep` when the activation range is due for an update in this step's forward. */
  activationDue = false;

  constructor(
    readonly spec: LayerQuantSpec,
    readonly layerName: string,
    readonly kernelShape: readonly number[],
  ) {
    this.rng = new Rng((spec.seed ^ hashString(layerName)) >>> 0);
    const axis = spec.perChannel ? channelAxis(kernelShape) : null;
    this.weightObserver = createObserver(spec.observer, { bits: spec.bits, symmetric: spec.symmetric, axis });
    const a = spec.activation;
    this.activationObserver = a ? createObserver(a.observer, { bits: a.bits, symmetric: a.symmetric, axis: null }) : null;
  }

  private axis(): number | null {
    return this.spec.perChannel ? channelAxis(this.kernelShape) : null;
  }

  /** Recomputes the weight range from `kernel` (row-major values of the stored float kernel). */
  refreshWeights(kernel: ArrayLike<number>): QParams {
    const r = this.weightObserver.update(kernel, this.kernelShape);
    this.weightQParams = qparamsFromRange(r, this.spec.bits, this.spec.symmetric, this.axis());
    return this.weightQParams;
  }

  /** One training step: refresh ranges when due, draw this step's mask. */
  beginStep(kernel: () => ArrayLike<number>): void {
    if (this.step % this.spec.updateStep === 0 || !this.weightQParams) this.refreshWeights(kernel());
    const a = this.spec.activation;
    this.activationDue = !!a && (this.step % a.updateStep === 0 || !this.activationQParams);
    this.mask = noiseMask(this.kernelShape, this.spec.noiseRate, this.spec.noiseBlock, this.rng);
    this.step++;
  }

  /** Weight qparams for an evaluation forward; computed once from `kernel` if no step ran yet. */
  ensureWeights(kernel: () => ArrayLike<number>): QParams {
    return this.weightQParams ?? this.refreshWeights(kernel());
  }

  /** Updates the activation range from an output (per tensor). */
  refreshActivation(values: ArrayLike<number>): QParams {
    const a = this.spec.activation;
    if (!a || !this.activationObserver) throw new Error(`layer ${this.layerName}: activation quantisation is not enabled`);
    const r = this.activationObserver.update(values, [values.length]);
    this.activationQParams = qparamsFromRange(r, a.bits, a.symmetric, null);
    this.activationDue = false;
    return this.activationQParams;
  }

  state(): LayerQuantizerState {
    return {
      step: this.step,
      rng: this.rng.getState(),
      weight: this.weightObserver.state(),
      activation: this.activationObserver?.state() ?? null,
      weightQParams: this.weightQParams && qparamsToJSON(this.weightQParams),
      activationQParams: this.activationQParams && qparamsToJSON(this.activationQParams),
    };
  }

  loadState(s: LayerQuantizerState): void {
    this.step = s.step;
    this.rng.setState(s.rng);
    this.weightObserver.loadState(s.weight);
    if (s.activation && this.activationObserver) this.activationObserver.loadState(s.activation);
    this.weightQParams = s.weightQParams && qparamsFromJSON(s.weightQParams);
    this.activationQParams = s.activationQParams && qparamsFromJSON(s.activationQParams);
    this.mask = null;
  }
}
