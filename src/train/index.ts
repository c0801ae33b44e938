/** Public API of the training core. */
export { train, type TrainOptions, type TrainResult, type TrainProgress, type CheckpointOptions } from './loop.js';
export type { TrainHook, TrainContext, HookState } from './hooks.js';
export { maskOptimizerState } from './hooks.js';
export { evaluate } from './evaluate.js';
export { crossEntropy, crossEntropyPerExample, topKCorrect, topKAccuracy, MeanMeter, type EvalMetrics } from './metrics.js';
export { constant, step, multiStep, cosine, createSchedule, type LrSchedule, type ScheduleUnit, type ScheduleConfig } from './schedule.js';
export { Sgd, Adam, createOptimizer, type Optimizer, type OptimizerConfig, type OptimizerState, type SgdOptions, type AdamOptions } from './optim/index.js';
export { saveCheckpoint, loadCheckpoint, resolveCheckpointDir, latestCheckpoint, listCheckpoints, type CheckpointData, type CheckpointMeta, type LoadedCheckpoint } from './checkpoint.js';
export { captureWeights, restoreWeights } from './model-state.js';
export type { TrainState, EpochRecord } from './state.js';
export { jsonLinesLogger } from './logger.js';
export { batchTensors, modelInputShape } from './step.js';
export type { Batch, BatchSource, NamedArray, LogEvent } from './types.js';
export { imageBatchSource, imageEvalBatches, type ImageSourceOptions } from './data-source.js';
export { modelFromCheckpoint, saveModelCheckpoint, type CheckpointModel } from './model-io.js';
