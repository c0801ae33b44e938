/**
 * The custom training loop (not model.fit): hooks, schedules, evaluation, JSON-lines events,
 * checkpoints every N steps and at epoch ends, and exact (bit-identical) resume mid-epoch.
 * Determinism: data for epoch e comes from Rng.derive(seed, `whittle/data/epoch/e`) (= src/data's
 * epochRng), hooks draw from a checkpointed stream, and the lr is a pure function of (epoch, iteration).
 */
import { tfl, type Tensor } from '../engine/tf.js';
import { ConfigError } from '../core/errors.js';
import { logPosition } from './log-position.js';
import { Rng } from '../core/rng.js';
import { testCrashPoint } from '../io/crash-point.js';
import { modelParams, type ModelParam } from '../models/params.js';
import { latestCheckpoint, loadCheckpoint, saveCheckpoint, type CheckpointMeta } from './checkpoint.js';
import { evaluate } from './evaluate.js';
import { checkHookNames, runHooks, type TrainContext, type TrainHook } from './hooks.js';
import type { EvalMetrics } from './metrics.js';
import type { Optimizer } from './optim/optimizer.js';
import { captureRun, restoreRun, type RunParts, type RunPosition } from './resume.js';
import { constant, type LrSchedule } from './schedule.js';
import type { EpochRecord } from './state.js';
import { modelInputShape, trainStep, type StepParts } from './step.js';
import type { Batch, BatchSource, LogEvent } from './types.js';

export interface CheckpointOptions {
  /** Run directory: holds ckpt-<iteration>/ directories and the `latest` pointer. */
  dir: string;
  /** Also checkpoint every N global steps (0 = only at epoch ends). */
  everySteps?: number;
  /** Checkpoint at every epoch end (default true). */
  atEpochEnd?: boolean;
  /** Checkpoints kept (default 2: the latest and the previous). */
  keep?: number;
}

export interface TrainProgress {
  phase: 'train' | 'eval';
  epoch: number;
  epochs: number;
  /** Steps done in this epoch / per epoch. */
  step: number;
  stepsPerEpoch: number;
  iteration: number;
  loss: number;
  lr: number;
}

export interface TrainOptions {
  model: tfl.LayersModel;
  data: BatchSource;
  /** Validation batches, a fresh iterable per call. */
  evalData?: () => Iterable<Batch>;
  epochs: number;
  optimizer: Optimizer;
  /** Learning rate: a schedule or a constant. */
  lr: LrSchedule | number;
  seed: number;
  hooks?: TrainHook[];
  /** Evaluate every N epochs (default 1) and after the last one, when evalData is given. */
  evalEvery?: number;
  checkpoint?: CheckpointOptions;
  /** Stored in model.json (model name and options, to rebuild the model). */
  meta?: CheckpointMeta;
  /** The run's configuration, stored in state.json. */
  config?: unknown;
  /** true: continue from checkpoint.dir's latest checkpoint when there is one; a path: from that checkpoint. */
  resume?: boolean | string;
  /** Receives every event (one JSON line each). */
  log?: (e: LogEvent) => void;
  /** A `step` event every N steps (default 0: none). */
  logEvery?: number;
  onProgress?: (p: TrainProgress) => void;
  /**
   * Training-mode forward pass replacing `model.apply(x, { training: true })`, e.g. stochastic depth's
   * lazy executor that skips dropped residual branches.
   */
  forward?: (model: tfl.LayersModel, x: Tensor) => Tensor;
  /** Stop (after checkpointing) once this many global steps are done: time-boxed runs and tests. */
  maxIterations?: number;
  /** Stop (after checkpointing) at the next step boundary once aborted (Ctrl-C); `stopped` is then true. */
  signal?: AbortSignal;
  /**
   * Called once the checkpoint (if any) is restored and checked, before the first event or checkpoint is
   * written: the caller writes its own files (config.json) here, so that a refused resume writes nothing.
   */
  onRestored?: (resumedFrom: string | undefined) => void;
}

export interface TrainResult {
  epoch: number;
  iteration: number;
  history: EpochRecord[];
  /** The last evaluation, if any. */
  final?: EvalMetrics;
  resumedFrom?: string;
  /** True when maxIterations or the signal stopped the run before its last epoch ended. */
  stopped: boolean;
}

