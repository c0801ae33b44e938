/**
 * PQ model files through decodePQModel (what the browser decoder calls) and one prediction: mutated copies of
 * packed and Huffman-coded files of a small quantised ResNet (bytes, safetensors header, layer metadata,
 * deflated topology, code tables and streams).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, inflateSync, strFromU8, strToU8 } from 'fflate';
import { tf } from '../../../src/engine/tf.js';
import { createModel } from '../../../src/models/registry.js';
import { runIPQ } from '../../../src/techniques/pq/ipq.js';
import { decodePQModel, encodePQModel } from '../../../src/techniques/pq/format.js';
import { readSafetensors, writeSafetensors, type TensorInput } from '../../../src/io/safetensors.js';
import type { Rng } from '../../../src/core/rng.js';
import type { FuzzTarget } from '../target.js';
import { mutateJson, pick, stringifyJson, byteMutation, HOSTILE_NUMBERS } from '../mutate.js';
import { mutateSafetensors } from './safetensors-mutations.js';

const SEEDS = ['packed.pq', 'huffman.pq'];

/** Rewrites a (valid) PQ file with `edit` applied to its tensors and metadata. */
function rewrite(bytes: Uint8Array, edit: (t: Map<string, TensorInput>, meta: Record<string, string>) => void): Uint8Array {
  const st = readSafetensors(bytes);
  const tensors = new Map<string, TensorInput>(st.tensors);
  const meta = { ...st.metadata };
  edit(tensors, meta);
  return writeSafetensors(tensors, meta);
}

function mutatePQ(rng: Rng, file: Uint8Array): { label: string; bytes: Uint8Array } {
  const r = rng.int(10);
  if (r < 2) {
    const m = byteMutation(rng, file);
    return { label: `bytes: ${m.label}`, bytes: m.bytes };
  }
  if (r < 4) return mutateSafetensors(rng, file);
  let label = '';
  const bytes = rewrite(file, (t, meta) => {
    const layers = JSON.parse(meta.layers) as Record<string, Record<string, unknown>>;
    const names = Object.keys(layers);
    const name = pick(rng, names);
    if (r < 6) {
      const m = mutateJson(rng, layers);
      label = `layers metadata ${m.label}`;
      meta.layers = stringifyJson(m.value);
    } else if (r < 8) {
      const topo = JSON.parse(strFromU8(inflateSync((t.get('__whittle__/topology') as { bytes: Uint8Array }).bytes)));
      const m = mutateJson(rng, topo);
      label = `topology ${m.label}`;
      const z = deflateSync(strToU8(stringifyJson(m.value)));
      t.set('__whittle__/topology', { dtype: 'U8', shape: [z.length], data: z });
    } else if (r === 8) {
      const key = `${name}/kernel.code_lengths`;
      const lens = t.get(key);
      if (lens && 'bytes' in lens) {
        const v = lens.bytes.slice();
        const how = rng.int(4);
        if (how === 0) v.fill(0);
        else if (how === 1) v.fill(1); // Kraft sum > 1
        else if (how === 2) v[rng.int(v.length)] = pick(rng, [25, 32, 64, 255]);
        else for (let i = 0; i < v.length; i++) v[i] = rng.int(256);
        label = `Huffman code lengths (${['all 0', 'all 1', 'one too long', 'random'][how]}) of ${name}`;
        t.set(key, { dtype: 'U8', shape: [v.length], data: v });
      } else {
        const codes = t.get(`${name}/kernel.codes`) as { bytes: Uint8Array };
        const v = codes.bytes.slice(0, rng.int(codes.bytes.length));
        label = `packed codes of ${name} truncated to ${v.length} bytes`;
        t.set(`${name}/kernel.codes`, { dtype: 'U8', shape: [v.length], data: v });
      }
    } else {
      const field = pick(rng, ['bits', 'count', 'k', 'subspaces', 'blockSize', 'coding', 'centroidDtype']);
      const v = pick(rng, [...HOSTILE_NUMBERS, 1e9, 31, 32, 'huffman', 'packed', 'F64']);
      label = `layer ${name}: ${field} = ${JSON.stringify(v)}`;
      layers[name][field] = v;
      meta.layers = JSON.stringify(layers);
    }
  });
  return { label, bytes };
}

export const pqTarget: FuzzTarget = {
  name: 'pq',
  async setup(corpus) {
    if (SEEDS.every((s) => existsSync(join(corpus, s)))) return;
    const model = createModel('resnet20', { inputShape: [8, 8, 3], seed: 3 });
    const { model: pq } = await runIPQ(model, { config: { k: 8, iterations: 2 } });
    writeFileSync(join(corpus, 'packed.pq'), await encodePQModel(pq, { coding: 'packed' }));
    writeFileSync(join(corpus, 'huffman.pq'), await encodePQModel(pq, { coding: 'huffman', centroidDtype: 'F32' }));
    pq.dispose();
    model.dispose();
  },
  async run({ rng, corpus, label, reading }) {
    const seed = new Uint8Array(readFileSync(join(corpus, pick(rng, SEEDS))));
    const m = mutatePQ(rng, seed);
    label(m.label);
    reading();
    const { model } = await decodePQModel(m.bytes, 'fuzz.pq');
    try {
      // a decoded model must run: errors belong at load time, not inside predict
      const shape = model.inputs[0].shape.slice(1) as number[];
      if (shape.reduce((a, b) => a * b, 1) <= 4096) tf.tidy(() => (model.predict(tf.zeros([1, ...shape])) as tf.Tensor).dataSync());
    } finally {
      model.dispose();
    }
  },
};
