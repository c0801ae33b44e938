import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, tfl } from '../../../src/engine/tf.js';
import { initBackend } from '../../../src/engine/backend.js';
import { modelParams } from '../../../src/models/params.js';
import {
  bakeQuantization,
  quantizeModel,
  quantLayers,
  stripQuantization,
} from '../../../src/techniques/quant/model.js';
import { input, maxAbsDiff, tinyModel, values } from './helpers.js';

const predict = (m: tfl.LayersModel, x: tf.Tensor, training = false) => tf.tidy(() => values(m.apply(x, { training }) as tf.Tensor));
const kernels = (m: tfl.LayersModel) => modelParams(m).map((p) => ({ key: p.key, data: p.variable.dataSync().slice() }));

test('quantizeModel swaps selected Conv2D/Dense layers, keeps names and weights; strip restores the float model', async () => {
  await initBackend('wasm');
  const m = tinyModel();
  const qm = quantizeModel(m, { bits: 8, observer: { kind: 'minmax' }, exclude: ['fc'] });
  assert.deepEqual(quantLayers(qm).map((l) => l.name), ['conv1', 'stage1.block0.conv1']);
  assert.equal(qm.getLayer('fc').getClassName(), 'Dense');
  assert.deepEqual(kernels(qm), kernels(m));
  const plain = stripQuantization(qm);
  assert.equal(quantLayers(plain).length, 0);
  const x = input();
  assert.deepEqual(predict(plain, x), predict(m, x));
  assert.ok(maxAbsDiff(predict(qm, x), predict(m, x)) > 0, 'evaluation is quantised');
  assert.throws(() => quantizeModel(m, { layers: ['nothing'] }), /no Conv2D\/Dense layer matches/);
  x.dispose();
});

test('evaluation is fully quantised and equals the baked plain model; p = 1 training forward = QAT = eval weights', async () => {
  const m = tinyModel(3);
  const qm = quantizeModel(m, { bits: 4, noiseRate: 1, observer: { kind: 'minmax' }, perChannel: true });
  const x = input(3);
  const evalOut = predict(qm, x);
  const baked = bakeQuantization(qm);
  assert.ok(maxAbsDiff(predict(baked, x), evalOut) < 1e-5);
  // No BN/dropout: with p = 1 a training forward uses exactly q(w) as well.
  assert.deepEqual(predict(qm, x, true), evalOut);
  const qm0 = quantizeModel(m, { bits: 4, noiseRate: 0, observer: { kind: 'minmax' }, perChannel: true });
  assert.deepEqual(predict(qm0, x, true), predict(m, x), 'p = 0 with a min/max range: clamp(w) = w, the float forward');
  x.dispose();
});

test('stored float weights are unchanged after noisy forward/backward steps; numTensors flat', async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    await initBackend(backend);
    const m = tinyModel(5);
    const qm = quantizeModel(m, { bits: 4, noiseRate: 0.5, observer: { kind: 'histogram', bins: 256 }, updateStep: 2 });
    const before = kernels(qm);
    const x = input(2);
    const step = () => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(qm.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar);
      const g = Object.values(grads).map((t) => t.dataSync()[0]);
      tf.dispose([value, ...Object.values(grads)]);
      return g;
    };
    step(); // warm-up allocations
    const n0 = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    assert.equal(tf.memory().numTensors, n0, `${backend}: no tensor leak over noisy steps`);
    predict(qm, x);
    assert.equal(tf.memory().numTensors, n0);
    assert.deepEqual(kernels(qm), before, `${backend}: the noise never writes the stored weights`);
    const q = quantLayers(qm)[0].quantizer();
    assert.equal(q.step, 6, 'self-driven without a hook: one step per training forward');
    x.dispose();
  }
  await initBackend('wasm');
});

test('wrapped model saves and loads (registered classes, config round trip, same evaluation output)', async () => {
  const m = tinyModel(7);
  const qm = quantizeModel(m, { bits: 4, noiseRate: 0.25, observer: { kind: 'ema', momentum: 0.8 }, noiseBlock: 'kernel', seed: 3 });
  let saved: tf.io.ModelArtifacts | undefined;
  await qm.save(tf.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
  const ql = quantLayers(loaded);
  assert.deepEqual(ql.map((l) => l.getClassName()), ['WhittleQuantConv2D', 'WhittleQuantConv2D', 'WhittleQuantDense']);
  assert.deepEqual(ql[0].quantSpec, quantLayers(qm)[0].quantSpec);
  assert.equal(ql[0].quantSpec.noiseBlock, 'kernel');
  const x = input(2);
  assert.deepEqual(predict(loaded, x), predict(qm, x));
  x.dispose();
});

test('activation quantisation: clamped in training (range from a calibration batch), fake-quantised at evaluation', async () => {
  const inp = tfl.input({ shape: [5] });
  const out = tfl.layers.dense({ units: 7, name: 'fc' }).apply(inp) as tfl.SymbolicTensor;
  const m = tfl.model({ inputs: inp, outputs: out });
  const qm = quantizeModel(m, { bits: 8, observer: { kind: 'minmax' }, activation: { bits: 2, observer: { kind: 'minmax' } } });
  const calib = tf.randomUniform([64, 5], -1, 1, 'float32', 1);
  const evalOut = predict(qm, calib);
  assert.ok(new Set(evalOut).size <= 4, `2-bit activations take at most 4 values, got ${new Set(evalOut).size}`);
  const q = quantLayers(qm)[0].quantizer();
  predict(qm, calib, true); // training step 0 refreshes the activation range (updateStep 1000)
  const a = q.activationQParams!;
  const lo = -a.zeroPoint[0] * a.scale[0];
  const hi = (3 - a.zeroPoint[0]) * a.scale[0];
  // A batch 3× wider than the calibration range (step 1, no refresh): training clamps it.
  const wide = tf.mul(calib, 3);
  const trainOut = predict(qm, wide, true);
  assert.ok(trainOut.every((v) => v >= lo - 1e-6 && v <= hi + 1e-6));
  assert.ok(trainOut.some((v) => Math.abs(v - hi) < 1e-6 || Math.abs(v - lo) < 1e-6), 'some outputs are clamped');
  tf.dispose([calib, wide]);
});
