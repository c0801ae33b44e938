/**
 * Why-not-parity helper: one batch, the same vanilla weights, gradients in Whittle and in PyTorch.
 * Exports Whittle's initial weights (HWIO), a normalised CIFAR-10 batch and Whittle's gradients, then
 * torch_grad_check.py rebuilds the net in PyTorch (OIHW, NCHW flatten order for the dense layer) and
 * prints the max relative gradient error per parameter. Measured on native: ≤ 1e-5 for every parameter.
 *
 * Usage: npx tsx bench/parity/grad-check.ts [--backend auto|native|wasm|cpu] [--batch 64]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { tf } from '../../src/engine/tf.js';
import { initBackend, type BackendName } from '../../src/engine/backend.js';
import { iterateBatches, loadDataset } from '../../src/data/index.js';
import { createModel } from '../../src/models/registry.js';
import { modelParams } from '../../src/models/params.js';
import { crossEntropy } from '../../src/train/index.js';

const { values: a } = parseArgs({ options: { backend: { type: 'string', default: 'auto' }, batch: { type: 'string', default: '64' }, python: { type: 'string', default: process.env.PYTHON ?? '/usr/bin/python3' } } });
const n = Number(a.batch);
const be = await initBackend(a.backend as BackendName);
const d = loadDataset('cifar10', { limitTrain: n, limitVal: 1 });
const b = [...iterateBatches(d.train, { batchSize: n, normalize: d.normalization })][0];
const model = createModel('vanilla', { seed: 5 });
const ps = modelParams(model).filter((p) => p.trainable);
const { value, grads } = tf.tidy(() => {
  const x = tf.tensor4d(b.x, [n, 32, 32, 3]);
  const y = tf.tensor1d(b.y, 'int32');
  return tf.variableGrads(() => crossEntropy(model.apply(x, { training: true }) as tf.Tensor, y), ps.map((p) => p.variable));
});
const params = Object.fromEntries(ps.map((p) => [p.key, { shape: [...p.variable.shape], w: Array.from(p.variable.dataSync()), g: Array.from(grads[p.variable.name].dataSync()) }]));
const dir = mkdtempSync(join(tmpdir(), 'whittle-grad-'));
const file = join(dir, 'grads.json');
writeFileSync(file, JSON.stringify({ backend: be.name, loss: value.dataSync()[0], n, x: Array.from(b.x), y: Array.from(b.y), params }));
const r = spawnSync(a.python!, [join(dirname(fileURLToPath(import.meta.url)), 'torch_grad_check.py'), file], { stdio: 'inherit' });
rmSync(dir, { recursive: true, force: true });
process.exit(r.status ?? 1);
