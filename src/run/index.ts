/**
 * Running a job: the layer the CLI, the experiment runner and library users all call. A run config in,
 * a trained run directory (config.json, log.jsonl, checkpoints/) and a summary out; progress goes to a
 * `Reporter` the caller passes (silent by default).
 */
export { runTraining, describeBackend, DEFAULT_OUT, type RunTrainingOptions, type RunSummary, type RunMetrics } from './run-training.js';
export { loadRunData, describeData } from './run-data.js';
export { optimizerConfig, scheduleConfig } from './run-parts.js';
export { buildModelAndTechniques, type TechniqueSetup } from './techniques.js';
export { evaluateCheckpoint, checkpointValidation, type EvalCheckpointOptions, type EvalCheckpointResult } from './eval-checkpoint.js';
export { silentReporter, type Reporter, type ProgressInfo, type DownloadDisplay } from './reporter.js';
