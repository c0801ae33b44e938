import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onBackend, relError, randomArray, tf } from '../helpers/backends.js';

interface Case { n: number; h: number; w: number; ci: number; co: number; k: [number, number]; s: number; pad: 'same' | 'valid' | number }
const cases: Case[] = [
  { n: 2, h: 7, w: 9, ci: 3, co: 5, k: [3, 3], s: 1, pad: 'same' },
  { n: 3, h: 8, w: 8, ci: 4, co: 6, k: [3, 3], s: 2, pad: 'same' },
  { n: 2, h: 9, w: 7, ci: 2, co: 3, k: [3, 3], s: 1, pad: 'valid' },
  { n: 2, h: 11, w: 10, ci: 5, co: 4, k: [3, 3], s: 2, pad: 'valid' },
  { n: 1, h: 6, w: 6, ci: 3, co: 2, k: [1, 1], s: 2, pad: 'valid' },
  { n: 2, h: 5, w: 13, ci: 3, co: 7, k: [5, 3], s: 1, pad: 'same' },
  { n: 2, h: 9, w: 9, ci: 3, co: 4, k: [3, 3], s: 1, pad: 1 },
  { n: 2, h: 8, w: 8, ci: 3, co: 4, k: [7, 7], s: 2, pad: 'same' },
];

function grads(c: Case) {
  const x = tf.tensor4d(randomArray(c.n * c.h * c.w * c.ci, 1), [c.n, c.h, c.w, c.ci]);
  const f = tf.tensor4d(randomArray(c.k[0] * c.k[1] * c.ci * c.co, 2), [c.k[0], c.k[1], c.ci, c.co]);
  const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad), tf.scalar(1.5))),
  );
  const [dx, df] = g([x, f]);
  const out = { dx: dx.dataSync().slice(), df: df.dataSync().slice(), dxShape: dx.shape, dfShape: df.shape };
  tf.dispose([x, f, dx, df]);
  return out;
}

for (const c of cases) {
  test(`wasm conv2d gradients match cpu: ${JSON.stringify(c)}`, async () => {
    const ref = await onBackend('cpu', () => grads(c));
    const got = await onBackend('wasm', () => grads(c));
    assert.deepEqual(got.dxShape, ref.dxShape);
    assert.deepEqual(got.dfShape, ref.dfShape);
    assert.ok(relError(got.dx, ref.dx) <= 1e-5, `dx rel err ${relError(got.dx, ref.dx)}`);
    assert.ok(relError(got.df, ref.df) <= 1e-5, `dW rel err ${relError(got.df, ref.df)}`);
  });
}

test('wasm training kernels do not leak tensors or backend buffers', async () => {
  await onBackend('wasm', () => {
    const c = cases[1];
    grads(c);
    const before = tf.memory();
    for (let i = 0; i < 5; i++) grads(c);
    const after = tf.memory();
    assert.equal(after.numTensors, before.numTensors);
    assert.equal(after.numDataBuffers, before.numDataBuffers);
  });
});

const poolCases: Array<{ shape: [number, number, number, number]; k: number; s: number; pad: 'same' | 'valid' }> = [
  { shape: [1, 8, 8, 3], k: 2, s: 2, pad: 'valid' },
  { shape: [3, 4, 4, 1], k: 2, s: 2, pad: 'valid' },
  { shape: [2, 7, 5, 2], k: 3, s: 2, pad: 'same' },
  { shape: [2, 6, 6, 4], k: 3, s: 1, pad: 'same' },
];
for (const c of poolCases) {
  test(`wasm max-pool gradient matches cpu: ${JSON.stringify(c)}`, async () => {
    const run = () => {
      const x = tf.tensor4d(randomArray(c.shape.reduce((a, b) => a * b, 1), 7), c.shape);
      // A distinct upstream gradient per output element, so a misrouted gradient cannot cancel out.
      const g = tf.grad((a: tf.Tensor) => {
        const y = tf.maxPool(a as tf.Tensor4D, c.k, c.s, c.pad);
        return tf.sum(tf.mul(y, tf.reshape(tf.range(1, 1 + y.size), y.shape)));
      })(x);
      const out = g.dataSync().slice();
      tf.dispose([x, g]);
      return out;
    };
    const ref = await onBackend('cpu', run);
    const got = await onBackend('wasm', run);
    assert.ok(relError(got, ref) <= 1e-6, `rel err ${relError(got, ref)}`);
  });
}
