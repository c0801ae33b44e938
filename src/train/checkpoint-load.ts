/** Reading a checkpoint back, verifying every file against the manifest in state.json. */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FormatError, WhittleError } from '../core/errors.js';
import { readSafetensors, toTypedArray } from '../io/safetensors.js';
import { readRegularFile } from '../io/read-file.js';
import { pathName, tooDeep } from '../io/json-limits.js';
import type { CheckpointMeta, LoadedCheckpoint } from './checkpoint.js';
import { latestCheckpoint, listCheckpoints } from './checkpoint-dir.js';
import type { OptimizerState } from './optim/optimizer.js';
import { parseTrainState } from './state.js';
import type { NamedArray } from './types.js';

/**
 * Resolves a checkpoint directory, a directory of checkpoints (through `latest`), or a run directory
 * whose checkpoints live in `<run>/checkpoints` (what `whittle train --out` writes).
 */
export function resolveCheckpointDir(path: string): string {
  if (!existsSync(path)) throw new WhittleError(`checkpoint path ${path} does not exist`);
  if (existsSync(join(path, 'state.json'))) return path;
  if (!latestCheckpoint(path) && latestCheckpoint(join(path, 'checkpoints'))) return resolveCheckpointDir(join(path, 'checkpoints'));
  const latest = latestCheckpoint(path);
  if (latest) {
    if (!existsSync(latest)) throw new FormatError(join(path, 'latest'), `names ${basename(latest)}, which does not exist`);
    return latest;
  }
  throw new WhittleError(`no checkpoint in ${path} (neither state.json nor a "latest" pointer)`);
}

/** Largest state.json / model.json read (a run's history and topology are far smaller). */
const MAX_JSON_BYTES = 64 * 2 ** 20;
/** Deepest JSON accepted in state.json and model.json (tfjs topologies are ~10 deep). */
export const MAX_CHECKPOINT_JSON_DEPTH = 64;

function readChecked(dir: string, name: string, expect: { bytes: number; sha256: string } | undefined): Uint8Array {
  const file = join(dir, name);
  if (!existsSync(file)) throw new FormatError(file, 'missing from the checkpoint');
  if (!expect) throw new FormatError(join(dir, 'state.json'), `has no manifest entry for ${name}`);
  // the manifest says how big the file is: nothing larger is read
  const b = readRegularFile(file, { maxBytes: expect.bytes, what: 'checkpoint file' });
  if (b.length !== expect.bytes) throw new FormatError(file, `is ${b.length} bytes, the checkpoint recorded ${expect.bytes} (truncated or corrupt)`);
  const h = createHash('sha256').update(b).digest('hex');
  if (h !== expect.sha256) throw new FormatError(file, `SHA-256 ${h.slice(0, 12)}… differs from the recorded ${expect.sha256.slice(0, 12)}… (corrupt)`);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function arrays(bytes: Uint8Array, file: string): Map<string, NamedArray> {
  const out = new Map<string, NamedArray>();
  for (const [k, t] of readSafetensors(bytes, file).tensors) {
    if (t.dtype !== 'F32') throw new FormatError(file, `tensor "${k}" is ${t.dtype}, expected F32`);
    out.set(k, { shape: t.shape, data: toTypedArray(t) as Float32Array });
  }
  return out;
}

function hint(dir: string): string {
  const others = listCheckpoints(dirname(dir)).filter((d) => d !== dir);
  return others.length ? ` (an older checkpoint exists: ${others[others.length - 1]})` : '';
}

/** Loads and verifies a checkpoint; errors name the file at fault. */
export function loadCheckpoint(path: string): LoadedCheckpoint {
  const dir = resolveCheckpointDir(path);
  try {
    return loadDir(dir);
  } catch (e) {
    if (e instanceof FormatError) throw new FormatError(e.file, e.message.slice(e.file.length + 2) + hint(dir));
    throw e;
  }
}

function loadDir(dir: string): LoadedCheckpoint {
  const stateFile = join(dir, 'state.json');
  if (!existsSync(stateFile)) throw new FormatError(stateFile, 'missing from the checkpoint');
  const state = parseTrainState(readRegularFile(stateFile, { maxBytes: MAX_JSON_BYTES, what: 'training state' }).toString('utf8'), stateFile);
  const f = state.files;

  const modelFile = join(dir, 'model.json');
  const modelText = new TextDecoder().decode(readChecked(dir, 'model.json', f['model.json']));
  let model: { format?: string; whittle?: CheckpointMeta; modelTopology?: unknown };
  try {
    model = JSON.parse(modelText);
  } catch (e) {
    throw new FormatError(modelFile, `not valid JSON (${(e as Error).message})`);
  }
  if (!model || typeof model !== 'object' || Array.isArray(model)) throw new FormatError(modelFile, 'is not a JSON object');
  const deep = tooDeep(model, MAX_CHECKPOINT_JSON_DEPTH);
  if (deep) throw new FormatError(modelFile, `field "${pathName(deep)}" is nested more than ${MAX_CHECKPOINT_JSON_DEPTH} deep`);
  if (model.whittle !== undefined && (!model.whittle || typeof model.whittle !== 'object' || Array.isArray(model.whittle))) {
    throw new FormatError(modelFile, 'field "whittle" is not an object');
  }
  if (model.modelTopology != null && (typeof model.modelTopology !== 'object' || Array.isArray(model.modelTopology))) {
    throw new FormatError(modelFile, 'field "modelTopology" is not an object');
  }

  const weightsFile = join(dir, 'weights.safetensors');
  const weights = arrays(readChecked(dir, 'weights.safetensors', f['weights.safetensors']), weightsFile);

  const optFile = join(dir, 'optimizer.safetensors');
  const optimizer: OptimizerState = { kind: state.optimizer.kind, config: state.optimizer.config, steps: state.optimizer.steps, slots: {} };
  for (const [name, a] of arrays(readChecked(dir, 'optimizer.safetensors', f['optimizer.safetensors']), optFile)) {
    const i = name.lastIndexOf('#');
    if (i < 0) throw new FormatError(optFile, `tensor "${name}" is not named <param>#<slot>`);
    (optimizer.slots[name.slice(0, i)] ??= {})[name.slice(i + 1)] = a;
  }

  const hooksFile = join(dir, 'hooks.safetensors');
  const hookTensors: Record<string, Record<string, NamedArray>> = {};
  for (const [name, a] of arrays(readChecked(dir, 'hooks.safetensors', f['hooks.safetensors']), hooksFile)) {
    const i = name.indexOf('/');
    if (i < 0) throw new FormatError(hooksFile, `tensor "${name.slice(0, 100)}" is not named <hook>/<name>`);
    (hookTensors[name.slice(0, i)] ??= {})[name.slice(i + 1)] = a;
  }
  return { dir, meta: model.whittle ?? {}, topology: model.modelTopology ?? null, weights, optimizer, hookTensors, state };
}
