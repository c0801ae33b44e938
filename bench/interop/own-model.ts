/**
 * "Compress your own model" numbers (README): the MobileNetV2-style test graph saved as tfjs
 * `model.save` writes it, loaded as a bring-your-own model.json, pruned by channel group (30 %), exported
 * to TF.js (float32 and uint8 manifest) and ONNX; sizes, agreement with the original on random inputs
 * (no fine-tuning), and batch-1 latency in tfjs (wasm) and onnxruntime-node, before and after.
 * Run: node --import tsx bench/interop/own-model.ts
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { tf, tfl } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { loadLayersModelFile } from '../../src/models/import/layers-model-file.js';
import { planGraphPruning, pruneGroups } from '../../src/graph/prune-graph.js';
import { exportTfjs, toOnnx } from '../../src/export/index.js';
import { mobileNetV2Style, saveLikeTfjs } from '../../test/models/graphs.js';
import { randomArray } from '../../test/helpers/backends.js';

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

function tfjsLatency(m: tfl.LayersModel, shape: number[]): number {
  const x = tf.tensor(randomArray(shape.reduce((a, b) => a * b, 1), 1), shape);
  const t: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    tf.tidy(() => (m.predict(x) as tf.Tensor).dataSync());
    if (i >= 5) t.push(performance.now() - t0);
  }
  x.dispose();
  return median(t);
}

async function ortLatency(bytes: Uint8Array, shape: number[]): Promise<number> {
  const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  const x = new ort.Tensor('float32', randomArray(shape.reduce((a, b) => a * b, 1), 1), shape);
  const t: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    await s.run({ input: x });
    if (i >= 5) t.push(performance.now() - t0);
  }
  await s.release();
  return median(t);
}

const dirSize = (files: string[], dir: string) => files.reduce((a, f) => a + statSync(join(dir, f)).size, 0);

await initBackend('wasm');
const root = mkdtempSync(join(tmpdir(), 'whittle-own-model-'));
try {
  const file = await saveLikeTfjs(mobileNetV2Style(), join(root, 'original'));
  const model = await loadLayersModelFile(file);
  const shape = [1, ...(model.inputs[0].shape.slice(1) as number[])];
  const plan = planGraphPruning(model, 0.3);
  const small = await pruneGroups(model, plan);
  const n = 256;
  const xs = tf.tensor(randomArray(n * shape.slice(1).reduce((a, b) => a * b, 1), 2).map((v) => 127.5 * (v + 1)), [n, ...shape.slice(1)]);
  const [ya, yb] = [model, small].map((m) => m.predict(xs) as tf.Tensor);
  const a = ya.dataSync();
  const b = yb.dataSync();
  const top1 = tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(ya, 1), tf.argMax(yb, 1)), 'float32')).dataSync()[0]);
  let maxDelta = 0;
  for (let i = 0; i < a.length; i++) maxDelta = Math.max(maxDelta, Math.abs(a[i] - b[i]));
  const rows = [];
  for (const [name, m] of [['original', model], ['pruned 30 %', small]] as const) {
    const t = await exportTfjs(m, join(root, `${name}-tfjs`));
    const q = await exportTfjs(m, join(root, `${name}-tfjs-u8`), { quantize: 'uint8' });
    const o = await toOnnx(m);
    rows.push({
      model: name, params: m.countParams(), tfjsBytes: dirSize(t.files, t.dir), tfjsUint8Bytes: dirSize(q.files, q.dir), onnxBytes: o.bytes.length,
      tfjsWasmMs: +tfjsLatency(m, shape).toFixed(3), ortMs: +(await ortLatency(o.bytes, shape)).toFixed(3),
    });
  }
  console.table(rows);
  console.log(JSON.stringify({ groupsPruned: plan.remove.size, groups: plan.groups.length, top1Agreement: top1, maxAbsDeltaLogit: maxDelta, inputs: n, rows }));
} finally {
  rmSync(root, { recursive: true, force: true });
}
