/**
 * Quant-Noise and QAT (methods.md §4): scalar int2..int8 fake quantisation with observers, noise rate
 * and integer export.
 * @example
 *   const qm = quantizeModel(model, { bits: 4, noiseRate: 0.5, observer: { kind: 'histogram' } });
 *   await train({ model: qm, hooks: [quantNoiseHook(qm)], ... });
 *   const { bytes, report } = exportQuantized(qm); // int4 codes + scales + zero points
 */
export * from './config.js';
export * from './quantizer.js';
export { buildHistogram, searchRange, searchRanges } from './histogram.js';
export { createObserver, type Observer, type ObserverState, type ObserverContext } from './observers.js';
export { noiseMask, maskFraction, type NoiseMask } from './noise.js';
export { fakeQuant, quantNoise, quantizeActivation, qTensors, maskTensor, type QTensors } from './ste.js';
export { LayerQuantizer, type LayerQuantizerState } from './runtime.js';
export { QuantConv2D, QuantDense, isQuantLayer, type QuantLayer } from './layers.js';
export { rebuildModel } from './clone.js';
export { quantizeModel, stripQuantization, bakeQuantization, quantLayers, selects, layerSpec } from './model.js';
export { exportQuantized, decodeQuantized, loadQuantizedInto, packCodes, unpackCodes, QUANT_META_KEY, type SizeReport } from './export.js';
export { quantNoiseHook, type QuantHook, type QuantHookState } from './hook.js';
export { runQuant, loadQuantizedModel, QUANTIZED_FORMAT, type QuantRunOptions, type QuantRunReport } from './pipeline.js';
export { runQuantSweep, sweepCells, formatSweepTable, type SweepSpec, type SweepRow } from './sweep.js';
export { quantTechnique } from './technique.js';
