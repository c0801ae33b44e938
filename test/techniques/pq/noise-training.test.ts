/**
 * Quant-Noise for iPQ during training (`pqNoise` run-config section): the PQ-quantisable layers train as
 * block-noise layers, the trained checkpoint feeds iPQ unchanged (noise layers stripped to Conv2D/Dense
 * with the same weights), the noise never writes the stored kernels, and a run resumes exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../../src/engine/tf.js';
import { initBackend } from '../../../src/engine/backend.js';
import { parseRunConfig } from '../../../src/config/load.js';
import { buildModelAndTechniques } from '../../../src/run/techniques.js';
import { runTraining } from '../../../src/run/run-training.js';
import { silentReporter } from '../../../src/run/reporter.js';
import { modelFromCheckpoint } from '../../../src/train/index.js';
import { ConfigError } from '../../../src/core/errors.js';
import { BlockNoiseConv2D, isBlockNoiseLayer, stripBlockNoise } from '../../../src/techniques/pq/noise-layers.js';
import { runIPQ } from '../../../src/techniques/pq/ipq.js';
import { isPQLayer } from '../../../src/techniques/pq/layers.js';
import { runPQ } from '../../../src/techniques/pq/pipeline.js';
import { checkpointPQData } from '../../../src/cli/commands/pq.js';
import { loadCheckpoint } from '../../../src/train/index.js';

await initBackend('cpu');
const TMP = mkdtempSync(join(tmpdir(), 'whittle-pqnoise-'));
const cfg = (extra: Record<string, unknown> = {}) =>
  parseRunConfig({
    model: { name: 'vanilla' },
    data: { name: 'shapes', trainSubset: 64, valSubset: 32, augment: false },
    train: { epochs: 2, batchSize: 32, lr: 0.01 },
    pqNoise: { rate: 0.2 },
    ...extra,
  });

test('pqNoise wraps every PQ-quantisable layer with its PQ block size and adds the noise-state hook', () => {
  const s = buildModelAndTechniques(cfg(), { inputShape: [8, 8, 3], numClasses: 4, seed: 0 });
  assert.deepEqual(s.enabled, ['pqNoise']);
  const noisy = s.model.layers.filter(isBlockNoiseLayer);
  assert.deepEqual(noisy.map((l) => [l.name, l.args.blockSize]), [['conv1', 9], ['conv2', 9], ['conv3', 9], ['fc', 8]]);
  assert.deepEqual(s.hooks.map((h) => h.name), ['pq-block-noise']);
  assert.throws(() => parseRunConfig({ pqNoise: { rate: 1 } }), /pqNoise\.rate/);
  assert.throws(() => buildModelAndTechniques(cfg({ pqNoise: { rate: 0.1, blockSizes: { conv3x3: 7 } } }), { inputShape: [8, 8, 3], numClasses: 4, seed: 0 }), ConfigError);
});

test('training with pqNoise: stored kernels are never masked, the checkpoint goes through iPQ, strip keeps outputs', async () => {
  const s = buildModelAndTechniques(cfg(), { inputShape: [8, 8, 3], numClasses: 4, seed: 0 });
  const layer = s.model.getLayer('conv2') as BlockNoiseConv2D;
  const x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 1);
  const before = layer.getWeights()[0].dataSync().slice();
  tf.tidy(() => s.model.apply(x, { training: true }) as tf.Tensor);
  assert.deepEqual(layer.getWeights()[0].dataSync(), before, 'a noisy forward must not write the kernel');
  const plain = stripBlockNoise(s.model);
  assert.equal(plain.layers.filter(isBlockNoiseLayer).length, 0);
  const a = (s.model.predict(x) as tf.Tensor).dataSync();
  const b = (plain.predict(x) as tf.Tensor).dataSync();
  assert.ok(a.every((v, i) => Math.abs(v - b[i]) < 1e-6), 'inference of the noise model equals the stripped model');

  const out = join(TMP, 'run');
  const r = await runTraining(cfg({ out }), { reporter: silentReporter, command: 'test' });
  assert.ok(r.checkpoint, 'a checkpoint was written');
  const { model } = await modelFromCheckpoint(r.checkpoint!);
  assert.equal(model.layers.filter(isBlockNoiseLayer).length, 4, 'the checkpoint keeps the noise layers');
  const res = await runIPQ(model, { config: { k: 4, iterations: 2 } });
  assert.equal(res.model.layers.filter(isPQLayer).length, 4, 'iPQ quantised all four layers of the noise-trained model');

  // `whittle pq` on the run directory uses the run's own data config (dataset, split, subsets) with its flags merged.
  const { data, note } = await checkpointPQData(loadCheckpoint(out), { batchSize: 32, limitTrain: 32 });
  assert.equal(note, undefined);
  assert.equal(data?.train.name, 'shapes-train');
  assert.deepEqual([data?.train.n, data?.val.n], [32, 32], '--limit-train 32 over the run\'s valSubset 32');
  const rep = await runPQ({ checkpoint: out, out: join(TMP, 'model.pq'), config: { k: 4, iterations: 2 }, finetuneEpochs: 1, data, batchSize: 32 });
  assert.equal(rep.accuracyNote, undefined);
  assert.ok(rep.accuracyBefore !== undefined && rep.accuracyAfter !== undefined, 'accuracy measured before and after');
  assert.equal(rep.layers.length, 4);
  await assert.rejects(runPQ({ checkpoint: out, out: join(TMP, 'x.pq'), config: { k: 4 }, finetuneEpochs: 1, dataNote: 'no cifar10 here' }), /needs training data: no cifar10 here/);
});

test('pqNoise resume is exact: 2 epochs straight = 1 epoch, stop, resume', async () => {
  const straight = await runTraining(cfg({ out: join(TMP, 'a') }), { reporter: silentReporter, command: 'test' });
  const half = cfg({ out: join(TMP, 'b') });
  half.train.maxIterations = 3; // stops mid-epoch 2 (2 steps per epoch)
  await runTraining(half, { reporter: silentReporter, command: 'test' });
  const resumed = await runTraining(cfg({ out: join(TMP, 'b') }), { reporter: silentReporter, command: 'test', resume: true });
  const wa = (await modelFromCheckpoint(straight.checkpoint!)).model.getLayer('conv1').getWeights()[0].dataSync();
  const wb = (await modelFromCheckpoint(resumed.checkpoint!)).model.getLayer('conv1').getWeights()[0].dataSync();
  assert.deepEqual(Array.from(wb), Array.from(wa), 'resumed weights equal the uninterrupted run');
});

test('an aborted signal stops training at the next step with a checkpoint (interrupted, resumable)', async () => {
  const ac = new AbortController();
  const r = await runTraining(cfg({ out: join(TMP, 'c') }), {
    reporter: silentReporter, command: 'test', signal: ac.signal, onEvent: () => ac.abort(), // abort at the first event
  });
  assert.equal(r.interrupted, true);
  assert.ok(readdirSync(join(TMP, 'c', 'checkpoints')).length > 0, 'checkpoint written on abort');
  rmSync(TMP, { recursive: true, force: true });
});
