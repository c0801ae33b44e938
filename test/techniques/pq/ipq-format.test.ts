import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../../src/engine/tf.js';
import { initBackend } from '../../../src/engine/backend.js';
import { Rng } from '../../../src/core/rng.js';
import { createModel } from '../../../src/models/registry.js';
import { train, Sgd, type BatchSource } from '../../../src/train/index.js';
import { runIPQ, defaultStages, pqNoiseHook } from '../../../src/techniques/pq/ipq.js';
import { isPQLayer } from '../../../src/techniques/pq/layers.js';
import { toFloatModel } from '../../../src/techniques/pq/convert.js';
import { encodePQModel, decodePQModel } from '../../../src/techniques/pq/format.js';
import { readSafetensors, writeSafetensors } from '../../../src/io/safetensors.js';

before(async () => {
  await initBackend('wasm');
});

const SHAPE: [number, number, number] = [8, 8, 3];
function data(n = 16, batch = 8): BatchSource {
  const rng = new Rng(1);
  const x = rng.fillNormal(new Float32Array(n * 8 * 8 * 3), 0, 1);
  const y = Int32Array.from({ length: n }, () => rng.int(10));
  return {
    stepsPerEpoch: n / batch,
    *epoch() {
      for (let s = 0; s < n; s += batch) yield { x: x.subarray(s * 192, (s + batch) * 192), y: y.subarray(s, s + batch), n: batch };
    },
  };
}
const input = () => tf.tensor(new Rng(5).fillNormal(new Float32Array(3 * 192), 0, 1), [3, ...SHAPE]);

test('iPQ: stages in order, fine-tuning between them trains centroids, no tensor leak, file round trip', async () => {
  const model = createModel('resnet20', { inputShape: SHAPE, seed: 3 });
  const stages = defaultStages(model);
  assert.deepEqual(stages, ['^conv1(\\.|$)', '^stage1(\\.|$)', '^stage2(\\.|$)', '^stage3(\\.|$)', '^fc(\\.|$)']);
  const order = ['^stage3', '^stage1|^stage2', '^fc|^conv1'];
  const seen: string[][] = [];
  const leaks: number[] = [];
  const res = await runIPQ(model, {
    config: { k: 16, iterations: 4 },
    stages: order,
    noiseRate: 0.1,
    finetune: async (m, info) => {
      seen.push(info.layers);
      const pq = m.layers.filter(isPQLayer);
      const c0 = pq.map((l) => Array.from(l.pqTensors().centroids.dataSync()));
      const opt = new Sgd({ momentum: 0.9 });
      await train({ model: m, data: data(), epochs: 1, optimizer: opt, lr: 0.01, seed: 1, hooks: [pqNoiseHook(m)] });
      const n1 = tf.memory().numTensors; // optimizer slots now exist
      await train({ model: m, data: data(), epochs: 1, optimizer: opt, lr: 0.01, seed: 2, hooks: [pqNoiseHook(m)] });
      leaks.push(tf.memory().numTensors - n1);
      const moved = pq.some((l, i) => Array.from(l.pqTensors().centroids.dataSync()).some((v, j) => v !== c0[i][j]));
      assert.ok(moved, `stage ${info.index}: centroids did not train`);
      // assignments are fixed during fine-tuning (§5.5)
    },
  });
  assert.equal(seen.length, 3);
  assert.ok(seen[0].every((n) => n.startsWith('stage3.')));
  assert.deepEqual(seen[2], ['conv1', 'fc']);
  // Two more training steps with noise on the same optimizer leave tf.memory().numTensors unchanged.
  assert.deepEqual(leaks, [0, 0, 0]);
  const pqLayers = res.model.layers.filter(isPQLayer);
  assert.equal(pqLayers.length, 20);
  for (const l of pqLayers) l.noiseRate = 0;

  const x = input();
  const yPq = res.model.predict(x) as tf.Tensor;
  const f = await toFloatModel(res.model);
  assert.ok(tf.max(tf.abs(tf.sub(f.predict(x) as tf.Tensor, yPq))).dataSync()[0] < 1e-5);

  for (const [coding, dtype, tol] of [['packed', 'F32', 1e-5], ['huffman', 'F32', 1e-5], ['auto', 'F32', 1e-5], ['packed', 'F16', 5e-2]] as const) {
    const bytes = await encodePQModel(res.model, { coding, centroidDtype: dtype });
    const d = await decodePQModel(bytes.slice().buffer);
    const err = tf.max(tf.abs(tf.sub(d.model.predict(x) as tf.Tensor, yPq))).dataSync()[0];
    assert.ok(err < tol, `${coding}/${dtype}: max |Δlogit| ${err}`);
    assert.equal(Object.keys(d.layers).length, 20);
    assert.equal(d.layers['stage3.block2.conv2'].k, 16);
    assert.equal((d.user.whittle as { model: string }).model, 'resnet20');
    // decoding twice gives bit-identical logits (decoder is deterministic)
    const d2 = await decodePQModel(bytes);
    assert.deepEqual((d2.model.predict(x) as tf.Tensor).dataSync(), (d.model.predict(x) as tf.Tensor).dataSync());
  }
});

