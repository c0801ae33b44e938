import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { crossEntropy, topKAccuracy, topKCorrect, MeanMeter } from '../../src/train/metrics.js';
import { evaluate } from '../../src/train/evaluate.js';
import { arrayBatches, tinyModel, toyData, CLASSES } from './helpers.js';
import { randomArray } from '../helpers/backends.js';

before(async () => {
  await initBackend('wasm');
});

test('top-k on hand-made logits, ties ranked by class index like tf.topk', () => {
  const logits = [
    [0.1, 0.9, 0.0, 0.5, 0.2, 0.3], // label 1: top-1
    [0.9, 0.1, 0.8, 0.7, 0.6, 0.5], // label 4: rank 4 → top-5 only
    [0.0, 0.1, 0.2, 0.3, 0.4, 0.5], // label 0: rank 5 → neither
    [1, 1, 1, 1, 1, 1], // label 2, all tied: rank 2 → top-5 only
  ];
  const labels = [1, 4, 0, 2];
  const flat = logits.flat();
  assert.equal(topKAccuracy(flat, labels, 6, 1), 0.25);
  assert.equal(topKAccuracy(flat, labels, 6, 5), 0.75);
  const [c1, c5] = tf.tidy(() => {
    const l = tf.tensor2d(logits);
    const y = tf.tensor1d(labels, 'int32');
    return [topKCorrect(l, y, 1).dataSync()[0], topKCorrect(l, y, 5).dataSync()[0]];
  });
  assert.equal(c1, 1);
  assert.equal(c5, 3);
});

test('top-k tensor version agrees with tf.topk on random logits', () => {
  const n = 64;
  const c = 10;
  const data = randomArray(n * c, 7);
  const labels = Int32Array.from({ length: n }, (_, i) => (i * 7) % c);
  for (const k of [1, 3, 5]) {
    const got = tf.tidy(() => topKCorrect(tf.tensor2d(data, [n, c]), tf.tensor1d(labels, 'int32'), k).dataSync()[0]);
    const idx = tf.tidy(() => tf.topk(tf.tensor2d(data, [n, c]), k).indices.arraySync() as number[][]);
    const want = idx.filter((row, i) => row.includes(labels[i])).length;
    assert.equal(got, want, `k=${k}`);
    assert.equal(topKAccuracy(data, labels, c, k), want / n);
  }
});

test('cross-entropy from logits equals −log softmax by hand', () => {
  const logits = [[2, 1, 0], [0, 0, 3]];
  const labels = [0, 1];
  const lse = (r: number[]) => Math.log(r.reduce((a, v) => a + Math.exp(v), 0));
  const want = (lse(logits[0]) - 2 + lse(logits[1]) - 0) / 2;
  const got = tf.tidy(() => crossEntropy(tf.tensor2d(logits), tf.tensor1d(labels, 'int32')).dataSync()[0]);
  assert.ok(Math.abs(got - want) < 1e-6, `${got} vs ${want}`);
  const m = new MeanMeter();
  m.add(1, 3);
  m.add(3, 1);
  assert.equal(m.mean, 1.5);
});

test('evaluate() reports mean loss and top-1/top-5 over uneven batches, training=false', async () => {
  const model = tinyModel(1);
  const data = toyData(37, 2);
  const n0 = tf.memory().numTensors;
  const m = await evaluate(model, arrayBatches(data, 10));
  assert.equal(tf.memory().numTensors, n0);
  assert.equal(m.n, 37);
  const logits = tf.tidy(() => (model.predict(tf.tensor4d(data.x, [37, 8, 8, 3])) as tf.Tensor).dataSync().slice());
  assert.ok(Math.abs(m.top1 - topKAccuracy(logits, data.y, CLASSES, 1)) < 1e-9);
  assert.equal(m.top5, 1); // 4 classes: top-5 always holds
  const loss = tf.tidy(() => crossEntropy(tf.tensor2d(logits, [37, CLASSES]), tf.tensor1d(data.y, 'int32')).dataSync()[0]);
  assert.ok(Math.abs(m.loss - loss) < 1e-5, `${m.loss} vs ${loss}`);
});
