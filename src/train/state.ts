/** The JSON part of a checkpoint (state.json) and its validation. */
import { FormatError } from '../core/errors.js';
import { pathName, tooDeep } from '../io/json-limits.js';
import type { RngState } from '../core/rng.js';
import type { EvalMetrics } from './metrics.js';
import { describeValue } from '../core/describe.js';

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

const isInt = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const show = (v: unknown) => describeValue(v, 80);

/** Deepest JSON accepted in state.json (hook states are a few levels deep). */
export const MAX_STATE_DEPTH = 64;

/** Parses state.json, naming the file and field at fault. */
export function parseTrainState(text: string, file: string): TrainState {
  let s: Record<string, unknown>;
  try {
    s = JSON.parse(text);
  } catch (e) {
    throw new FormatError(file, `not valid JSON (${(e as Error).message}); truncated or corrupt checkpoint?`);
  }
  if (!isObject(s) || s.format !== 'whittle-train-state') throw new FormatError(file, 'not a Whittle training state (format field missing)');
  const deep = tooDeep(s, MAX_STATE_DEPTH);
  if (deep) throw new FormatError(file, `field "${pathName(deep)}" is nested more than ${MAX_STATE_DEPTH} deep`);
  if (s.version !== 1) throw new FormatError(file, `unsupported version ${show(s.version)}`);
  for (const f of ['epoch', 'stepInEpoch', 'iteration', 'epochs', 'stepsPerEpoch', 'seed']) {
    if (!isInt(s[f])) throw new FormatError(file, `field "${f}" must be a non-negative integer, got ${show(s[f])}`);
  }
  for (const f of ['rng', 'hooks', 'epochAccum', 'optimizer', 'files']) {
    if (!isObject(s[f])) throw new FormatError(file, `field "${f}" is missing or not an object`);
  }
  if (!Array.isArray(s.history)) throw new FormatError(file, 'field "history" must be an array');
  for (const [name, e] of Object.entries(s.files as Record<string, unknown>)) {
    if (!isObject(e) || !isInt(e.bytes) || typeof e.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(e.sha256)) {
      throw new FormatError(file, `field "files.${name.slice(0, 100)}" must be { bytes: integer, sha256: 64 hex digits }`);
    }
  }
  const opt = s.optimizer as Record<string, unknown>;
  if (typeof opt.kind !== 'string' || !isObject(opt.config) || !isObject(opt.steps)) {
    throw new FormatError(file, 'field "optimizer" must be { kind: string, config: object, steps: object }');
  }
  const acc = s.epochAccum as Record<string, unknown>;
  for (const f of ['lossSum', 'correct', 'n']) if (typeof acc[f] !== 'number') throw new FormatError(file, `field "epochAccum.${f}" must be a number, got ${show(acc[f])}`);
  return s as unknown as TrainState;
}
