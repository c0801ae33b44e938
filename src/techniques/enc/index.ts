/**
 * ENC — Efficient Neural Network Compression (Kim, Khan, Kyung, CVPR 2019; methods.md §3): truncated-SVD
 * factorisation of conv/dense layers with per-layer ranks chosen by Uniform, ENC-Map, ENC-Model or ENC-Inf.
 * @example
 *   const s = createSession(model, { conv1: 'fixed' });
 *   const rows = await compareMethods(s, { target: 0.5, methods: ['uniform', 'map', 'model', 'inf'], evaluate });
 *   console.log(formatComparison(rows));
 */
export { factorize, sliceFactors, unfactorize, kernelToMatrix, matrixToKernel, matrixShape, factorShapes, type Factors, type KernelGeometry, type Scheme } from './factorize.js';
export { breakEvenRank, macsPerRank, paramsPerRank, originalMacs, complexity, type LayerSpec, type CostModel, type StrideMode } from './cost.js';
export { pchip, pchipInterpolate, type Pchip } from './pchip.js';
export { pcaEnergy, energyCurve, accuracyCurve, networkMetrics, sampleRanks, type LayerCurve, type NetworkMetric } from './metrics.js';
export { evbmfRank } from './vbmf.js';
export { encMap, uniformSearch, uniformRanks, ranksAtLevel, type SearchProblem, type MapResult } from './map.js';
export { buildSpace, costGroups, type SearchSpace, type SpaceOptions } from './space.js';
export { divideAndConquerSearch, exhaustiveSearch, type Candidate, type ScoreContext } from './search.js';
export { analyseModel, describeLayer, type Analysis, type AnalysedLayer } from './analyse.js';
export { buildFactorisedModel, maskRanks } from './build.js';
export { createSession, measureAccuracyCurves, accuracyAt, rmaxModel, type EncSession, type Evaluator, type Conv1Mode, type SessionOptions } from './session.js';
export { selectRanks, applySelection, ENC_METHODS, type EncMethod, type EncMetric, type Selection } from './run.js';
export { compareMethods, formatComparison, formatRanks, type MethodReport, type CompressOptions } from './compress.js';
