/** safetensors: readSafetensors + typed views of every tensor, as the CLIP and checkpoint loaders use them. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { float32ToHalf, readSafetensors, toTypedArray, writeSafetensors } from '../../../src/io/safetensors.js';
import type { FuzzTarget } from '../target.js';
import { mutateSafetensors } from './safetensors-mutations.js';

export const safetensorsTarget: FuzzTarget = {
  name: 'safetensors',
  async setup(corpus) {
    const f = join(corpus, 'seed.safetensors');
    if (existsSync(f)) return;
    writeFileSync(f, writeSafetensors({
      'a.weight': { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
      'a.half': { dtype: 'F16', shape: [4], data: float32ToHalf(Float32Array.from([0.5, -1, 2, 65504])) },
      'b.long': { dtype: 'I64', shape: [2, 2], data: BigInt64Array.from([1n, -2n, 3n, 4n]) },
      'b.empty': { dtype: 'U8', shape: [0], data: new Uint8Array(0) },
      'c.mask': { dtype: 'BOOL', shape: [3], data: Uint8Array.from([1, 0, 1]) },
      'c.bf': { dtype: 'BF16', shape: [1, 2], data: Uint16Array.from([0x3f80, 0xc000]) },
      'c.scalar': { dtype: 'I32', shape: [], data: Int32Array.from([7]) },
      'd.f64': { dtype: 'F64', shape: [2], data: Float64Array.from([1.5, -2.5]) },
    }, { producer: 'whittle-fuzz', note: 'seed' }));
  },
  async run({ rng, corpus, label, reading }) {
    const m = mutateSafetensors(rng, new Uint8Array(readFileSync(join(corpus, 'seed.safetensors'))));
    label(m.label);
    reading();
    const st = readSafetensors(m.bytes, 'fuzz.safetensors');
    for (const t of st.tensors.values()) toTypedArray(t);
  },
};
