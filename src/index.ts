/**
 * Whittle: train, prune and compress neural networks in TypeScript (Node.js; the PQ decoder also runs
 * in the browser via `whittle/browser/pq-decoder`).
 *
 * @example
 *   import { initBackend, createModel, train, Sgd, ReprHook } from 'whittle';
 *   await initBackend('auto');
 *   const model = createModel('vanilla');
 *   await train({ model, data, epochs: 30, optimizer: new Sgd({ momentum: 0.9 }), lr: 0.01, seed: 0, hooks: [new ReprHook()] });
 */
import './models/custom-layers.js';

export { tf, tfl } from './engine/tf.js';
export { initBackend, backendInfo, BACKEND_NAMES, type BackendName, type BackendInfo } from './engine/backend.js';
export { Rng, type RngState } from './core/rng.js';
export { WhittleError, FormatError, ConfigError, ShapeError } from './core/errors.js';
export { readSafetensors, writeSafetensors, type SafeTensor } from './io/safetensors.js';

export * from './data/index.js';
export * from './models/index.js';
export * from './train/index.js';
export type { Batch } from './train/index.js';
export * from './linalg/index.js';

// Techniques: one namespace each (their helpers share short names).
export * as filterMask from './techniques/filter-mask/criteria.js';
export { selectFilters, type Selection as FilterSelection } from './techniques/filter-mask/select.js';
export { ReprHook } from './techniques/repr/hook.js';
export { reprConfigSchema, reprTimeline, type ReprConfig } from './techniques/repr/config.js';
export { reinitializeFilters } from './techniques/repr/reinit.js';
export { SfpHook } from './techniques/sfp/hook.js';
export { sfpConfigSchema, type SfpConfig } from './techniques/sfp/config.js';
export { sfpFlopsReduction } from './techniques/sfp/flops.js';
export * as pruneExport from './techniques/prune-export/index.js';
export * as stochasticDepth from './techniques/stochastic-depth/model.js';
export { survivalProbabilities, parseSurvivalRule } from './techniques/stochastic-depth/survival.js';
export { StochasticDepthGate } from './techniques/stochastic-depth/gate.js';
export * as enc from './techniques/enc/index.js';
export * as quant from './techniques/quant/index.js';
export * as pq from './techniques/pq/index.js';
export * as clip from './clip/index.js';

export * from './config/index.js';
export * from './run/index.js';
export { runExperiment } from './experiments/runner.js';
export { parseExperiment, loadExperimentFile } from './experiments/load.js';
export { buildReport } from './report/build.js';
