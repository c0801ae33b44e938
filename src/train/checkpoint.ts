/**
 * Checkpoint directories. A run directory holds `ckpt-<iteration>/` directories and a `latest` pointer
 * file. Each checkpoint is written completely into a temporary directory (every file via
 * writeFileAtomic, i.e. fsynced), renamed into place, and only then published by atomically rewriting
 * `latest`; so a crash at any moment leaves `latest` naming a complete checkpoint. The previous
 * checkpoint is kept. state.json (written last) records each file's size and SHA-256, so a truncated
 * or corrupt file is reported by name instead of loading silently.
 *
 * Files: model.json (topology + Whittle metadata), weights.safetensors (by param key),
 * optimizer.safetensors (`<key>#<slot>`), hooks.safetensors (`<hook>/<name>`), state.json.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeSafetensors, type TensorInput } from '../io/safetensors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { testCrashPoint } from '../io/crash-point.js';
import type { OptimizerState } from './optim/optimizer.js';
import type { TrainState } from './state.js';
import type { NamedArray } from './types.js';
import { LATEST, ckptName, fsyncDir, latestCheckpoint, listCheckpoints } from './checkpoint-dir.js';

export { latestCheckpoint, listCheckpoints } from './checkpoint-dir.js';

export const CHECKPOINT_FORMAT = 'whittle-checkpoint';
export const CHECKPOINT_VERSION = 1;
const SLOT_SEP = '#';

/** What model.json's `whittle` field holds: enough to rebuild the model through the registry. */
export interface CheckpointMeta {
  modelName?: string;
  modelOptions?: unknown;
  [field: string]: unknown;
}

/** What saveCheckpoint takes; it fills in the state's optimizer summary and file manifest. */
export interface CheckpointData {
  meta: CheckpointMeta;
  /** tfjs-layers topology (`model.toJSON(null, false)`), or null. */
  topology: unknown;
  weights: Map<string, NamedArray>;
  optimizer: OptimizerState;
  hookTensors: Record<string, Record<string, NamedArray>>;
  state: Omit<TrainState, 'files' | 'optimizer'>;
}

export interface LoadedCheckpoint extends CheckpointData {
  state: TrainState;
  /** The checkpoint directory actually read. */
  dir: string;
}

function toInputs(arrays: Iterable<[string, NamedArray]>): Map<string, TensorInput> {
  const m = new Map<string, TensorInput>();
  for (const [k, a] of arrays) m.set(k, { dtype: 'F32', shape: a.shape, data: a.data });
  return m;
}

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Writes a checkpoint into `runDir` and publishes it as `latest`; returns its directory. */
export function saveCheckpoint(runDir: string, data: CheckpointData, opts: { keep?: number } = {}): string {
  mkdirSync(runDir, { recursive: true });
  const it = data.state.iteration;
  const tmp = join(runDir, `.tmp-${ckptName(it)}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const files: Record<string, Uint8Array> = {
    // The empty weightsManifest makes stock tf.loadLayersModel fail ("N of N weights are not set") instead
    // of silently running random weights: the weights live in weights.safetensors (`whittle export` writes TF.js).
    'model.json': new TextEncoder().encode(JSON.stringify({ format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, whittle: data.meta, modelTopology: data.topology, weightsManifest: [] }) + '\n'),
    'weights.safetensors': writeSafetensors(toInputs(data.weights), { format: CHECKPOINT_FORMAT }),
    'optimizer.safetensors': writeSafetensors(toInputs(optimizerArrays(data.optimizer)), { kind: data.optimizer.kind }),
    'hooks.safetensors': writeSafetensors(toInputs(hookArrays(data.hookTensors))),
  };
  const manifest: TrainState['files'] = {};
  for (const [name, bytes] of Object.entries(files)) {
    writeFileAtomic(join(tmp, name), bytes);
    manifest[name] = { bytes: bytes.length, sha256: sha256(bytes) };
  }
  const state: TrainState = { ...data.state, optimizer: { kind: data.optimizer.kind, config: data.optimizer.config, steps: data.optimizer.steps }, files: manifest };
  writeFileAtomic(join(tmp, 'state.json'), JSON.stringify(state, null, 1) + '\n');
  fsyncDir(tmp);
  testCrashPoint('ckpt-written');

  const current = latestCheckpoint(runDir);
  let name = ckptName(it);
  // Never replace the published checkpoint in place; a stale unpublished one (crashed run) is removed.
  if (current && resolve(current) === resolve(join(runDir, name))) name = `${name}.${Date.now()}`;
  rmSync(join(runDir, name), { recursive: true, force: true });
  renameSync(tmp, join(runDir, name));
  fsyncDir(runDir);
  testCrashPoint('ckpt-renamed');
  writeFileAtomic(join(runDir, LATEST), name + '\n');
  fsyncDir(runDir);
  testCrashPoint('latest');
  prune(runDir, name, current, opts.keep ?? 2);
  return join(runDir, name);
}

/** Keeps the newest `keep` checkpoints (always the latest and the one it replaced); removes temp dirs. */
function prune(runDir: string, latestName: string, previous: string | undefined, keep: number): void {
  const all = listCheckpoints(runDir);
  const keepSet = new Set([resolve(join(runDir, latestName))]);
  if (previous) keepSet.add(resolve(previous));
  for (const d of all.slice().reverse()) if (keepSet.size < keep) keepSet.add(resolve(d));
  for (const d of all) if (!keepSet.has(resolve(d))) rmSync(d, { recursive: true, force: true });
  for (const n of readdirSync(runDir)) {
    if (n.startsWith('.tmp-ckpt-') || /^\.latest\..*\.tmp$/.test(n)) rmSync(join(runDir, n), { recursive: true, force: true });
  }
}

function optimizerArrays(o: OptimizerState): [string, NamedArray][] {
  const out: [string, NamedArray][] = [];
  for (const [key, slots] of Object.entries(o.slots)) for (const [s, a] of Object.entries(slots)) out.push([`${key}${SLOT_SEP}${s}`, a]);
  return out;
}

function hookArrays(h: Record<string, Record<string, NamedArray>>): [string, NamedArray][] {
  const out: [string, NamedArray][] = [];
  for (const [hook, ts] of Object.entries(h)) for (const [n, a] of Object.entries(ts)) out.push([`${hook}/${n}`, a]);
  return out;
}

export { loadCheckpoint, resolveCheckpointDir } from './checkpoint-load.js';
