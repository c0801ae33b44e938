/**
 * The training-loop hook contract (docs/architecture.md). A technique is a `TrainHook`; hooks run in the
 * order given, each seeing the previous one's gradients. Per step:
 *   onStepStart → forward/backward → transformGradients (each hook) → freezeMasks (all hooks, multiplied)
 *   → optimizer.apply(grads, lr, masks) → afterOptimizerStep.
 * Per epoch: onEpochStart → steps → onEpochEnd (may mutate weights, e.g. SFP zeroing) → evaluation →
 * onEvaluate → checkpoint.
 * Resuming mid-epoch does not re-run onEpochStart for that epoch: its effects must live in the weights or
 * in the hook's own state(). onTrainStart runs on every start, with `ctx.resumed` set after a resume.
 */
import { tf, tfl } from '../engine/tf.js';
import type { Rng } from '../core/rng.js';
import type { ModelParam } from '../models/params.js';
import type { Optimizer } from './optim/optimizer.js';
import type { EvalMetrics } from './metrics.js';
import type { LogEvent, NamedArray } from './types.js';

export interface TrainContext {
  readonly model: tfl.LayersModel;
  /** Every weight of the model (trainable and not, e.g. BN moving stats) by stable key. */
  readonly params: ReadonlyMap<string, ModelParam>;
  readonly optimizer: Optimizer;
  readonly epochs: number;
  readonly stepsPerEpoch: number;
  /** 0-based epoch being trained. */
  epoch: number;
  /** 0-based index within the epoch of the batch being trained (= steps done this epoch between steps). */
  step: number;
  /** Global 0-based index of the step being trained (= steps done so far between steps). */
  iteration: number;
  /** The learning rate of the current step (from the schedule). */
  lr: number;
  /** True when this run continued from a checkpoint. */
  readonly resumed: boolean;
  /** Seeded stream for hooks' randomness; its state is checkpointed. */
  readonly rng: Rng;
  /** Writes a JSON-lines event to the run log (adds epoch/iteration when absent). */
  log(event: LogEvent): void;
  /** Evaluates the model (training=false) on the validation batches; undefined when there are none. */
  evaluate(): Promise<EvalMetrics | undefined>;
}

/** A hook's checkpointed state: JSON, plus float tensors stored in hooks.safetensors. */
export interface HookState {
  json?: unknown;
  tensors?: Record<string, NamedArray>;
}

type Async = void | Promise<void>;

export interface TrainHook {
  /** Unique among a run's hooks: names its state in checkpoints. */
  readonly name: string;
  onTrainStart?(ctx: TrainContext): Async;
  onEpochStart?(ctx: TrainContext): Async;
  onStepStart?(ctx: TrainContext): Async;
  /**
   * Gradients by param key (trainable params only) before the optimizer; returns the gradients to use
   * (new tensors or the same ones; a key left out is not updated this step). Runs synchronously inside
   * the step's tf.tidy, so tensors made here are freed automatically; use tf.keep for anything kept.
   */
  transformGradients?(ctx: TrainContext, grads: ReadonlyMap<string, tf.Tensor>): Map<string, tf.Tensor>;
  /**
   * Freeze masks by param key: 0/1 float tensors broadcastable to the param (e.g. [1,1,1,out] for a
   * conv kernel). Where 0, the optimizer leaves the entry bit-for-bit unchanged this step (no gradient,
   * no weight decay) and zeroes its momentum/Adam state. The hook owns these tensors (not disposed by
   * the loop); several hooks' masks for one key are multiplied.
   */
  freezeMasks?(ctx: TrainContext): ReadonlyMap<string, tf.Tensor> | undefined;
  afterOptimizerStep?(ctx: TrainContext): Async;
  onEpochEnd?(ctx: TrainContext): Async;
  onEvaluate?(ctx: TrainContext, metrics: EvalMetrics): Async;
  onTrainEnd?(ctx: TrainContext): Async;
  state?(): HookState;
  loadState?(state: HookState): void;
}

/** Checks hook names are unique (they key checkpoint state). */
export function checkHookNames(hooks: readonly TrainHook[]): void {
  const seen = new Set<string>();
  for (const h of hooks) {
    if (!h.name || h.name.includes('/')) throw new Error(`hook name "${h.name}" must be non-empty and contain no "/"`);
    if (seen.has(h.name)) throw new Error(`two hooks are named "${h.name}"; names key their checkpoint state`);
    seen.add(h.name);
  }
}

/** Runs a lifecycle method of every hook in order. */
export async function runHooks(
  hooks: readonly TrainHook[],
  method: 'onTrainStart' | 'onEpochStart' | 'onStepStart' | 'afterOptimizerStep' | 'onEpochEnd' | 'onTrainEnd',
  ctx: TrainContext,
): Promise<void> {
  for (const h of hooks) {
    const f = h[method];
    if (f) await f.call(h, ctx);
  }
}

/** The product of every hook's freeze masks per key (call inside tidy). */
export function collectFreezeMasks(hooks: readonly TrainHook[], ctx: TrainContext): Map<string, tf.Tensor> | undefined {
  let out: Map<string, tf.Tensor> | undefined;
  for (const h of hooks) {
    const m = h.freezeMasks?.(ctx);
    if (!m) continue;
    out ??= new Map();
    for (const [key, t] of m) {
      const prev = out.get(key);
      out.set(key, prev ? tf.mul(prev, t) : t);
    }
  }
  return out;
}

/**
 * Multiplies every optimizer state buffer of `key` (momentum, Adam moments) by `mask`, for hooks that
 * reset state outside a step (e.g. when filters are dropped or re-initialised).
 */
export function maskOptimizerState(opt: Optimizer, key: string, mask: tf.Tensor): void {
  const s = opt.state(key);
  if (!s) return;
  tf.tidy(() => {
    for (const v of Object.values(s)) v.assign(tf.mul(v, mask));
  });
}