test("coding 'auto' stores each layer's indices in the smaller of the packed and Huffman streams", async () => {
  const model = createModel('resnet20', { inputShape: SHAPE, seed: 2 });
  const res = await runIPQ(model, { config: { k: 16, iterations: 2 } });
  const sizes = async (coding: 'packed' | 'huffman' | 'auto'): Promise<{ total: number; layers: Map<string, { bytes: number; coding: string }> }> => {
    const bytes = await encodePQModel(res.model, { coding, centroidDtype: 'F32' });
    const st = readSafetensors(bytes);
    const meta = JSON.parse(st.metadata.layers) as Record<string, { coding: string }>;
    const layers = new Map(Object.entries(meta).map(([name, l]) => {
      const lens = st.tensors.get(`${name}/kernel.code_lengths`)?.bytes.length ?? 0;
      return [name, { bytes: st.tensors.get(`${name}/kernel.codes`)!.bytes.length + lens, coding: l.coding }];
    }));
    return { total: bytes.length, layers };
  };
  const [packed, huffman, auto] = [await sizes('packed'), await sizes('huffman'), await sizes('auto')];
  for (const [name, a] of auto.layers) {
    const want = Math.min(packed.layers.get(name)!.bytes, huffman.layers.get(name)!.bytes);
    assert.equal(a.bytes, want, `${name}: ${a.coding} ${a.bytes} bytes, smaller stream ${want}`);
  }
  assert.ok(auto.total <= Math.min(packed.total, huffman.total), `auto ${auto.total}, packed ${packed.total}, huffman ${huffman.total}`);
  await assert.rejects(encodePQModel(res.model, { coding: 'zip' as 'auto' }), /coding must be packed, huffman or auto, got "zip"/);
});

test('format errors name the problem', async () => {
  const other = writeSafetensors({ a: { dtype: 'F32', shape: [1], data: new Float32Array(1) } }, { format: 'x' });
  await assert.rejects(decodePQModel(other, 'm.pq'), /m\.pq: not a whittle-pq file/);
  const model = createModel('vanilla', { inputShape: SHAPE, seed: 1 });
  const res = await runIPQ(model, { config: { k: 16, iterations: 2 } });
  const bytes = await encodePQModel(res.model);
  await assert.rejects(decodePQModel(bytes.slice(0, bytes.length - 10), 'cut.pq'), /cut\.pq: .*truncated/);
  // vanilla: conv with bias and a dense layer with bias round-trip through the file
  const x = input();
  const d = await decodePQModel(bytes);
  const err = tf.max(tf.abs(tf.sub(d.model.predict(x) as tf.Tensor, res.model.predict(x) as tf.Tensor))).dataSync()[0];
  assert.ok(err < 5e-2, `fp16 vanilla ${err}`);
});

test('iPQ noise streams continue across stages (a layer rebuilt in a later stage does not replay its masks)', async () => {
  const model = createModel('resnet20', { inputShape: [8, 8, 3], seed: 5 });
  const states: Array<Record<string, unknown>> = [];
  const res = await runIPQ(model, {
    config: { k: 4, iterations: 1 }, stages: ['^conv1$', '^stage1'], noiseRate: 0.5,
    finetune: async (m) => {
      const conv1 = m.getLayer('conv1');
      if (!isPQLayer(conv1)) throw new Error('conv1 should be PQ');
      states.push({ before: conv1.noiseState() });
      tf.dispose(conv1.kernel(true)); // one noisy forward's mask draw advances the stream
      states[states.length - 1].after = conv1.noiseState();
    },
  });
  assert.equal(states.length, 2);
  assert.deepEqual(states[1].before, states[0].after, 'stage 2 starts conv1\'s stream where stage 1 left it');
  assert.notDeepEqual(states[1].before, states[0].before);
  res.model.dispose();
});
