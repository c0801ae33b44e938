import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomArray, relError, tf } from '../helpers/backends.js';
import { initBackend } from '../../src/engine/backend.js';
import { tfl } from '../../src/engine/tf.js';
import { createResNetCifar } from '../../src/models/resnet-cifar.js';
import { createModel } from '../../src/models/registry.js';
import { planOf } from '../../src/engine/native/plan/index.js';
import { expectFlatMemory, nativeSkipReason, trainSteps, type TrainRun } from './native-helpers.js';

const skip = await nativeSkipReason();

/**
 * ResNet-8 on 12x12 inputs: one block per stage covers every step of the plan: the stem conv (3 -> 16),
 * 16-channel direct convs with their batch statistics, a stride-2 conv with its ZeroPadding2D folded in,
 * the option-A shortcut, 32- and 64-channel Winograd convs on blocked activations, the global pool and
 * the dense layer.
 */
const makeNet = (): tfl.LayersModel => createResNetCifar(8, { inputShape: [12, 12, 3], seed: 3 });

function batch(step: number): { x: tf.Tensor; y: tf.Tensor } {
  return tf.tidy(() => ({
    x: tf.tensor(randomArray(8 * 12 * 12 * 3, 11 + step), [8, 12, 12, 3]),
    y: tf.oneHot(tf.tensor1d(Array.from({ length: 8 }, (_, i) => (i * 7 + step) % 10), 'int32'), 10),
  }));
}

/** The vanilla CNN on 12x12 inputs: biased convs (the 32-channel ones on Winograd), standalone ReLUs, Flatten. */
const makeVanilla = (): tfl.LayersModel => createModel('vanilla', { inputShape: [12, 12, 3], seed: 4 });

async function train(backend: 'cpu' | 'native', plan: boolean, steps: number, make = makeNet): Promise<TrainRun> {
  await initBackend(backend);
  const prev = process.env.WHITTLE_NATIVE_PLAN;
  process.env.WHITTLE_NATIVE_PLAN = plan ? '1' : '0';
  try {
    const model = make();
    if (backend === 'native' && plan) assert.equal(typeof planOf(model), 'object', String(planOf(model)));
    return trainSteps(model, steps, batch);
  } finally {
    if (prev === undefined) delete process.env.WHITTLE_NATIVE_PLAN;
    else process.env.WHITTLE_NATIVE_PLAN = prev;
  }
}

function expectSame(got: TrainRun, ref: TrainRun, tol: number, what: string): void {
  got.losses.forEach((l, i) => {
    const rel = Math.abs(l - ref.losses[i]) / Math.abs(ref.losses[i]);
    assert.ok(rel < tol, `${what}: step ${i} loss ${l} vs ${ref.losses[i]} (rel ${rel})`);
  });
  got.weights.forEach((w, i) => assert.ok(relError(w, ref.weights[i]) < tol, `${what}: weight ${i} rel err ${relError(w, ref.weights[i])}`));
}

test('the zoo ResNets and the vanilla CNN get a native training plan; other graphs say why not', { skip }, async () => {
  await initBackend('native');
  for (const name of ['resnet20', 'resnet56']) {
    const m = createModel(name, { seed: 1 });
    const p = planOf(m);
    assert.ok(typeof p !== 'string', `${name}: ${String(p)}`);
    assert.equal(p.params.length, m.trainableWeights.length, `${name}: every trainable weight is a plan input`);
    m.dispose();
  }
  const vanilla = createModel('vanilla', { seed: 1 });
  assert.equal(typeof planOf(vanilla), 'object', String(planOf(vanilla)));
  vanilla.dispose();
  const vgg = createModel('vgg16', { seed: 1 });
  assert.match(String(planOf(vgg)), /MaxPooling2D\) is not covered/);
  vgg.dispose();
  const input = tfl.input({ shape: [8, 8, 3] });
  const pooled = tfl.layers.globalAveragePooling2d({}).apply(
    tfl.layers.conv2d({ filters: 4, kernelSize: 3, useBias: false }).apply(input)) as tfl.SymbolicTensor;
  const headless = tfl.model({ inputs: input, outputs: pooled });
  assert.equal(planOf(headless), 'the output is not a Dense layer');
  headless.dispose();
});

test('a planned training step follows the per-op native path and the cpu trajectory (losses, weights, moving statistics)', { skip }, async () => {
  const planned = await train('native', true, 3);
  const perOp = await train('native', false, 3);
  const cpu = await train('cpu', false, 3);
  expectSame(planned, perOp, 1e-5, 'plan vs per-op');
  expectSame(planned, cpu, 1e-4, 'plan vs cpu');
  assert.deepEqual(planned.tensors.slice(1), new Array(2).fill(planned.tensors[1]), `numTensors per step: ${planned.tensors}`);
});

test('a planned vanilla CNN (conv biases, ReLU and Flatten steps) follows the per-op path and the cpu trajectory', { skip }, async () => {
  const planned = await train('native', true, 3, makeVanilla);
  expectSame(planned, await train('native', false, 3, makeVanilla), 1e-5, 'plan vs per-op');
  expectSame(planned, await train('cpu', false, 3, makeVanilla), 1e-4, 'plan vs cpu');
  assert.deepEqual(planned.tensors.slice(1), new Array(2).fill(planned.tensors[1]), `numTensors per step: ${planned.tensors}`);
});

test('the planned op gives the input gradient (read lazily) as the per-op path does', { skip }, async () => {
  await initBackend('native');
  const model = makeNet();
  const { x, y } = batch(0);
  const grad = (plan: boolean): Float32Array => {
    process.env.WHITTLE_NATIVE_PLAN = plan ? '1' : '0';
    const g = tf.grad((t: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, model.apply(t, { training: true }) as tf.Tensor))(x);
    const v = Float32Array.from(g.dataSync() as Float32Array);
    g.dispose();
    return v;
  };
  try {
    const before = tf.memory().numTensors;
    const a = grad(true);
    const b = grad(false);
    assert.ok(relError(a, b) < 1e-5, `input gradient rel err ${relError(a, b)}`);
    assert.ok(b.some((v) => v !== 0));
    assert.equal(tf.memory().numTensors, before);
  } finally {
    delete process.env.WHITTLE_NATIVE_PLAN;
    tf.dispose([x, y]);
    model.dispose();
  }
});

test('without gradients (training-mode inference) the model runs per op', { skip }, async () => {
  await initBackend('native');
  const model = makeNet();
  const { x, y } = batch(1);
  const out = tf.tidy(() => (model.apply(x, { training: true }) as tf.Tensor).dataSync().slice());
  assert.equal(out.length, 8 * 10);
  assert.ok(out.every(Number.isFinite));
  tf.dispose([x, y]);
  model.dispose();
});

test('planned training keeps numTensors and resident memory flat', { skip }, async () => {
  await initBackend('native');
  const model = makeNet();
  assert.equal(typeof planOf(model), 'object');
  // RSS settles over the first few hundred steps (JIT, allocator, oneDNN caches); a 4000-step probe
  // showed no growth after that.
  expectFlatMemory(model, batch(2), 300, 150);
});
