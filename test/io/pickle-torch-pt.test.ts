import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync, unzipSync } from 'fflate';
import { readTorchFile } from '../../src/io/torch-pt.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'clip');
const SHARED = join(import.meta.dirname, '..', '..', '..', 'shared', 'clip');
const read = (p: string) => new Uint8Array(readFileSync(p));

test('torch-pt: strided/offset views, bf16, f16, f64, int64, bool, nested checkpoint dict', () => {
  const f = readTorchFile(read(join(FIX, 'torch-misc.pt')));
  assert.equal(f.kind, 'state_dict');
  const t = (k: string) => f.tensors.get(k)!;
  assert.deepEqual(t('shared').shape, [3, 4]);
  assert.deepEqual(t('transposed').shape, [4, 3]);
  assert.deepEqual(Array.from(t('transposed').data), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
  assert.deepEqual(Array.from(t('offset_row').data), [4, 5, 6, 7]);
  assert.deepEqual(Array.from(t('bf16').data), [1.5, -2.25, Math.fround(0.0030059814453125)].map(Math.fround));
  assert.equal(t('bf16').dtype, 'BF16');
  const f16 = Array.from(t('f16').data);
  assert.ok(Math.abs(f16[0] - 0.1) < 1e-4 && f16[1] === -65504 && Math.abs(f16[2] - 6.1e-5) < 1e-7);
  assert.deepEqual(Array.from(t('f64').data), [1, 2.5]);
  assert.deepEqual(Array.from(t('i64').data), [-3, 2 ** 40 | 0, 7]);
  assert.deepEqual(Array.from(t('flag').data), [1, 0]);
  assert.deepEqual(t('scalar').shape, []);
  assert.deepEqual(Array.from(t('scalar').data), [4.5]);
});

test('torch-pt: shared fp16 state dict and TorchScript archive flatten to the same keys and values', () => {
  const sd = readTorchFile(read(join(FIX, 'rn', 'tiny_rn_state_dict.pt')));
  const jit = readTorchFile(read(join(FIX, 'rn', 'tiny_rn_jit.pt')));
  assert.equal(jit.kind, 'torchscript');
  const golden = JSON.parse(readFileSync(join(FIX, 'rn', 'golden.json'), 'utf8')) as { state_dict_keys: string[] };
  assert.deepEqual([...sd.tensors.keys()], golden.state_dict_keys);
  const extra = [...jit.tensors.keys()].filter((k) => !sd.tensors.has(k));
  assert.deepEqual(extra.sort(), ['context_length', 'input_resolution', 'vocab_size']);
  for (const [k, v] of sd.tensors) {
    const j = jit.tensors.get(k)!;
    assert.deepEqual(j.shape, v.shape, k);
    assert.deepEqual(j.data, v.data, k);
  }
  const vit = readTorchFile(read(join(SHARED, 'tiny_vit', 'tiny_clip_vit_state_dict.pt')));
  assert.equal(vit.tensors.size, 62);
  assert.equal(vit.tensors.get('logit_scale')!.dtype, 'F16');
});

test('torch-pt: clear errors for non-zip, missing data.pkl and missing storages', () => {
  assert.throws(() => readTorchFile(Uint8Array.from([0x80, 0x02, 0x8a]), 'old.pt'), /legacy pre-1\.6/);
  assert.throws(() => readTorchFile(zipSync({ 'x/other.txt': new Uint8Array(1) }), 'z.pt'), /no <root>\/data\.pkl/);
  const misc = readFileSync(join(FIX, 'rn', 'tiny_rn_state_dict.pt'));
  const entries = unzipSync(new Uint8Array(misc));
  const pkl = Object.keys(entries).find((k) => k.endsWith('data.pkl'))!;
  const root = pkl.slice(0, -'data.pkl'.length);
  delete entries[`${root}data/0`];
  assert.throws(() => readTorchFile(zipSync(entries), 'cut.pt'), /storage data\/0 is missing/);
});
