import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { train } from '../../src/train/loop.js';
import { Sgd } from '../../src/train/optim/sgd.js';
import { cosine } from '../../src/train/schedule.js';
import type { TrainHook } from '../../src/train/hooks.js';
import type { LogEvent } from '../../src/train/types.js';
import { jsonLinesLogger } from '../../src/train/logger.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arrayBatches, arraySource, tinyModel, toyData } from './helpers.js';

before(async () => {
  await initBackend('wasm');
});

const trainData = toyData(96, 1);
const valData = toyData(48, 2);

test('loss decreases and accuracy beats chance on a tiny learnable problem', async () => {
  const model = tinyModel(3);
  const events: LogEvent[] = [];
  const logFile = join(mkdtempSync(join(tmpdir(), 'whittle-log-')), 'train.jsonl');
  const res = await train({
    model,
    data: arraySource(trainData, 16),
    evalData: () => arrayBatches(valData, 16),
    epochs: 4,
    optimizer: new Sgd({ momentum: 0.9, weightDecay: 5e-4 }),
    lr: cosine({ base: 0.05, total: 4 }),
    seed: 1,
    log: jsonLinesLogger(logFile, (e) => events.push(e)),
    logEvery: 3,
  });
  const h = res.history;
  assert.equal(h.length, 4);
  assert.ok(h[3].trainLoss < 0.6 * h[0].trainLoss, `train loss ${h.map((r) => r.trainLoss.toFixed(3))}`);
  assert.ok(h[3].val!.top1 > 0.6, `val top-1 ${h[3].val!.top1}`);
  assert.equal(res.iteration, 24);
  assert.equal(events.filter((e) => e.type === 'step').length, 8);
  assert.equal(events.filter((e) => e.type === 'epoch').length, 4);
  assert.ok(events.every((e) => JSON.stringify(e).length > 0));
  const ep = events.find((e) => e.type === 'epoch')!;
  assert.equal(typeof ep.valTop1, 'number');
  const lines = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, events.length);
  assert.deepEqual(lines.map((l) => l.type), events.map((e) => e.type));
  assert.ok(lines.every((l) => typeof l.time === 'string'));
});

/**
 * RePr-style: filters 1 and 3 of conv1 zeroed once, then frozen (kernel and, unless `trainBias`, bias).
 * Records the gradient norm of the frozen filters.
 */
function freezeHook(frozenGradNorms: number[], trainBias = false): TrainHook & { mask: tf.Tensor; biasMask: tf.Tensor } {
  const keep = [1, 0, 1, 0];
  const mask = tf.tensor4d(keep, [1, 1, 1, 4]);
  const biasMask = tf.tensor1d(keep);
  return {
    name: 'freeze',
    mask,
    biasMask,
    onTrainStart(ctx) {
      tf.tidy(() => {
        const k = ctx.params.get('conv1/kernel')!.variable;
        const b = ctx.params.get('conv1/bias')!.variable;
        k.assign(tf.mul(k, mask));
        // A frozen channel outputs relu(bias); a positive bias keeps gradients flowing to its kernel.
        b.assign(trainBias ? tf.add(tf.mul(b, biasMask), tf.mul(tf.sub(1, biasMask), 0.5)) : tf.mul(b, biasMask));
      });
    },
    transformGradients(_ctx, grads) {
      const g = grads.get('conv1/kernel')!;
      frozenGradNorms.push(tf.norm(tf.mul(g, tf.sub(1, mask))).dataSync()[0]);
      return new Map(grads);
    },
    freezeMasks: () => new Map<string, tf.Tensor>(trainBias ? [['conv1/kernel', mask]] : [['conv1/kernel', mask], ['conv1/bias', biasMask]]),
  };
}

