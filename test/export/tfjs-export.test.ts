/**
 * `whittle export --format tfjs`: every zoo model and ResNet-20 after every technique, exported and then
 * loaded by stock TF.js in a separate node process that imports only tfjs-core, tfjs-backend-cpu and
 * tfjs-layers (test/export/stock-tfjs-run.mjs, over HTTP as a browser loads it). Its outputs must equal
 * Whittle's within 1e-4 (relative to the largest logit).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { tf, tfl } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { WhittleError } from '../../src/core/errors.js';
import { exportTfjs, toStockModel } from '../../src/export/index.js';
import { bakeQuantization, quantizeModel } from '../../src/techniques/quant/model.js';
import { createModel } from '../../src/models/registry.js';
import { saveModelCheckpoint } from '../../src/train/model-io.js';
import { randomArray, relError } from '../helpers/backends.js';
import { TECHNIQUE_VARIANTS, ZOO_VARIANTS, type Variant } from './variants.js';

const RUNNER = join(import.meta.dirname, 'stock-tfjs-run.mjs');
const BATCH = 2;

interface Case {
  name: string;
  expected: Float32Array;
  files: string[];
  manifest: { weights: Array<{ name: string; quantization?: { dtype: string } }> };
  tolerance: number;
}

const root = mkdtempSync(join(tmpdir(), 'whittle-tfjs-export-'));
const cases: Case[] = [];
const stockOutputs = new Map<string, Float32Array>();

async function addCase(v: Variant, quantize?: 'uint8' | 'uint16' | 'float16', tolerance = 1e-4): Promise<void> {
  const model = await v.build();
  const id = quantize ? `${v.name}@${quantize}` : v.name;
  const shape = [BATCH, ...v.inputShape];
  const xData = randomArray(shape.reduce((a, b) => a * b, 1), 7);
  const expected = tf.tidy(() => (model.predict(tf.tensor(xData, shape)) as tf.Tensor).dataSync() as Float32Array);
  const r = await exportTfjs(model, join(root, id), { quantize });
  model.dispose();
  writeFileSync(join(root, `${id}.x.f32`), xData);
  const json = JSON.parse(readFileSync(join(root, id, 'model.json'), 'utf8'));
  cases.push({ name: id, expected, files: r.files, manifest: json.weightsManifest[0], tolerance });
}

before(async () => {
  await initBackend('wasm');
  for (const v of [...ZOO_VARIANTS, ...TECHNIQUE_VARIANTS]) await addCase(v);
  const r20 = ZOO_VARIANTS.find((v) => v.name === 'resnet20')!;
  // Lossy manifest quantisation: close to the float model, not equal.
  await addCase(r20, 'float16', 5e-3);
  await addCase(r20, 'uint16', 5e-3);
  await addCase(r20, 'uint8', 0.2);
  // An 8-bit QAT model with --quantize uint8 stores its kernels as its own codes (checked below).
  await addCase(TECHNIQUE_VARIANTS.find((v) => v.name === 'resnet20+qat8')!, 'uint8', 0.2);
  const jobs = cases.map((c) => ({ model: `${c.name}/model.json`, input: `${c.name.replace(/@.*/, '')}.x.f32`, shape: [BATCH, ...([...ZOO_VARIANTS, ...TECHNIQUE_VARIANTS].find((v) => v.name === c.name.replace(/@.*/, ''))!.inputShape)], output: `${c.name}.y.f32` }));
  // A Whittle checkpoint's model.json (weights in safetensors) must not load with random weights.
  const vanilla = createModel('vanilla', { inputShape: [8, 8, 3], seed: 1 });
  const ckpt = saveModelCheckpoint(join(root, 'ckpt-run'), vanilla, { modelName: 'vanilla' });
  jobs.push({ model: `${relative(root, ckpt)}/model.json`, input: '', shape: [], output: 'ckpt.txt', expectError: true } as (typeof jobs)[number]);
  writeFileSync(join(root, 'jobs.json'), JSON.stringify(jobs));
  const run = spawnSync(process.execPath, [RUNNER, root, join(root, 'jobs.json')], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(run.status, 0, `stock tfjs runner failed: ${run.stderr}`);
  for (const c of cases) {
    const b = readFileSync(join(root, `${c.name}.y.f32`));
    stockOutputs.set(c.name, new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4));
  }
});

after(() => rmSync(root, { recursive: true, force: true }));

test('every zoo model and every technique: stock tfjs (separate process, no Whittle layers) gives Whittle\'s outputs', () => {
  for (const c of cases) {
    const got = stockOutputs.get(c.name)!;
    assert.equal(got.length, c.expected.length, c.name);
    const e = relError(got, c.expected);
    assert.ok(e < c.tolerance, `${c.name}: max |Δ| / max |y| = ${e} (tolerance ${c.tolerance})`);
  }
});

test('a checkpoint\'s model.json is refused by stock tfjs (weights not set) instead of running random weights', () => {
  const message = readFileSync(join(root, 'ckpt.txt'), 'utf8');
  assert.match(message, /8 of 8 weights are not set/);
});

test('model.json carries a weightsManifest; quantised manifests say how, as tensorflowjs_converter does', () => {
  for (const c of cases) {
    assert.ok(c.manifest.weights.length > 0, `${c.name}: empty weightsManifest`);
    assert.ok(c.files.some((f) => /^group1-shard1of\d+\.bin$/.test(f)), `${c.name}: ${c.files}`);
    const q = c.name.split('@')[1];
    for (const w of c.manifest.weights) assert.equal(w.quantization?.dtype, q, `${c.name}: ${w.name}`);
  }
  const vgg = cases.find((c) => c.name === 'vgg16')!;
  assert.ok(vgg.files.length > 10, 'vgg16 weights are split in 4 MiB shards');
});

test('--quantize uint8 on an 8-bit QAT model: the manifest decodes (stock tfjs-core) to exactly the kernels the model evaluates with', async () => {
  const qat = await TECHNIQUE_VARIANTS.find((v) => v.name === 'resnet20+qat8')!.build();
  const dir = join(tmpdir(), `whittle-qat-export-${process.pid}`);
  try {
    const r = await exportTfjs(qat, dir, { quantize: 'uint8' });
    assert.equal(r.learnedScales.length, 20, 'every conv and the dense layer');
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const bytes = Buffer.concat(json.weightsManifest[0].paths.map((p: string) => readFileSync(join(dir, p))));
    const decoded = tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), json.weightsManifest[0].weights);
    const baked = bakeQuantization(qat);
    for (const key of r.learnedScales) {
      const [layer] = key.split('/');
      const want = baked.getLayer(layer).getWeights()[0].dataSync();
      const e = relError(decoded[key].dataSync(), want);
      assert.ok(e < 1e-6, `${key}: ${e}`);
    }
    tf.dispose(Object.values(decoded));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pruned models are physically smaller; low-rank layers become two convs; no Whittle class survives', async () => {
  const byName = (n: string) => TECHNIQUE_VARIANTS.find((v) => v.name === n)!;
  const params = (m: tfl.LayersModel) => m.countParams();
  const base = await ZOO_VARIANTS.find((v) => v.name === 'resnet20')!.build();
  const pruned = await toStockModel(await byName('resnet20+prune').build());
  assert.ok(params(pruned) < params(base), `${params(pruned)} < ${params(base)}`);
  const enc = await toStockModel(await byName('resnet20+enc').build());
  assert.equal(enc.getLayer('stage1.block0.conv1.a').getClassName(), 'Conv2D');
  const sd = await toStockModel(await byName('resnet20+stochastic-depth').build());
  assert.equal(sd.getLayer('stage3.block2.gate').getClassName(), 'Rescaling');
  assert.equal(sd.getLayer('stage2.block0.shortcut').getClassName(), 'Conv2D');
  for (const m of [pruned, enc, sd]) assert.ok(m.layers.every((l) => !l.getClassName().startsWith('Whittle')));
  tf.dispose([base, pruned, enc, sd].flatMap((m) => m.weights.map((w) => w.read())));
});

test('refusals name the layer: activation quantisation; an unregistered custom class', async () => {
  const m = createModel('vanilla', { inputShape: [8, 8, 3], seed: 1 });
  const q = quantizeModel(m, { bits: 8, activation: {} });
  await assert.rejects(toStockModel(q), (e: Error) => e instanceof WhittleError && /conv1.*quantise their activations/.test(e.message));
  class Odd extends tfl.layers.Layer {
    static className = 'WhittleOdd';
    override call(x: tf.Tensor | tf.Tensor[]): tf.Tensor {
      return tf.clone(Array.isArray(x) ? x[0] : x);
    }
  }
  tf.serialization.registerClass(Odd);
  const inp = tfl.input({ shape: [4] });
  const odd = tfl.model({ inputs: inp, outputs: new Odd({ name: 'odd' }).apply(tfl.layers.dense({ units: 2, name: 'fc' }).apply(inp)) as tfl.SymbolicTensor });
  await assert.rejects(toStockModel(odd), (e: Error) => e instanceof WhittleError && /layer "odd" \(WhittleOdd\)/.test(e.message));
});
