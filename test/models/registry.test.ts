import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onBackend, randomArray, tf } from '../helpers/backends.js';
import { createModel, listModels, UnknownModelError } from '../../src/models/registry.js';
import { countParams, paramCounts } from '../../src/models/stats.js';
import { fixture } from './helpers.js';
import type { tfl } from '../../src/engine/tf.js';

// Each model is built once (vgg16 init draws 14.7 M numbers) on wasm and shared by the tests below.
const built = new Map<string, tfl.LayersModel>();
async function model(name: string): Promise<tfl.LayersModel> {
  await onBackend('wasm', () => undefined);
  if (!built.has(name)) built.set(name, createModel(name, { seed: 3 }));
  return built.get(name) as tfl.LayersModel;
}

test('listModels names the whole zoo', () => {
  assert.deepEqual(listModels(), ['vanilla', 'resnet20', 'resnet32', 'resnet56', 'resnet110', 'vgg16']);
});

test('an unknown model name is rejected with the valid names', () => {
  assert.throws(
    () => createModel('resnet18'),
    (e: Error) => e instanceof UnknownModelError && /"resnet18"/.test(e.message) && /resnet56/.test(e.message) && /vgg16/.test(e.message),
  );
  assert.throws(() => createModel('toString'), UnknownModelError);
});

test('bad options name the field', () => {
  assert.throws(() => createModel('vanilla', { numClasses: 0 }), /numClasses/);
  assert.throws(() => createModel('vanilla', { inputShape: [32, 32] as unknown as [number, number, number] }), /inputShape/);
});

for (const name of listModels()) {
  test(`${name}: parameter counts equal the PyTorch reference`, async () => {
    const ref = fixture.models[name];
    assert.ok(ref, `fixture has ${name}`);
    const m = await model(name);
    const c = paramCounts(m);
    assert.equal(countParams(m), ref.trainable);
    assert.equal(c.nonTrainable, ref.nonTrainable, 'BN running statistics');
    assert.equal(m.layers.filter((l) => l.getClassName() === 'Conv2D').length, ref.convLayers);
  });

  test(`${name}: logits of shape [B, 10]; numClasses and metadata honoured`, async () => {
    const m = await model(name);
    await onBackend('wasm', () => {
      const x = tf.tensor4d(randomArray(2 * 32 * 32 * 3, 5), [2, 32, 32, 3]);
      const y = m.predict(x) as tf.Tensor;
      assert.deepEqual(y.shape, [2, 10]);
      // Logits, not probabilities: rows need not sum to 1 and may be negative.
      assert.ok(Array.from(y.dataSync()).every(Number.isFinite));
      assert.equal(m.layers[m.layers.length - 1].name, 'fc');
      assert.equal(m.layers[m.layers.length - 1].getConfig().activation, 'linear');
      assert.deepEqual((m.getUserDefinedMetadata() as { whittle: unknown }).whittle, {
        model: name,
        init: { vanilla: 'pytorch-default', vgg16: 'torchvision-vgg' }[name] ?? 'sfp-resnet',
        inputShape: [32, 32, 3],
        numClasses: 10,
        seed: 3,
      });
      tf.dispose([x, y]);
    });
  });
}

test('numClasses and inputShape options', () => {
  const m = createModel('resnet20', { numClasses: 100, inputShape: [24, 20, 3] });
  assert.deepEqual(m.outputs[0].shape, [null, 100]);
  assert.deepEqual(m.inputs[0].shape, [null, 24, 20, 3]);
  m.dispose();
});

test('stable layer names', async () => {
  const names = async (n: string) => (await model(n)).layers.map((l) => l.name);
  assert.deepEqual(await names('vanilla'), ['input', 'conv1', 'relu1', 'conv2', 'relu2', 'conv3', 'relu3', 'flatten', 'fc']);
  const r = await names('resnet20');
  for (const n of ['conv1', 'bn1', 'stage1.block0.conv1', 'stage1.block0.bn1', 'stage1.block0.add', 'stage2.block0.shortcut', 'stage3.block2.conv2', 'pool', 'fc']) {
    assert.ok(r.includes(n), `resnet20 has ${n}`);
  }
  assert.ok(!r.includes('stage1.block0.shortcut'), 'identity shortcut has no layer');
  const v = await names('vgg16');
  for (const n of ['conv1_1', 'bn1_1', 'conv5_3', 'pool5', 'fc']) assert.ok(v.includes(n), `vgg16 has ${n}`);
});

test('dispose the shared models', () => {
  for (const m of built.values()) m.dispose();
  built.clear();
});
