/**
 * Gather and UnsortedSegmentSum as Whittle ships them (native kernels; the cpu/wasm segment sum that
 * PQ registers) against an independent oracle: segment sum = oneHot(ids)ᵀ · x, gather = oneHot(ids) · x.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { relError, randomArray, tf } from '../helpers/backends.js';
import { initBackend, type BackendName } from '../../src/engine/backend.js';
import { registerSegmentSumKernels } from '../../src/techniques/pq/segment-sum-kernels.js';
import { nativeSkipReason } from './native-helpers.js';

registerSegmentSumKernels();
const nativeSkip = await nativeSkipReason();
const ROWS = 37;
const INNER = [3, 3]; // a 9-element block, as PQ's 3×3 kernels
const N = 500;

function ids(n: number, hi: number, seed: number, outOfRange = false): Int32Array {
  const r = randomArray(n, seed);
  return Int32Array.from(r, (v, i) => (outOfRange && i % 50 === 7 ? (i % 100 === 7 ? -1 : hi) : Math.floor(((v + 1) / 2) * hi) % hi));
}

/** Oracle on the cpu backend with matmuls only (no gather / segment kernels). */
async function oracle(kind: 'sum' | 'gather', x: Float32Array, xShape: number[], idx: Int32Array, n: number): Promise<Float32Array> {
  await initBackend('cpu');
  return tf.tidy(() => {
    const x2 = tf.tensor2d(x, [xShape[0], x.length / xShape[0]]);
    const oh = tf.cast(tf.oneHot(tf.tensor1d(idx, 'int32'), n), 'float32'); // out-of-range ids give a zero row
    return (kind === 'sum' ? tf.matMul(oh, x2, true, false) : tf.matMul(oh, x2)).dataSync() as Float32Array;
  });
}

const backends: Array<{ name: BackendName; skip?: string }> = [{ name: 'cpu' }, { name: 'wasm' }, { name: 'native', skip: nativeSkip }];

for (const b of backends) {
  test(`${b.name}: unsortedSegmentSum equals oneHot(ids)ᵀ·x, out-of-range ids dropped`, { skip: b.skip }, async () => {
    const x = randomArray(N * 9, 3);
    const idx = ids(N, ROWS, 4, true);
    const want = await oracle('sum', x, [N, ...INNER], idx, ROWS);
    await initBackend(b.name);
    const got = tf.tidy(() => tf.unsortedSegmentSum(tf.tensor3d(x, [N, 3, 3]), tf.tensor1d(idx, 'int32'), ROWS).dataSync() as Float32Array);
    assert.ok(relError(got, want) < 1e-6, `rel err ${relError(got, want)}`);
    await initBackend('cpu');
  });

  test(`${b.name}: gather along axis 0 equals oneHot(ids)·x, and its gradient is the segment sum`, { skip: b.skip }, async () => {
    const x = randomArray(ROWS * 9, 5);
    const idx = ids(N, ROWS, 6);
    const want = await oracle('gather', x, [ROWS, 9], idx, ROWS);
    const dy = randomArray(N * 9, 7);
    const wantGrad = await oracle('sum', dy, [N, 9], idx, ROWS);
    await initBackend(b.name);
    const [got, grad] = tf.tidy(() => {
      const xt = tf.tensor2d(x, [ROWS, 9]);
      const it = tf.tensor1d(idx, 'int32');
      const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.gather(a, it), tf.tensor2d(dy, [N, 9]))))(xt);
      return [tf.gather(xt, it).dataSync() as Float32Array, g.dataSync() as Float32Array];
    });
    assert.ok(relError(got, want) === 0, `gather rel err ${relError(got, want)}`);
    assert.ok(relError(grad, wantGrad) < 1e-6, `gradient rel err ${relError(grad, wantGrad)}`);
    await initBackend('cpu');
  });
}

test('native: gather with an out-of-range index throws instead of reading past the rows', { skip: nativeSkip }, async () => {
  await initBackend('native');
  assert.throws(() => tf.tidy(() => tf.gather(tf.ones([4, 2]), tf.tensor1d([0, 4], 'int32')).dataSync()), /index 4|not in/);
  await initBackend('cpu');
});
