import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomArray, relError, tf } from '../helpers/backends.js';
import { initBackend } from '../../src/engine/backend.js';
import { tfl } from '../../src/engine/tf.js';
import { BufferPool } from '../../src/engine/native/pool.js';
import { expectFlatMemory, nativeSkipReason, trainSteps, type TrainRun } from './native-helpers.js';

const skip = await nativeSkipReason();

/** Deterministic weights: BN variances and gammas near 1, everything else small (seeds seed, seed+1, ...). */
function withRandomWeights(m: tfl.LayersModel, seed: number): tfl.LayersModel {
  const names = m.weights.map((v) => v.originalName);
  m.setWeights(m.getWeights().map((w, i) => {
    const isVar = names[i].includes('moving_variance') || names[i].includes('gamma');
    const v = randomArray(w.size, seed + i).map((a) => (isVar ? 1 + 0.1 * a : 0.3 * a));
    return tf.tensor(v, w.shape);
  }));
  return m;
}

/** Small conv + BN + residual-free net; weights set from a fixed LCG so both backends start equal. */
function makeNet(): tfl.LayersModel {
  const input = tfl.input({ shape: [12, 12, 3] });
  let x = tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'conv1' }).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.reLU().apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'conv2' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5, name: 'bn' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reLU().apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.flatten().apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dense({ units: 10, name: 'fc' }).apply(x) as tfl.SymbolicTensor;
  const m = tfl.model({ inputs: input, outputs: x });
  return withRandomWeights(m, 100);
}

/**
 * Residual net as the CIFAR ResNets are built: conv-BN-ReLU-conv-BN, Add with the shortcut, ReLU (fused on
 * native into lazy batch-norm passes), plus a BN whose output has two consumers (ReLU and a second
 * branch) and a BN feeding an Add that is not followed by a ReLU, which must not be fused.
 */
function makeResNet(filters = 8): tfl.LayersModel {
  type S = tfl.SymbolicTensor;
  const bn = (name: string) => tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5, name });
  const conv = (x: S, name: string) => tfl.layers.conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false, name }).apply(x) as S;
  const input = tfl.input({ shape: [12, 12, 3] });
  const stem = bn('bn0').apply(conv(input, 'conv0')) as S;
  let x = tfl.layers.reLU().apply(stem) as S;
  const side = tfl.layers.multiply().apply([stem, stem]) as S; // second consumer of bn0's output
  let y = tfl.layers.reLU().apply(bn('bn1').apply(conv(x, 'conv1'))) as S;
  y = bn('bn2').apply(conv(y, 'conv2')) as S;
  x = tfl.layers.reLU().apply(tfl.layers.add().apply([x, y])) as S;
  const z = bn('bn3').apply(conv(x, 'conv3')) as S;
  x = tfl.layers.add().apply([z, x]) as S; // no ReLU after this Add
  x = tfl.layers.add().apply([x, side]) as S;
  x = tfl.layers.flatten().apply(x) as S;
  x = tfl.layers.dense({ units: 10, name: 'fc' }).apply(x) as S;
  const m = tfl.model({ inputs: input, outputs: x });
  return withRandomWeights(m, 200);
}

function batch(step: number): { x: tf.Tensor; y: tf.Tensor } {
  return tf.tidy(() => {
    const x = tf.tensor(randomArray(8 * 12 * 12 * 3, 7 + step), [8, 12, 12, 3]);
    const y = tf.oneHot(tf.tensor1d(Array.from({ length: 8 }, (_, i) => (i * 3 + step) % 10), 'int32'), 10);
    return { x, y };
  });
}

async function trajectory(backend: 'cpu' | 'native', steps: number, make = makeNet): Promise<TrainRun> {
  await initBackend(backend);
  return trainSteps(make(), steps, batch);
}

/**
 * Trains `make()` for `steps` steps on cpu and on native: every loss and every final weight (including
 * BatchNorm's moving mean/variance) agree within 1e-4 relative. Returns the cpu losses.
 */
async function expectCpuTrajectory(make: () => tfl.LayersModel, steps: number): Promise<number[]> {
  const ref = await trajectory('cpu', steps, make);
  const got = await trajectory('native', steps, make);
  for (let i = 0; i < ref.losses.length; i++) {
    const rel = Math.abs(got.losses[i] - ref.losses[i]) / Math.abs(ref.losses[i]);
    assert.ok(rel < 1e-4, `step ${i}: native loss ${got.losses[i]} vs cpu ${ref.losses[i]} (rel ${rel})`);
  }
  ref.weights.forEach((w, i) => {
    const e = relError(got.weights[i], w);
    assert.ok(e < 1e-4, `weight ${i}: rel err ${e}`);
  });
  return ref.losses;
}

/** numTensors is the same after every native step from the third on. */
async function expectFlatTensors(make: () => tfl.LayersModel, steps: number): Promise<void> {
  const { tensors } = await trajectory('native', steps, make);
  assert.deepEqual(tensors.slice(2), new Array(tensors.length - 2).fill(tensors[2]), `numTensors per step: ${tensors}`);
}

test('native training steps follow the cpu loss trajectory', { skip }, async () => {
  const losses = await expectCpuTrajectory(makeNet, 5);
  assert.ok(losses[4] < losses[0], 'the reference loss should decrease');
});

test('native training of a residual net (fused batch norm + add + ReLU) follows the cpu trajectory', { skip }, async () => {
  const losses = await expectCpuTrajectory(makeResNet, 5);
  assert.ok(losses[4] < losses[0], 'the reference loss should decrease');
  await expectFlatTensors(makeResNet, 6);
});