const tick = () => new Promise<void>((res) => setImmediate(res));

export async function train(o: TrainOptions): Promise<TrainResult> {
  if (!Number.isInteger(o.epochs) || o.epochs < 0) throw new ConfigError('epochs', `must be a non-negative integer, got ${o.epochs}`);
  const hooks = o.hooks ?? [];
  checkHookNames(hooks);
  const schedule = typeof o.lr === 'number' ? constant(o.lr) : o.lr;
  const stepsPerEpoch = o.data.stepsPerEpoch;
  const rng = Rng.derive(o.seed, 'whittle/train/hooks');
  const log = (e: LogEvent) => o.log?.(e);
  const params = new Map<string, ModelParam>(modelParams(o.model).map((p) => [p.key, p]));
  const trainable = new Map([...params].filter(([, p]) => p.variable.trainable).map(([k, p]) => [k, p.variable]));
  const parts: RunParts = { model: o.model, optimizer: o.optimizer, hooks, rng, seed: o.seed, epochs: o.epochs, stepsPerEpoch, meta: o.meta ?? {}, config: o.config };

  let pos: RunPosition = { epoch: 0, stepInEpoch: 0, iteration: 0, accum: { lossSum: 0, correct: 0, n: 0 }, history: [] };
  let resumedFrom: string | undefined;
  const from = typeof o.resume === 'string' ? o.resume : o.resume && o.checkpoint ? latestCheckpoint(o.checkpoint.dir) : undefined;
  let resumeEvent: LogEvent | undefined;
  if (from) {
    const ck = loadCheckpoint(from);
    const { unusedHookState, ...p } = restoreRun(parts, ck);
    pos = p;
    resumedFrom = ck.dir;
    const configChanged = JSON.stringify(ck.state.config ?? null) !== JSON.stringify(o.config ?? null);
    resumeEvent = { type: 'resume', dir: ck.dir, ...logPosition(pos, stepsPerEpoch), iteration: pos.iteration, configChanged, unusedHookState };
  }
  o.onRestored?.(resumedFrom);
  if (resumeEvent) log(resumeEvent);

  let final: EvalMetrics | undefined = [...pos.history].reverse().find((r) => r.val)?.val;
  const ctx: TrainContext = {
    model: o.model,
    params,
    optimizer: o.optimizer,
    epochs: o.epochs,
    stepsPerEpoch,
    epoch: pos.epoch,
    step: pos.stepInEpoch,
    iteration: pos.iteration,
    lr: schedule(pos.epoch, pos.iteration),
    resumed: resumedFrom !== undefined,
    rng,
    log: (e) => log({ epoch: ctx.epoch + 1, iteration: ctx.iteration, ...e }),
    evaluate: async () => {
      if (!o.evalData) return undefined;
      const m = await evaluate(o.model, o.evalData(), {
        // During evaluation `step` counts evaluation batches.
        onBatch: (done) => o.onProgress?.({ phase: 'eval', epoch: ctx.epoch, epochs: o.epochs, step: done, stepsPerEpoch, iteration: ctx.iteration, loss: NaN, lr: ctx.lr }),
      });
      return m;
    },
  };
  const stepParts: StepParts = { model: o.model, inputShape: modelInputShape(o.model), trainable, hooks, forward: o.forward };
  let lastSaved = resumedFrom !== undefined ? pos.iteration : -1;
  const save = (p: RunPosition) => {
    if (!o.checkpoint || p.iteration === lastSaved) return;
    const dir = saveCheckpoint(o.checkpoint.dir, captureRun(parts, p), { keep: o.checkpoint.keep });
    lastSaved = p.iteration;
    log({ type: 'checkpoint', dir, ...logPosition(p, stepsPerEpoch), iteration: p.iteration });
  };

  log({ type: 'train_start', epochBase: 1, epochs: o.epochs, stepsPerEpoch, seed: o.seed, resumed: ctx.resumed, optimizer: o.optimizer.kind, ...o.optimizer.config });
  await runHooks(hooks, 'onTrainStart', ctx);
  let stopped = false;
  const halt = (): boolean => o.signal?.aborted === true || (o.maxIterations !== undefined && ctx.iteration >= o.maxIterations);
  for (let epoch = pos.epoch; epoch < o.epochs && !stopped; epoch++) {
    if (halt()) {
      stopped = true; // at an epoch boundary: usually saved already (dedup by iteration)
      save({ epoch, stepInEpoch: 0, iteration: ctx.iteration, accum: { lossSum: 0, correct: 0, n: 0 }, history: pos.history });
      break;
    }
    const t0 = Date.now();
    const startStep = epoch === pos.epoch ? pos.stepInEpoch : 0;
    let step = startStep;
    const accum = epoch === pos.epoch ? pos.accum : { lossSum: 0, correct: 0, n: 0 };
    ctx.epoch = epoch;
    ctx.step = step;
    ctx.lr = schedule(epoch, ctx.iteration);
    if (startStep === 0) await runHooks(hooks, 'onEpochStart', ctx);
    const dataRng = Rng.derive(o.seed, `whittle/data/epoch/${epoch}`);
    const canSkip = o.data.canSkip ?? false;
    let skip = canSkip ? 0 : startStep;
    for (const batch of o.data.epoch(epoch, dataRng, canSkip ? startStep : 0)) {
      if (skip > 0) { skip--; continue; }
      ctx.step = step;
      ctx.lr = schedule(epoch, ctx.iteration);
      await runHooks(hooks, 'onStepStart', ctx);
      const r = trainStep(ctx, stepParts, batch);
      accum.lossSum += r.loss * r.n;
      accum.correct += r.correct;
      accum.n += r.n;
      await runHooks(hooks, 'afterOptimizerStep', ctx);
      step++;
      ctx.iteration++;
      ctx.step = step;
      if (o.logEvery && ctx.iteration % o.logEvery === 0) {
        log({ type: 'step', epoch: epoch + 1, step, iteration: ctx.iteration, loss: r.loss, top1: r.correct / r.n, lr: ctx.lr });
      }
      o.onProgress?.({ phase: 'train', epoch, epochs: o.epochs, step, stepsPerEpoch, iteration: ctx.iteration, loss: r.loss, lr: ctx.lr });
      const every = o.checkpoint?.everySteps ?? 0;
      const epochEndSaves = o.checkpoint?.atEpochEnd !== false && step >= stepsPerEpoch;
      if (every > 0 && ctx.iteration % every === 0 && !epochEndSaves) {
        save({ epoch, stepInEpoch: step, iteration: ctx.iteration, accum, history: pos.history });
      }
      testCrashPoint('step');
      await tick();
      if (halt() && step < stepsPerEpoch) {
        stopped = true;
        break;
      }
    }
    if (stopped) {
      save({ epoch, stepInEpoch: step, iteration: ctx.iteration, accum, history: pos.history });
      break;
    }
    if (step !== stepsPerEpoch) log({ type: 'warning', message: `epoch ${epoch + 1} had ${step} steps, the data source declared ${stepsPerEpoch}` });
    await runHooks(hooks, 'onEpochEnd', ctx);
    const due = (epoch + 1) % (o.evalEvery ?? 1) === 0 || epoch === o.epochs - 1;
    const val = due ? await ctx.evaluate() : undefined;
    if (val) {
      final = val;
      for (const h of hooks) if (h.onEvaluate) await h.onEvaluate(ctx, val);
    }
    const rec: EpochRecord = {
      epoch,
      iteration: ctx.iteration,
      lr: ctx.lr,
      trainLoss: accum.n ? accum.lossSum / accum.n : NaN,
      trainTop1: accum.n ? accum.correct / accum.n : NaN,
      ...(val ? { val } : {}),
      seconds: (Date.now() - t0) / 1000,
    };
    pos.history.push(rec);
    const { val: _v, ...flat } = rec;
    log({ type: 'epoch', ...flat, epoch: epoch + 1, valLoss: val?.loss, valTop1: val?.top1, valTop5: val?.top5 });
    if (o.checkpoint && o.checkpoint.atEpochEnd !== false) {
      save({ epoch: epoch + 1, stepInEpoch: 0, iteration: ctx.iteration, accum: { lossSum: 0, correct: 0, n: 0 }, history: pos.history });
    }
  }
  await runHooks(hooks, 'onTrainEnd', ctx);
  log({ type: 'train_end', epoch: ctx.epoch + 1, iteration: ctx.iteration, stopped });
  return { epoch: ctx.epoch, iteration: ctx.iteration, history: pos.history, final, resumedFrom, stopped };
}
