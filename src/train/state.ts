/** The JSON part of a checkpoint (state.json) and its validation. */
import { FormatError } from '../core/errors.js';
import type { RngState } from '../core/rng.js';
import type { EvalMetrics } from './metrics.js';

export interface EpochRecord {
  epoch: number;
  /** Global steps done at the end of this epoch. */
  iteration: number;
  lr: number;
  trainLoss: number;
  trainTop1: number;
  val?: EvalMetrics;
  seconds: number;
}

/** Sums of the epoch in progress, so a mid-epoch resume reports the same epoch means. */
export interface EpochAccum {
  lossSum: number;
  correct: number;
  n: number;
}

export interface TrainState {
  format: 'whittle-train-state';
  version: 1;
  /** Epoch to continue in (0-based) and steps of it already done; { epoch: e+1, stepInEpoch: 0 } at an epoch end. */
  epoch: number;
  stepInEpoch: number;
  /** Global steps done. */
  iteration: number;
  epochs: number;
  stepsPerEpoch: number;
  seed: number;
  /** Named RNG states (the hooks' stream `main`; data streams are derived from seed and epoch). */
  rng: Record<string, RngState>;
  config?: unknown;
  /** JSON state of each hook by name. */
  hooks: Record<string, unknown>;
  history: EpochRecord[];
  epochAccum: EpochAccum;
  optimizer: { kind: string; config: Record<string, unknown>; steps: Record<string, number> };
  /** Size and SHA-256 of every other file of the checkpoint. */
  files: Record<string, { bytes: number; sha256: string }>;
}

const isInt = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;

/** Parses state.json, naming the file and field at fault. */
export function parseTrainState(text: string, file: string): TrainState {
  let s: Record<string, unknown>;
  try {
    s = JSON.parse(text);
  } catch (e) {
    throw new FormatError(file, `not valid JSON (${(e as Error).message}); truncated or corrupt checkpoint?`);
  }
  if (!s || typeof s !== 'object' || s.format !== 'whittle-train-state') throw new FormatError(file, 'not a Whittle training state (format field missing)');
  if (s.version !== 1) throw new FormatError(file, `unsupported version ${String(s.version)}`);
  for (const f of ['epoch', 'stepInEpoch', 'iteration', 'epochs', 'stepsPerEpoch', 'seed']) {
    if (!isInt(s[f])) throw new FormatError(file, `field "${f}" must be a non-negative integer, got ${JSON.stringify(s[f])}`);
  }
  for (const f of ['rng', 'hooks', 'epochAccum', 'optimizer', 'files']) {
    if (!s[f] || typeof s[f] !== 'object') throw new FormatError(file, `field "${f}" is missing`);
  }
  if (!Array.isArray(s.history)) throw new FormatError(file, 'field "history" must be an array');
  return s as unknown as TrainState;
}
