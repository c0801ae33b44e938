import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onBackend } from '../helpers/backends.js';
import { createModel } from '../../src/models/registry.js';
import { weightBytes } from './helpers.js';

function sameBytes(a: Map<string, Float32Array>, b: Map<string, Float32Array>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || Buffer.compare(Buffer.from(v.buffer, v.byteOffset, v.byteLength), Buffer.from(w.buffer, w.byteOffset, w.byteLength)) !== 0) return false;
  }
  return true;
}

function stats(v: Float32Array): { mean: number; std: number; maxAbs: number } {
  let s = 0;
  let s2 = 0;
  let m = 0;
  for (const x of v) {
    s += x;
    s2 += x * x;
    m = Math.max(m, Math.abs(x));
  }
  const mean = s / v.length;
  return { mean, std: Math.sqrt(s2 / v.length - mean * mean), maxAbs: m };
}

for (const name of ['vanilla', 'resnet20']) {
  test(`${name}: same seed ⇒ bit-identical weights on cpu and wasm; other seed differs`, async () => {
    const a = await onBackend('cpu', () => weightBytes(createModel(name, { seed: 42 })));
    const b = await onBackend('wasm', () => weightBytes(createModel(name, { seed: 42 })));
    const c = await onBackend('wasm', () => weightBytes(createModel(name, { seed: 43 })));
    assert.ok(sameBytes(a, b), 'seed 42 on cpu vs wasm');
    assert.ok(!sameBytes(a, c), 'seed 42 vs 43');
  });
}

test('vanilla uses PyTorch defaults: U(±1/√fan_in) for weights and biases', () => {
  const w = weightBytes(createModel('vanilla', { seed: 1 }));
  const check = (key: string, fanIn: number) => {
    const s = stats(w.get(key) as Float32Array);
    const bound = 1 / Math.sqrt(fanIn);
    assert.ok(s.maxAbs <= bound, `${key} within ±${bound}`);
    if ((w.get(key) as Float32Array).length > 1000) assert.ok(Math.abs(s.std - bound / Math.sqrt(3)) / (bound / Math.sqrt(3)) < 0.05, `${key} std ${s.std}`);
  };
  check('conv1/kernel', 27);
  check('conv1/bias', 27);
  check('conv2/kernel', 288);
  check('fc/kernel', 32768);
  check('fc/bias', 32768);
});

test('resnet uses the SFP scheme: conv N(0, √(2/(k²·out))), BN γ=1 β=0, fc kaiming-normal, bias 0', () => {
  const w = weightBytes(createModel('resnet56', { seed: 2 }));
  const conv = stats(w.get('stage3.block4.conv1/kernel') as Float32Array);
  assert.ok(Math.abs(conv.std - Math.sqrt(2 / (9 * 64))) < 0.02 * Math.sqrt(2 / (9 * 64)), `conv std ${conv.std}`);
  assert.ok(Math.abs(conv.mean) < 0.002);
  const fc = stats(w.get('fc/kernel') as Float32Array);
  assert.ok(Math.abs(fc.std - Math.sqrt(2 / 64)) < 0.1 * Math.sqrt(2 / 64), `fc std ${fc.std}`);
  assert.ok((w.get('fc/bias') as Float32Array).every((x) => x === 0));
  assert.ok((w.get('stage2.block1.bn2/gamma') as Float32Array).every((x) => x === 1));
  assert.ok((w.get('stage2.block1.bn2/beta') as Float32Array).every((x) => x === 0));
  assert.ok((w.get('bn1/moving_mean') as Float32Array).every((x) => x === 0));
  assert.ok((w.get('bn1/moving_variance') as Float32Array).every((x) => x === 1));
  assert.ok(![...w.keys()].some((k) => /conv\d?\/bias/.test(k)), 'ResNet convs have no bias');
});

test('vgg16 uses the torchvision scheme: conv N(0, √(2/(k²·out))) with zero bias, fc N(0, 0.01)', () => {
  const w = weightBytes(createModel('vgg16', { seed: 3 }));
  const conv = stats(w.get('conv4_2/kernel') as Float32Array);
  assert.ok(Math.abs(conv.std - Math.sqrt(2 / (9 * 512))) < 0.01 * Math.sqrt(2 / (9 * 512)), `conv std ${conv.std}`);
  assert.ok((w.get('conv4_2/bias') as Float32Array).every((x) => x === 0));
  const fc = stats(w.get('fc/kernel') as Float32Array);
  assert.ok(Math.abs(fc.std - 0.01) < 0.001, `fc std ${fc.std}`);
});
