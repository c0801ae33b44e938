/** The model zoo: registry, structure helpers, statistics and custom layers. */
export { createModel, listModels, modelEntry, UnknownModelError, type ModelOptions, type ModelEntry } from './registry.js';
export { createResNetCifar, RESNET_CIFAR_DEPTHS, type ResNetCifarOptions, type BranchContext } from './resnet-cifar.js';
export { describeResidualBlocks, residualStreams, type ResidualBlockInfo, type ResidualStream } from './residual.js';
export { countParams, paramCounts, countFlops, keptFiltersFromWeights, formatLayerTable, type FlopsReport, type LayerStats } from './stats.js';
export { modelParams, trainableParams, type ModelParam } from './params.js';
export { initModel, INIT_SCHEMES, type InitScheme } from './init.js';
export { ShortcutA } from './layers.js';
