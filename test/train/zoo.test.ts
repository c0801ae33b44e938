/** The loop on the real zoo and data modules: a ResNet on procedural shapes, stopped and resumed exactly. */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { createModel } from '../../src/models/registry.js';
import { makeShapes } from '../../src/data/shapes.js';
import { channelStats } from '../../src/data/stats.js';
import { train, type TrainOptions } from '../../src/train/loop.js';
import { Sgd } from '../../src/train/optim/sgd.js';
import { imageBatchSource, imageEvalBatches } from '../../src/train/data-source.js';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { weightBytes } from './helpers.js';

before(async () => {
  await initBackend('wasm');
});

test('resnet20 on shapes (augmented): stop mid-epoch + resume equals an uninterrupted run', async () => {
  const ds = makeShapes({ n: 48, seed: 3, size: 8 });
  const normalize = channelStats(ds);
  const opts = (dir: string, seed: number): TrainOptions => ({
    model: createModel('resnet20', { inputShape: [8, 8, 3], numClasses: 10, seed }),
    data: imageBatchSource(ds, { batchSize: 16, shuffle: true, augment: { padding: 1 }, normalize }),
    evalData: imageEvalBatches(ds, { batchSize: 24, normalize }),
    epochs: 2,
    optimizer: new Sgd({ momentum: 0.9, nesterov: true, weightDecay: 5e-4 }),
    lr: 0.05,
    seed: 1,
    checkpoint: { dir, everySteps: 2 },
    meta: { modelName: 'resnet20', modelOptions: { inputShape: [8, 8, 3], numClasses: 10 } },
  });
  const a = mkdtempSync(join(tmpdir(), 'whittle-zoo-'));
  const b = mkdtempSync(join(tmpdir(), 'whittle-zoo-'));
  const full = opts(a, 0);
  const ra = await train(full);
  await train({ ...opts(b, 0), maxIterations: 4 });
  assert.deepEqual([loadCheckpoint(b).state.epoch, loadCheckpoint(b).state.stepInEpoch], [1, 1]);
  const resumed = { ...opts(b, 77), resume: true };
  const rb = await train(resumed);
  assert.ok(weightBytes(resumed.model).equals(weightBytes(full.model)));
  assert.equal(rb.final?.top1, ra.final?.top1);
  assert.equal(loadCheckpoint(b).meta.modelName, 'resnet20');
  rmSync(a, { recursive: true });
  rmSync(b, { recursive: true });
});
