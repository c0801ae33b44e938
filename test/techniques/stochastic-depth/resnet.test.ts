import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../../src/engine/tf.js';
import { initBackend } from '../../../src/engine/backend.js';
import { train, Sgd, type LogEvent } from '../../../src/train/index.js';
import { createStochasticDepthResNet, stochasticDepthForward, StochasticDepthHook, survivalProfile } from '../../../src/techniques/stochastic-depth/model.js';
import { describeResidualBlocks } from '../../../src/models/residual.js';
import { toyData, arraySource } from '../../train/helpers.js';

await initBackend('wasm');

test('resnet20 with linear stochastic depth: a gate per block, trains with the lazy forward, tensors flat', async () => {
  const model = createStochasticDepthResNet('resnet20', { inputShape: [8, 8, 3], numClasses: 4, seed: 1 }, { rule: { rule: 'linear', pL: 0.5 } });
  const prof = survivalProfile(model);
  assert.equal(prof.length, 9);
  assert.ok(Math.abs(prof[0].survival - (1 - 0.5 / 9)) < 1e-12);
  assert.equal(prof[8].survival, 0.5);
  // The residual description still finds every block, with the gate on the branch.
  const blocks = describeResidualBlocks(model);
  assert.equal(blocks.length, 9);
  assert.ok(blocks[0].branch.includes('stage1.block0.gate'));
  const events: LogEvent[] = [];
  const opt = new Sgd({ momentum: 0.9 });
  const run = () => train({ model, data: arraySource(toyData(32, 1), 16), epochs: 2, optimizer: opt, lr: 0.05, seed: 3, forward: stochasticDepthForward(model), hooks: [new StochasticDepthHook()], log: (e) => events.push(e) });
  await run();
  const before = tf.memory().numTensors;
  await run();
  assert.equal(tf.memory().numTensors, before);
  const sd = events.filter((e) => e.type === 'sd_epoch') as unknown as Array<{ expectedDepth: number; blocks: Array<{ observed: number | null }> }>;
  assert.ok(Math.abs(sd[0].expectedDepth - 9 * (1 - 0.25 * 10 / 9)) < 1e-9);
  assert.ok(sd[sd.length - 1].blocks.every((b) => b.observed !== null));
  opt.dispose();
  assert.throws(() => createStochasticDepthResNet('vanilla', {}, { rule: { rule: 'uniform', p: 0.8 } }), /residual model/);
});
