import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onBackend, randomArray, tf } from '../../helpers/backends.js';
import { Rng } from '../../../src/core/rng.js';
import { ShapeError } from '../../../src/core/errors.js';
import { fakeQuantArray, qparamsFromRange } from '../../../src/techniques/quant/quantizer.js';
import { clampTo, fakeQuant, maskTensor, qTensors, quantNoise } from '../../../src/techniques/quant/ste.js';
import { maskFraction, noiseMask, type NoiseMask } from '../../../src/techniques/quant/noise.js';

// s = 1.875/15 = 0.125 and z = 8 exactly, so the clamp range is [−1, 0.875].
const qp = qparamsFromRange({ min: [-1], max: [0.875] }, 4, false, null);
const plain = (t: tf.Tensor) => Array.from(t.dataSync(), (v) => v + 0);

/** Forward value and gradient of Σ dy·quantNoise(w) for a given mask. */
function run(w: Float32Array, dy: Float32Array, mask: NoiseMask) {
  return tf.tidy(() => {
    const q = qTensors(qp, 1);
    const wt = tf.tensor(w);
    const m = maskTensor(mask, [w.length]);
    const value = plain(quantNoise(wt, q, m));
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(quantNoise(x, q, m), tf.tensor(dy))))(wt);
    return { value, grad: plain(g), q: plain(fakeQuant(wt, q)), clamp: plain(clampTo(wt, q)) };
  });
}

const w = Float32Array.from([-2, -1.05, -1, -0.33, 0, 0.41, 0.9, 1, 1.5, 3]);
const dy = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
const inside = Array.from(w, (v) => v >= -1 && v <= 0.875);

for (const backend of ['cpu', 'wasm'] as const) {
  test(`STE gradient = upstream inside the range, 0 outside, for any mask (${backend})`, async () => {
    const mixed = Uint8Array.from(w, (_, i) => i % 2);
    for (const mask of ['all', 'none', mixed] as NoiseMask[]) {
      const r = await onBackend(backend, () => run(w, dy, mask));
      assert.deepEqual(r.grad, Array.from(dy, (d, i) => (inside[i] ? d : 0)), `mask ${String(mask)}`);
    }
  });

  test(`p = 1 is exactly q(w) (QAT); p = 0 is exactly clamp(w); out-of-range is clipped, not reflected (${backend})`, async () => {
    const all = await onBackend(backend, () => run(w, dy, 'all'));
    assert.deepEqual(all.value, all.q);
    assert.deepEqual(all.q, Array.from(fakeQuantArray(w, [w.length], qp), (v) => v + 0));
    const none = await onBackend(backend, () => run(w, dy, 'none'));
    assert.deepEqual(none.value, Array.from(w, (v) => Math.fround(Math.min(0.875, Math.max(-1, v))) + 0));
    const { hi, lo } = { hi: Math.max(...all.q), lo: Math.min(...all.q) };
    assert.equal(all.value[9], hi, 'w = 3 becomes the top level (fairseq would give 2·hi − 3)');
    assert.equal(all.value[0], lo);
    const mixed = Uint8Array.from(w, (_, i) => i % 2);
    const m = await onBackend(backend, () => run(w, dy, mixed));
    assert.deepEqual(m.value, m.q.map((v, i) => (mixed[i] ? v : m.clamp[i])));
  });
}

test('noise masks: noised fraction ≈ p (±0.02) for element, kernel and block layouts, seeded', () => {
  for (const p of [0.1, 0.5, 0.9]) {
    const el = noiseMask([3, 3, 32, 48], p, 'element', new Rng(1)); // 13 824 draws
    const kern = noiseMask([3, 3, 100, 120], p, 'kernel', new Rng(2)); // 12 000 draws
    const blk = noiseMask([1, 1, 64, 640], p, 8, new Rng(3)); // 5 120 draws × 8
    const dense = noiseMask([200, 60], p, 'element', new Rng(4));
    for (const [name, m] of Object.entries({ el, kern, blk, dense })) {
      assert.ok(Math.abs(maskFraction(m) - p) <= 0.02, `${name} p=${p}: ${maskFraction(m)}`);
    }
  }
  assert.equal(noiseMask([3, 3, 2, 2], 1, 'element', new Rng(0)), 'all');
  assert.equal(noiseMask([3, 3, 2, 2], 0, 'element', new Rng(0)), 'none');
  assert.deepEqual(noiseMask([4, 5], 0.5, 'element', new Rng(9)), noiseMask([4, 5], 0.5, 'element', new Rng(9)));
});

test('noise block layouts: whole kh×kw kernels, and B consecutive input channels per output', () => {
  const [kh, kw, ci, co] = [3, 3, 4, 5];
  const k = noiseMask([kh, kw, ci, co], 0.5, 'kernel', new Rng(5)) as Uint8Array;
  for (let i = 0; i < k.length; i++) assert.equal(k[i], k[i % (ci * co)]);
  const b = noiseMask([kh, kw, ci, co], 0.5, 2, new Rng(6)) as Uint8Array;
  const at = (h: number, x: number, c: number, o: number) => b[((h * kw + x) * ci + c) * co + o];
  for (let o = 0; o < co; o++) for (let c = 0; c < ci; c += 2) assert.equal(at(1, 2, c, o), at(1, 2, c + 1, o));
  assert.throws(() => noiseMask([3, 3, 5, 4], 0.5, 2, new Rng(0)), ShapeError);
});

test('the noised fraction of the forward matches p on ≥ 10k weights', () => {
  const n = 12000;
  const wv = randomArray(n, 4).map((v) => v * 0.85);
  const mask = noiseMask([n / 40, 40], 0.3, 'element', new Rng(8)) as Uint8Array;
  const out = tf.tidy(() => plain(quantNoise(tf.tensor(wv, [n / 40, 40]), qTensors(qp, 2), maskTensor(mask, [n / 40, 40]))));
  const q = fakeQuantArray(wv, [n], qp);
  let changed = 0;
  for (let i = 0; i < n; i++) if (out[i] !== Math.fround(wv[i])) changed++;
  let differs = 0;
  for (let i = 0; i < n; i++) if (q[i] !== Math.fround(wv[i])) differs++;
  // Nearly every weight changes when quantised, so the fraction changed ≈ p.
  assert.ok(differs > 0.999 * n);
  assert.ok(Math.abs(changed / n - 0.3) <= 0.02, `fraction ${changed / n}`);
});
