/**
 * Bring-your-own TF.js Layers models: a MobileNetV2-style and an Inception-style graph (test/models/graphs.ts)
 * saved as tfjs `model.save('file://…')` writes them, and once more nested as tensorflowjs_converter
 * writes a Keras model; loaded by Whittle, they compute what tfjs computes, and export to ONNX
 * (onnxruntime within 1e-4) and to stock TF.js. Bad files are refused by name.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { tf, tfl } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { WhittleError } from '../../src/core/errors.js';
import { loadLayersModelFile } from '../../src/models/import/layers-model-file.js';
import { exportTfjs, toOnnx } from '../../src/export/index.js';
import { randomArray, relError } from '../helpers/backends.js';
import { inceptionStyle, mobileNetV2Style, saveLikeTfjs } from './graphs.js';

const root = mkdtempSync(join(tmpdir(), 'whittle-import-'));
before(async () => {
  await initBackend('cpu');
});
after(() => rmSync(root, { recursive: true, force: true }));

function predict(m: tfl.LayersModel, x: Float32Array, shape: number[]): Float32Array {
  return tf.tidy(() => (m.predict(tf.tensor(x, shape)) as tf.Tensor).dataSync() as Float32Array);
}

for (const [name, build] of [['mobilenetv2-style', mobileNetV2Style], ['inception-style', inceptionStyle]] as const) {
  test(`${name}: model.json + shards load with tfjs' outputs; ONNX (onnxruntime) and stock-tfjs exports agree within 1e-4`, async () => {
    const original = build();
    const shape = [3, ...(original.inputs[0].shape.slice(1) as number[])];
    const x = randomArray(shape.reduce((a, b) => a * b, 1), 5).map((v) => 127.5 * (v + 1));
    const want = predict(original, x, shape);
    const file = await saveLikeTfjs(original, join(root, name));
    const model = await loadLayersModelFile(file);
    assert.deepEqual(predict(model, x, shape), want);
    // Keras-converted layout: the topology nested under model_config.
    const json = JSON.parse(readFileSync(file, 'utf8'));
    json.modelTopology = { keras_version: '2.15.0', backend: 'tensorflow', model_config: json.modelTopology };
    json.convertedBy = 'TensorFlow.js Converter v4.22.0';
    writeFileSync(join(root, name, 'keras.json'), JSON.stringify(json));
    assert.deepEqual(predict(await loadLayersModelFile(join(root, name, 'keras.json')), x, shape), want);

    const onnx = await toOnnx(model);
    const session = await ort.InferenceSession.create(onnx.bytes);
    const out = await session.run({ input: new ort.Tensor('float32', x, shape) });
    const e = relError(out.output.data as Float32Array, want);
    assert.ok(e < 1e-4, `onnxruntime: ${e}`);
    await exportTfjs(model, join(root, `${name}-export`), { quantize: 'float16' });
    const back = await loadLayersModelFile(join(root, `${name}-export`, 'model.json'));
    assert.ok(relError(predict(back, x, shape), want) < 1e-2, 'float16 manifest decodes (tfjs) close to the float model');
  });
}

test('--input-size replaces the input size; bad files and unsupported layers are named', async () => {
  const mobile = await saveLikeTfjs(mobileNetV2Style(), join(root, 'resize'));
  const m = await loadLayersModelFile(mobile, { inputSize: [20, 24] });
  assert.deepEqual(m.inputs[0].shape, [null, 20, 24, 3]);
  const file = await saveLikeTfjs(inceptionStyle(), join(root, 'bad'));
  // Flatten → Dense fixes the size: the error says so.
  await assert.rejects(loadLayersModelFile(file, { inputSize: [20, 24] }), /could not build the model.*Shape mismatch/);
  const json = JSON.parse(readFileSync(file, 'utf8'));
  const write = (j: unknown) => writeFileSync(join(root, 'bad', 'x.json'), JSON.stringify(j));
  const rejects = (re: RegExp) => assert.rejects(loadLayersModelFile(join(root, 'bad', 'x.json')), (e: Error) => e instanceof WhittleError && re.test(e.message));
  write({ ...json, weightsManifest: undefined });
  await rejects(/has no weightsManifest/);
  write({ ...json, weightsManifest: [{ paths: ['../../etc/passwd'], weights: json.weightsManifest[0].weights }] });
  await rejects(/leaves the model's folder/);
  const layers = json.modelTopology.config.layers;
  write({ ...json, modelTopology: { ...json.modelTopology, config: { ...json.modelTopology.config, layers: [...layers, { class_name: 'Lambda', name: 'lam', config: { name: 'lam' } }] } } });
  await rejects(/unsupported layer "lam" \(Lambda\); supported: InputLayer, Conv2D/);
  writeFileSync(join(root, 'bad', 'x.json'), '{"modelTopology": ');
  await rejects(/not a TF.js model.json/);
  truncateSync(join(root, 'bad', 'weights.bin'), 100);
  await assert.rejects(loadLayersModelFile(file), /needs \d+ bytes, its shards hold 100 \(truncated/);
});