test('frozen filters stay exactly 0 with SGD + Nesterov momentum + weight decay', async () => {
  const model = tinyModel(4, { bn: false });
  const norms: number[] = [];
  const hook = freezeHook(norms, true);
  await train({
    model,
    data: arraySource(trainData, 16),
    epochs: 2,
    optimizer: new Sgd({ momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
    lr: 0.05,
    seed: 2,
    hooks: [hook],
  });
  const k = model.getLayer('conv1').getWeights()[0].dataSync();
  const b = model.getLayer('conv1').getWeights()[1].dataSync();
  for (let i = 0; i < k.length; i++) {
    // === (not Object.is): zeroing by multiplication leaves −0 where the weight was negative.
    if (i % 4 === 1 || i % 4 === 3) assert.ok(k[i] === 0, `frozen kernel entry ${i} = ${k[i]}`);
  }
  assert.ok(b[1] !== 0.5 && b[3] !== 0.5, 'biases of frozen filters keep training (RePr reference)');
  assert.ok(norms.every((n) => n > 0), 'the frozen filters did receive gradients (the mask did the work)');
  tf.dispose([hook.mask, hook.biasMask]);
});

test('numTensors stays flat over steps and epochs (grad-transforming and masking hooks, evaluation)', async () => {
  const model = tinyModel(5);
  const counts: number[] = [];
  const epochCounts: number[] = [];
  const hook = freezeHook([]);
  const amplify: TrainHook = {
    name: 'amplify',
    transformGradients: (_ctx, grads) => new Map([...grads].map(([k, g]) => [k, k === 'conv1/kernel' ? tf.mul(g, 3) : g])),
    afterOptimizerStep: () => void counts.push(tf.memory().numTensors),
    onEpochEnd: () => void epochCounts.push(tf.memory().numTensors),
  };
  const before = tf.memory().numTensors;
  const opt = new Sgd({ momentum: 0.9, weightDecay: 1e-3 });
  await train({
    model,
    data: arraySource(trainData, 16),
    evalData: () => arrayBatches(valData, 16),
    epochs: 3,
    optimizer: opt,
    lr: 0.02,
    seed: 3,
    hooks: [hook, amplify],
  });
  assert.equal(counts.length, 18);
  assert.ok(counts.every((c) => c === counts[0]), `numTensors per step: ${counts.join(',')}`);
  assert.ok(epochCounts.every((c) => c === epochCounts[0]), `numTensors per epoch: ${epochCounts.join(',')}`);
  const slots = opt.keys().length; // one momentum buffer per trainable param
  assert.equal(tf.memory().numTensors, before + slots);
  opt.dispose();
  tf.dispose([hook.mask, hook.biasMask]);
});

test('hooks run in order: lifecycle sequence and chained gradient transforms', async () => {
  const model = tinyModel(6);
  const calls: string[] = [];
  const rec = (name: string): TrainHook => ({
    name,
    onTrainStart: () => void calls.push(`${name}.trainStart`),
    onEpochStart: (c) => void calls.push(`${name}.epochStart${c.epoch}`),
    onStepStart: (c) => void calls.push(`${name}.step${c.iteration}`),
    transformGradients: (_c, g) => {
      calls.push(`${name}.grads`);
      // a zeroes fc gradients; b must see a's output
      if (name === 'a') return new Map([...g].map(([k, t]) => [k, k.startsWith('fc/') ? tf.zerosLike(t) : t]));
      assert.equal(tf.max(tf.abs(g.get('fc/kernel')!)).dataSync()[0], 0);
      return new Map(g);
    },
    freezeMasks: () => void calls.push(`${name}.masks`),
    afterOptimizerStep: () => void calls.push(`${name}.after`),
    onEpochEnd: () => void calls.push(`${name}.epochEnd`),
    onEvaluate: (_c, m) => void calls.push(`${name}.eval${m.n}`),
    onTrainEnd: () => void calls.push(`${name}.trainEnd`),
  });
  const fcBefore = model.getLayer('fc').getWeights()[0].dataSync().slice();
  await train({
    model,
    data: arraySource(toyData(32, 9), 16),
    evalData: () => arrayBatches(valData, 16),
    epochs: 1,
    optimizer: new Sgd(),
    lr: 0.1,
    seed: 4,
    hooks: [rec('a'), rec('b')],
  });
  assert.deepEqual(calls, [
    'a.trainStart', 'b.trainStart', 'a.epochStart0', 'b.epochStart0',
    'a.step0', 'b.step0', 'a.grads', 'b.grads', 'a.masks', 'b.masks', 'a.after', 'b.after',
    'a.step1', 'b.step1', 'a.grads', 'b.grads', 'a.masks', 'b.masks', 'a.after', 'b.after',
    'a.epochEnd', 'b.epochEnd', 'a.eval48', 'b.eval48', 'a.trainEnd', 'b.trainEnd',
  ]);
  assert.deepEqual(model.getLayer('fc').getWeights()[0].dataSync(), fcBefore, 'plain SGD with zeroed grads leaves fc unchanged');
  await assert.rejects(
    train({ model, data: arraySource(trainData, 16), epochs: 1, optimizer: new Sgd(), lr: 0.1, seed: 1, hooks: [rec('x'), rec('x')] }),
    /two hooks are named "x"/,
  );
});
