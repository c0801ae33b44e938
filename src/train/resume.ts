/** Packing the whole run state into a checkpoint, and restoring it, for bit-identical resume. */
import { tfl } from '../engine/tf.js';
import { WhittleError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type { CheckpointData, CheckpointMeta, LoadedCheckpoint } from './checkpoint.js';
import type { TrainHook } from './hooks.js';
import { captureWeights, restoreWeights } from './model-state.js';
import type { Optimizer } from './optim/optimizer.js';
import type { EpochAccum, EpochRecord } from './state.js';
import { join } from 'node:path';

export interface RunPosition {
  epoch: number;
  stepInEpoch: number;
  iteration: number;
  accum: EpochAccum;
  history: EpochRecord[];
}

export interface RunParts {
  model: tfl.LayersModel;
  optimizer: Optimizer;
  hooks: readonly TrainHook[];
  rng: Rng;
  seed: number;
  epochs: number;
  stepsPerEpoch: number;
  meta: CheckpointMeta;
  config?: unknown;
}

export function captureRun(parts: RunParts, pos: RunPosition): CheckpointData {
  const hooks: Record<string, unknown> = {};
  const hookTensors: CheckpointData['hookTensors'] = {};
  for (const h of parts.hooks) {
    const s = h.state?.();
    if (!s) continue;
    if (s.json !== undefined) hooks[h.name] = s.json;
    if (s.tensors) hookTensors[h.name] = s.tensors;
  }
  return {
    meta: parts.meta,
    topology: parts.model.toJSON(null, false),
    weights: captureWeights(parts.model),
    optimizer: parts.optimizer.getState(),
    hookTensors,
    state: {
      format: 'whittle-train-state',
      version: 1,
      epoch: pos.epoch,
      stepInEpoch: pos.stepInEpoch,
      iteration: pos.iteration,
      epochs: parts.epochs,
      stepsPerEpoch: parts.stepsPerEpoch,
      seed: parts.seed,
      rng: { main: parts.rng.getState() },
      config: parts.config,
      hooks,
      history: pos.history,
      epochAccum: { ...pos.accum },
    },
  };
}

/** Restores weights, optimizer, RNG and hook states; returns where to continue. */
export function restoreRun(parts: RunParts, ck: LoadedCheckpoint): RunPosition & { unusedHookState: string[] } {
  const st = ck.state;
  if (st.seed !== parts.seed) {
    throw new WhittleError(`cannot resume ${ck.dir}: it was trained with seed ${st.seed}, this run has seed ${parts.seed}`);
  }
  if (st.stepsPerEpoch !== parts.stepsPerEpoch) {
    throw new WhittleError(`cannot resume ${ck.dir}: ${st.stepsPerEpoch} steps per epoch there, ${parts.stepsPerEpoch} now (batch size or data changed?)`);
  }
  restoreWeights(parts.model, ck.weights, join(ck.dir, 'weights.safetensors'));
  parts.optimizer.setState(ck.optimizer);
  if (!st.rng.main) throw new WhittleError(`${join(ck.dir, 'state.json')}: no "main" RNG state`);
  parts.rng.setState(st.rng.main);
  for (const h of parts.hooks) {
    const json = st.hooks[h.name];
    const tensors = ck.hookTensors[h.name];
    if (h.loadState && (json !== undefined || tensors)) h.loadState({ json, tensors });
  }
  const names = new Set(parts.hooks.map((h) => h.name));
  const unusedHookState = [...new Set([...Object.keys(st.hooks), ...Object.keys(ck.hookTensors)])].filter((n) => !names.has(n));
  return { epoch: st.epoch, stepInEpoch: st.stepInEpoch, iteration: st.iteration, accum: { ...st.epochAccum }, history: st.history, unusedHookState };
}
