/**
 * Product quantisation / iPQ (methods.md §5): public API. `pipeline.ts` (checkpoint → file) is Node-only;
 * everything else also runs in the browser (src/browser/pq-decoder.ts bundles the decoder).
 */
export { kernelToBlocks, blocksToKernel, decodeBlocks, geomOf, layerKind, type KernelGeom, type LayerKind } from './blocks.js';
export { kmeans, assign, objective, type KMeansOptions, type KMeansResult } from './kmeans.js';
export { quantizeKernel, decodeKernel, relativeError, type QuantizedKernel, type QuantizeOptions } from './quantize.js';
export { parsePQConfig, parseBlockSpec, planLayer, PQConfigSchema, DEFAULT_BLOCK, type PQConfig, type PQConfigInput, type LayerPlan } from './config.js';
export { quantLayerSize, modelSize, bitsPerIndex, formatBytes, type QuantLayerSize, type ModelSize } from './size.js';
export { huffmanEncode, huffmanDecode, huffmanCodeLengths, empiricalEntropy, entropyReport, type HuffmanStream, type EntropyReport } from './entropy.js';
export { packBits, unpackBits } from './pack.js';
export { PQConv2D, PQDense, rebuildKernel, isPQLayer, type PQLayerArgs } from './layers.js';
export { toPQModel, toFloatModel, setNoiseRate, quantizableLayers, pqWeights } from './convert.js';
export { runIPQ, planModel, quantizeLayers, defaultStages, pqNoiseHook, noiseStateHook, type NoisyLayer, type IPQOptions, type IPQResult, type StageInfo, type QuantizedLayerReport } from './ipq.js';
export { encodePQModel, decodePQModel, decodeKernels, PQ_FORMAT, PQ_FORMAT_VERSION, type PQLayerMeta, type EncodeOptions, type DecodedPQFile } from './format.js';
export { registerSegmentSumKernels } from './segment-sum-kernels.js';
export { BlockNoiseConv2D, BlockNoiseDense, blockNoiseMask, withBlockNoise, withoutBlockNoise, stripBlockNoise, isBlockNoiseLayer, type BlockNoiseArgs } from './noise-layers.js';
export { pqNoiseTechnique, blockNoiseHook, PQNoiseConfigSchema, type PQNoiseConfig } from './noise-technique.js';