test('native training with Winograd convs (32 channels: blocked copies, one-call backward) follows the cpu trajectory', { skip }, async () => {
  // conv1..conv3 run oneDNN's Winograd on native: their activations stay in the blocked layout between
  // kernels, x's blocked copy is kept from the forward pass, and both backward passes run in one call.
  const make = (): tfl.LayersModel => makeResNet(32);
  await expectCpuTrajectory(make, 4);
  await expectFlatTensors(make, 5);
});

test('native training with 16-channel direct convs (batch statistics from the conv) follows the cpu trajectory', { skip }, async () => {
  // conv1..conv3 run Whittle's AVX-512 direct kernel where the CPU has it: forward, backward-data on flipped
  // weights, and the per-channel sums bn1..bn3 read instead of making their own statistics pass.
  const make = (): tfl.LayersModel => makeResNet(16);
  await expectCpuTrajectory(make, 4);
  await expectFlatTensors(make, 5);
});

test('saved tensors: first-order gradients save plain handles, nested gradients still flow through saved values', { skip }, async () => {
  await initBackend('native');
  const x = tf.tensor1d([0.5, -1.5, 2]);
  // sum(x^3 sin x): Mul saves both inputs and Sin saves x; the second derivative reads them on the outer tape.
  const f = (t: tf.Tensor): tf.Tensor => tf.sum(tf.mul(tf.mul(t, t), tf.mul(t, tf.sin(t))));
  const before = tf.memory().numTensors;
  const g1 = tf.grad(f)(x); // 3x^2 sin x + x^3 cos x
  const g2 = tf.grad((t: tf.Tensor) => tf.sum(tf.grad(f)(t)))(x); // 6x sin x + 6x^2 cos x - x^3 sin x
  const xs = [0.5, -1.5, 2];
  const want1 = xs.map((v) => 3 * v ** 2 * Math.sin(v) + v ** 3 * Math.cos(v));
  const want2 = xs.map((v) => 6 * v * Math.sin(v) + 6 * v ** 2 * Math.cos(v) - v ** 3 * Math.sin(v));
  assert.ok(relError(g1.dataSync() as Float32Array, Float32Array.from(want1)) < 1e-5, `first derivative ${g1.dataSync()}`);
  assert.ok(relError(g2.dataSync() as Float32Array, Float32Array.from(want2)) < 1e-5, `second derivative ${g2.dataSync()}`);
  tf.dispose([g1, g2]);
  assert.equal(tf.memory().numTensors, before, 'no tensor leaked by the saved handles');
  x.dispose();
});

test('native training keeps numTensors flat and recycles buffers', { skip }, async () => {
  const { nativePool } = await import('../../src/engine/native/index.js');
  const before = nativePool()!.stats.reused;
  await expectFlatTensors(makeNet, 8);
  assert.ok(nativePool()!.stats.reused > before, 'the pool should reuse buffers across steps');
});

test('a dataSync() array is never recycled by the pool', { skip }, async () => {
  await initBackend('native');
  const x = tf.tensor(randomArray(64 * 1024, 3), [64, 1024]);
  const y = tf.relu(x);
  const view = y.dataSync() as Float32Array;
  const copy = view.slice();
  y.dispose();
  for (let i = 0; i < 10; i++) tf.dispose([tf.neg(x), tf.add(x, x), tf.relu(tf.neg(x))]);
  assert.deepEqual(view, copy);
  // A non-escaped buffer of the same size is recycled.
  const { nativePool } = await import('../../src/engine/native/index.js');
  const reused = nativePool()!.stats.reused;
  tf.dispose([tf.neg(x), tf.neg(x)]);
  assert.ok(nativePool()!.stats.reused > reused);
  x.dispose();
});

test('BufferPool recycles only when every holder (including views) is gone and nothing escaped', () => {
  const pool = new BufferPool({ minElements: 4 });
  const a = pool.alloc(16);
  pool.hold(a);
  const view = a.subarray(4, 8); // e.g. a cpu Slice sharing the buffer
  pool.hold(view);
  pool.release(a);
  assert.notEqual(pool.alloc(16), a, 'still held by the view');
  pool.release(view);
  assert.equal(pool.alloc(16), a, 'recycled after the last holder');
  const b = pool.alloc(32);
  pool.hold(b);
  pool.escape(b);
  pool.release(b);
  assert.notEqual(pool.alloc(32), b, 'escaped arrays are never reused');
  assert.equal(pool.alloc(2).length, 2); // small arrays bypass the pool
});

test('native training keeps resident memory flat', { skip }, async () => {
  await initBackend('native');
  expectFlatMemory(makeNet(), batch(0), 50, 200);
});

test('lazy backprop-input outputs: computed when read, skipped (deps released) when disposed unread', { skip }, async () => {
  await initBackend('native');
  const dy = tf.tensor(randomArray(2 * 5 * 5 * 4, 1), [2, 5, 5, 4]);
  const w = tf.tensor(randomArray(3 * 3 * 3 * 4, 2), [3, 3, 3, 4]);
  const run = () => tf.conv2dTranspose(dy as tf.Tensor4D, w as tf.Tensor4D, [2, 5, 5, 3], 1, 'same');
  const first = run().dataSync().slice(); // first call per geometry runs eagerly
  const buffers = tf.memory().numDataBuffers;
  const lazy = run();
  assert.deepEqual(lazy.dataSync(), first);
  lazy.dispose();
  run().dispose(); // never read
  assert.equal(tf.memory().numDataBuffers, buffers, 'pending outputs must release their inputs');
  tf.dispose([dy, w]);
});
