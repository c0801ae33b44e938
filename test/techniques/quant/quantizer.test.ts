import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onBackend, randomArray, tf } from '../../helpers/backends.js';
import {
  clampRange,
  fakeQuantArray,
  minMaxOf,
  qparamsFromRange,
  quantizeCodes,
  roundHalfEven,
  type QParams,
} from '../../../src/techniques/quant/quantizer.js';
import { fakeQuant, qTensors } from '../../../src/techniques/quant/ste.js';

const tensorQ = (data: Float32Array, shape: number[], qp: QParams) =>
  tf.tidy(() => {
    const q = qTensors(qp, shape.length);
    return Float32Array.from(fakeQuant(tf.tensor(data, shape), q).dataSync(), (v) => v + 0); // −0 → 0
  });

test('round half to even matches tf.round', () => {
  const xs = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49, -0.51, 7.5000001];
  const ref = tf.tidy(() => tf.round(tf.tensor(xs)).dataSync().slice());
  assert.deepEqual(xs.map((x) => roundHalfEven(Math.fround(x)) + 0), Array.from(ref, (v) => v + 0));
});

for (const bits of [2, 3, 4, 5, 8]) {
  test(`closed form of q for b = ${bits}: range [0, 2^b − 1] gives s = 1, z = 0, q = clamp(round(w))`, async () => {
    const L = 2 ** bits;
    const qp = qparamsFromRange({ min: [0], max: [L - 1] }, bits, false, null);
    assert.equal(qp.scale[0], 1);
    assert.equal(qp.zeroPoint[0], 0);
    const w = Float32Array.from([-5, -0.4, 0.3, 1.7, L / 2 + 0.2, L - 1.2, L - 1, L + 3]);
    const want = Array.from(w, (v) => Math.min(L - 1, Math.max(0, Math.round(v))));
    assert.deepEqual(Array.from(fakeQuantArray(w, [w.length], qp)), want);
    for (const b of ['cpu', 'wasm'] as const) {
      assert.deepEqual(Array.from(await onBackend(b, () => tensorQ(w, [w.length], qp))), want, b);
    }
  });
}

test('closed form, affine with zero point: range [−1, 2], b = 2 → s = 1, z = 1, levels {−1, 0, 1, 2}', () => {
  const qp = qparamsFromRange({ min: [-1], max: [2] }, 2, false, null);
  assert.equal(qp.scale[0], 1);
  assert.equal(qp.zeroPoint[0], 1);
  const w = Float32Array.from([0.4, -1.7, 1.6, 5, -0.6]);
  assert.deepEqual(Array.from(fakeQuantArray(w, [5], qp)), [0, -1, 2, 2, -1]);
  const { lo, hi } = clampRange(qp);
  assert.deepEqual([lo[0], hi[0]], [-1, 2]);
});

test('closed form, symmetric: z = 2^(b−1), s = a/(2^(b−1) − 1), ±a exact, one extra negative level', () => {
  for (const bits of [3, 4, 8]) {
    const L = 2 ** bits;
    const a = 0.75;
    const qp = qparamsFromRange({ min: [-0.2], max: [a] }, bits, true, null);
    const s = qp.scale[0];
    assert.equal(qp.zeroPoint[0], L / 2);
    assert.equal(s, Math.fround(a / (L / 2 - 1)));
    const q = fakeQuantArray(Float32Array.from([a, -a, 0, -10, 10]), [5], qp);
    assert.ok(Math.abs(q[0] - a) < 1e-6 && Math.abs(q[1] + a) < 1e-6 && q[2] === 0);
    assert.equal(q[3], Math.fround(-(L / 2) * s));
    assert.ok(Math.abs(q[4] - a) < 1e-6);
  }
});

test('int4 uses exactly 16 levels spanning its own range (not the first 16 of an 8-bit grid)', () => {
  const w = randomArray(5000, 3); // uniform(−1, 1)
  const qp = qparamsFromRange(minMaxOf(w, [w.length], null), 4, false, null);
  const sweep = Float32Array.from({ length: 4001 }, (_, i) => -2 + i / 1000);
  const levelsSeen = new Set(fakeQuantArray(sweep, [sweep.length], qp));
  assert.equal(levelsSeen.size, 16);
  assert.equal(new Set(quantizeCodes(sweep, [sweep.length], qp)).size, 16);
  const q = fakeQuantArray(w, [w.length], qp);
  const span = Math.max(...levelsSeen) - Math.min(...levelsSeen);
  assert.ok(span >= 2 && span < 2.3, `levels span ${span}, expected ≈ 2 (the whole range)`);
  assert.ok(new Set(q).size >= 15);
  for (let i = 0; i < w.length; i++) assert.ok(Math.abs(q[i] - w[i]) <= qp.scale[0] / 2 + 1e-6, 'min/max grid covers the data');
});

test('per-output-channel: conv HWIO axis 3 and dense [in, out] axis 1 each get their own scale', async () => {
  for (const shape of [[3, 3, 2, 4], [6, 5]]) {
    const n = shape.reduce((a, b) => a * b, 1);
    const C = shape[shape.length - 1];
    const w = randomArray(n, 7).map((v, i) => v * ((i % C) + 1)); // channel c spans ±(c + 1)
    const qp = qparamsFromRange(minMaxOf(w, shape, shape.length - 1), 8, false, shape.length - 1);
    assert.equal(qp.scale.length, C);
    for (let c = 1; c < C; c++) assert.ok(qp.scale[c] > qp.scale[c - 1] * 1.2);
    const q = fakeQuantArray(w, shape, qp);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(q[i] - w[i]) <= qp.scale[i % C] / 2 + 1e-6);
    for (const b of ['cpu', 'wasm'] as const) {
      const t = await onBackend(b, () => tensorQ(w, shape, qp));
      assert.deepEqual(Array.from(t), Array.from(q), `${b} tensor path equals the JS path bit for bit`);
    }
  }
});

test('tensor path equals JS path bit for bit for every b (cpu, wasm)', async () => {
  const w = randomArray(4096, 11).map((v) => v * 3);
  for (const bits of [2, 4, 6, 8]) {
    for (const symmetric of [false, true]) {
      const qp = qparamsFromRange({ min: [-2], max: [2.5] }, bits, symmetric, null);
      const js = fakeQuantArray(w, [w.length], qp);
      for (const b of ['cpu', 'wasm'] as const) {
        assert.deepEqual(Array.from(await onBackend(b, () => tensorQ(w, [w.length], qp))), Array.from(js), `${b} b=${bits}`);
      }
    }
  }
});

test('constant tensors get the minimum scale instead of dividing by zero', () => {
  const qp = qparamsFromRange({ min: [0], max: [0] }, 8, false, null);
  assert.ok(qp.scale[0] > 0);
  assert.deepEqual(Array.from(fakeQuantArray(new Float32Array(4), [4], qp)), [0, 0, 0, 0]);
});
