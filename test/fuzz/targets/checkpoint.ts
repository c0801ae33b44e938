/**
 * Whittle checkpoints through modelFromCheckpoint (what `whittle eval` and `resume` read) and one prediction:
 * mutated state.json / model.json / weights (with the manifest updated, so mutations reach past the SHA-256
 * check), deep JSON, weights of the wrong shape or dtype, bad `latest` pointers, non-regular files.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../../../src/engine/tf.js';
import { createModel } from '../../../src/models/registry.js';
import { modelFromCheckpoint, saveModelCheckpoint } from '../../../src/train/model-io.js';
import { readSafetensors, writeSafetensors, type TensorInput } from '../../../src/io/safetensors.js';
import type { FuzzTarget } from '../target.js';
import { byteMutation, deepJson, mutateJson, pick, stringifyJson } from '../mutate.js';
import { mutateSafetensors } from './safetensors-mutations.js';

const FILES = ['state.json', 'model.json', 'weights.safetensors', 'optimizer.safetensors', 'hooks.safetensors'];

export const checkpointTarget: FuzzTarget = {
  name: 'checkpoint',
  async setup(corpus) {
    if (existsSync(join(corpus, 'run', 'latest'))) return;
    const model = createModel('vanilla', { inputShape: [8, 8, 3], numClasses: 4, seed: 1 });
    saveModelCheckpoint(join(corpus, 'run'), model, { modelName: 'vanilla', modelOptions: { inputShape: [8, 8, 3], numClasses: 4 } });
    model.dispose();
  },
  async run({ rng, work, corpus, label, reading }) {
    const run = join(work, 'run');
    cpSync(join(corpus, 'run'), run, { recursive: true });
    const ckpt = join(run, readFileSync(join(run, 'latest'), 'utf8').trim());
    const stateFile = join(ckpt, 'state.json');
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    const name = pick(rng, FILES);
    const file = join(ckpt, name);
    const r = rng.int(12);
    let bytes: Uint8Array | undefined;
    if (r === 0) {
      label(`${name} replaced by ${pick(rng, ['a directory', 'a FIFO'])}`);
      rmSync(file);
      if (rng.int(2)) mkdirSync(file);
      else execFileSync('mkfifo', [file]);
    } else if (r === 1) {
      const v = pick(rng, ['ckpt-99999999', '../../etc', 'ckpt-\u0000', '', 'x'.repeat(5000), 'ckpt-00000000/../..']);
      label(`latest = ${JSON.stringify(v.slice(0, 40))}`);
      writeFileSync(join(run, 'latest'), v);
    } else if (r === 2 && name.endsWith('.json')) {
      label(`${name} nested ${'deep'}`);
      bytes = new TextEncoder().encode(name === 'state.json' ? `{"format":"whittle-train-state","version":1,"hooks":${deepJson(5000 + rng.int(100_000))}}` : `{"modelTopology":${deepJson(5000 + rng.int(100_000), 'object')}}`);
    } else if (r < 6) {
      const m = byteMutation(rng, new Uint8Array(readFileSync(file)));
      label(`${name}: ${m.label}`);
      bytes = m.bytes;
    } else if (name.endsWith('.json')) {
      const m = mutateJson(rng, JSON.parse(readFileSync(file, 'utf8')));
      label(`${name} ${m.label}`);
      bytes = new TextEncoder().encode(stringifyJson(m.value));
    } else if (r < 9) {
      const m = mutateSafetensors(rng, new Uint8Array(readFileSync(file)));
      label(`${name} ${m.label}`);
      bytes = m.bytes;
    } else {
      // a well-formed file whose tensors do not fit the architecture: wrong shape or dtype
      const st = readSafetensors(new Uint8Array(readFileSync(join(ckpt, 'weights.safetensors'))));
      const t = new Map<string, TensorInput>(st.tensors);
      const key = pick(rng, [...t.keys()]);
      const old = st.tensors.get(key)!;
      if (rng.int(2)) {
        const shape = pick(rng, [[...old.shape].reverse(), [old.shape.reduce((a, b) => a * b, 1)], [...old.shape, 1], old.shape.map(() => 0)]);
        label(`weights: "${key}" stored with shape [${shape}]`);
        const n = shape.reduce((a, b) => a * b, 1);
        t.set(key, { dtype: 'F32', shape, data: new Float32Array(n) });
      } else {
        const dtype = pick(rng, ['F16', 'I32', 'U8', 'F64'] as const);
        label(`weights: "${key}" stored as ${dtype}`);
        const n = old.shape.reduce((a, b) => a * b, 1);
        const data = { F16: new Uint16Array(n), I32: new Int32Array(n), U8: new Uint8Array(n), F64: new Float64Array(n) }[dtype];
        t.set(key, { dtype, shape: old.shape, data });
      }
      bytes = writeSafetensors(t, st.metadata);
      writeFileSync(join(ckpt, 'weights.safetensors'), bytes);
      state.files['weights.safetensors'] = { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
      writeFileSync(stateFile, JSON.stringify(state));
      bytes = undefined;
    }
    if (bytes) {
      writeFileSync(file, bytes);
      // mostly keep the manifest in step, so the mutation reaches the parser and not only the SHA-256 check
      if (name !== 'state.json' && rng.int(4) !== 0) {
        state.files[name] = { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
        writeFileSync(stateFile, JSON.stringify(state));
      }
    }
    reading();
    const { model } = await modelFromCheckpoint(run);
    try {
      const shape = model.inputs[0].shape.slice(1) as number[];
      if (shape.every((d) => Number.isInteger(d) && d > 0) && shape.reduce((a, b) => a * b, 1) <= 4096) {
        tf.tidy(() => (model.predict(tf.zeros([1, ...shape])) as tf.Tensor).dataSync());
      }
    } finally {
      model.dispose();
    }
  },
};
