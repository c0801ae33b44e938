import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../../src/engine/backend.js';
import { createModel } from '../../../src/models/registry.js';
import { train, Sgd, type LogEvent, type TrainHook } from '../../../src/train/index.js';
import { SfpHook } from '../../../src/techniques/sfp/hook.js';
import { convLayers, readKernel } from '../../../src/techniques/filter-mask/conv-layers.js';
import { l2Norms } from '../../../src/techniques/filter-mask/criteria.js';
import { toyData, arraySource } from '../../train/helpers.js';

await initBackend('wasm');

test('SFP zeroes floor(N·0.3) lowest-L2 filters of every conv (first included) before training and at each epoch end; they regrow in between', async () => {
  const model = createModel('vanilla', { inputShape: [8, 8, 3], numClasses: 4, seed: 1 });
  const events: LogEvent[] = [];
  let regrew = false;
  const probe: TrainHook = {
    name: 'probe',
    afterOptimizerStep(ctx) {
      if (ctx.step !== 0 || ctx.epoch !== 1) return;
      // Soft: zeroed filters receive gradients and move again during the epoch.
      for (const c of convLayers(ctx.model)) if ([...l2Norms(readKernel(c))].filter((n) => n === 0).length < 9) regrew = true;
    },
  };
  const opt = new Sgd({ momentum: 0.9, weightDecay: 5e-4, nesterov: true });
  await train({ model, data: arraySource(toyData(32, 1), 16), epochs: 3, optimizer: opt, lr: 0.05, seed: 2, hooks: [new SfpHook({ keepRate: 0.7 }), probe], log: (e) => events.push(e) });
  const masks = events.filter((e) => e.type === 'sfp_mask') as Array<LogEvent & { zeroed: Record<string, number>; reason: string }>;
  assert.deepEqual(masks.map((m) => m.reason), ['init', 'epoch_end', 'epoch_end', 'epoch_end']);
  for (const m of masks) assert.deepEqual(m.zeroed, { conv1: 9, conv2: 9, conv3: 9 }); // int(32·0.3) = 9
  for (const c of convLayers(model)) assert.equal([...l2Norms(readKernel(c))].filter((n) => n === 0).length, 9);
  assert.ok(regrew);
  opt.dispose();
  model.dispose();
});

test('epochPrune and exclusions are honoured', async () => {
  const model = createModel('vanilla', { inputShape: [8, 8, 3], numClasses: 4, seed: 1 });
  const events: LogEvent[] = [];
  await train({ model, data: arraySource(toyData(16, 1), 16), epochs: 4, optimizer: new Sgd({}), lr: 0.01, seed: 2, hooks: [new SfpHook({ keepRate: 0.5, epochPrune: 2, exclude: ['conv1'] })], log: (e) => events.push(e) });
  const masks = events.filter((e) => e.type === 'sfp_mask') as Array<LogEvent & { zeroed: Record<string, number> }>;
  assert.deepEqual(masks.map((m) => m.epoch), [0, 1, 3, 4]); // log.jsonl's 1-based epochs: before training, after epochs 1, 3, 4
  assert.deepEqual(Object.keys(masks[0].zeroed), ['conv2', 'conv3']);
  assert.throws(() => new SfpHook({ keepRate: 1.5 }), /keepRate/);
});
