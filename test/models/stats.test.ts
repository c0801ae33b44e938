import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../helpers/backends.js';
import { createModel, listModels } from '../../src/models/registry.js';
import { countFlops, formatLayerTable, keptFiltersFromWeights } from '../../src/models/stats.js';
import { modelParams } from '../../src/models/params.js';
import { fixture } from './helpers.js';

test('conv and dense MACs equal the PyTorch forward-hook counts', () => {
  for (const name of listModels()) {
    const m = createModel(name);
    const r = countFlops(m);
    assert.equal(r.conv, fixture.models[name].convMacs, `${name} conv MACs`);
    assert.equal(r.dense, fixture.models[name].denseMacs, `${name} dense MACs`);
    assert.equal(r.total, r.conv + r.dense);
    m.dispose();
  }
});

// methods.md §2.3: FLOPs reduction of SFP at keep-rate r, from utils/cifar_resnet_flop.py.
const SFP_TABLE: Record<number, Record<number, number>> = {
  20: { 0.9: 15.2, 0.8: 29.3, 0.7: 42.2, 0.6: 54.0 },
  32: { 0.9: 14.9, 0.8: 28.8, 0.7: 41.5, 0.6: 53.2 },
  56: { 0.9: 14.7, 0.8: 28.4, 0.7: 41.1, 0.6: 52.6 },
  110: { 0.9: 14.6, 0.8: 28.2, 0.7: 40.8, 0.6: 52.3 },
};

test('kept-filter counts reproduce the SFP FLOPs-reduction table (methods.md §2.3)', () => {
  for (const [depth, row] of Object.entries(SFP_TABLE)) {
    const m = createModel(`resnet${depth}`);
    const base = countFlops(m).conv;
    for (const [rate, expected] of Object.entries(row)) {
      const pruned = countFlops(m, undefined, { kept: (_, f) => Number(rate) * f }).conv;
      const reduction = 100 * (1 - pruned / base);
      assert.ok(Math.abs(reduction - expected) <= 0.05 + 1e-9, `resnet${depth} r=${rate}: ${reduction.toFixed(3)} % vs ${expected} %`);
    }
    m.dispose();
  }
});

test('a masked model: zeroed filters are counted as pruned and their MACs vanish', () => {
  const m = createModel('resnet20');
  const p = modelParams(m).find((q) => q.key === 'stage1.block1.conv1/kernel');
  assert.ok(p);
  // Zero filters 0, 5 and 9 (output channel is the last HWIO axis).
  const mask = tf.tensor1d(Array.from({ length: 16 }, (_, i) => ([0, 5, 9].includes(i) ? 0 : 1)));
  p.variable.assign(tf.mul(p.variable, mask));
  const kept = keptFiltersFromWeights(m);
  assert.equal(kept['stage1.block1.conv1'], 13);
  assert.equal(kept['conv1'], 16);
  const full = countFlops(m);
  const pruned = countFlops(m, undefined, { kept });
  const layer = (r: typeof full, n: string) => r.layers.find((l) => l.name === n)?.macs ?? NaN;
  assert.equal(layer(pruned, 'stage1.block1.conv1'), (layer(full, 'stage1.block1.conv1') * 13) / 16);
  assert.equal(layer(pruned, 'stage1.block1.conv2'), (layer(full, 'stage1.block1.conv2') * 13) / 16, 'next conv loses inputs');
  assert.equal(layer(pruned, 'stage1.block2.conv1'), layer(full, 'stage1.block2.conv1'), 'residual stream stays full');
  assert.throws(() => countFlops(m, undefined, { kept: { conv1: 17 } }), /conv1/);
  mask.dispose();
  m.dispose();
});

test('countFlops follows another input shape; the layer table lists layers and totals', () => {
  const m = createModel('vanilla');
  const r16 = countFlops(m, [16, 16, 3]);
  assert.equal(r16.conv, fixture.models.vanilla.convMacs / 4);
  const table = formatLayerTable(countFlops(m));
  assert.match(table, /^layer\s+type\s+output\s+params\s+MACs/);
  assert.match(table, /\nfc\s+Dense\s+\[10\]\s+327690\s+327680/);
  assert.match(table, /\ntotal\s+347082\s+20086784$/);
  m.dispose();
});

test('FLOPs of a model whose conv/dense layers are quantising, PQ or block-noise stand-ins equal the float model\'s', async () => {
  const { quantizeModel } = await import('../../src/techniques/quant/model.js');
  const { runIPQ } = await import('../../src/techniques/pq/ipq.js');
  const { pqNoiseTechnique } = await import('../../src/techniques/pq/noise-technique.js');
  const m = createModel('resnet20', { inputShape: [8, 8, 3], seed: 1 });
  const want = countFlops(m);
  const variants = {
    quant: quantizeModel(m, { bits: 8 }),
    pq: (await runIPQ(m, { config: { k: 4, iterations: 1 } })).model,
    pqNoise: pqNoiseTechnique(m, { rate: 0.1 }, 0).model,
  };
  for (const [name, v] of Object.entries(variants)) {
    const got = countFlops(v);
    assert.deepEqual([got.conv, got.dense], [want.conv, want.dense], `${name}: conv/dense MACs`);
  }
});

test('filter masking (SFP, RePr) sees quantising and block-noise convs as convs, with their kernel variables', async () => {
  const { quantizeModel } = await import('../../src/techniques/quant/model.js');
  const { pqNoiseTechnique } = await import('../../src/techniques/pq/noise-technique.js');
  const { convLayers, channelConsumers } = await import('../../src/techniques/filter-mask/conv-layers.js');
  const m = createModel('vanilla', { inputShape: [8, 8, 3], numClasses: 4, seed: 1 });
  const names = convLayers(m).map((c) => c.name);
  for (const v of [quantizeModel(m, { bits: 8 }), pqNoiseTechnique(m, { rate: 0.1 }, 0).model]) {
    assert.deepEqual(convLayers(v).map((c) => c.name), names);
    assert.deepEqual(convLayers(v).map((c) => c.kernel.shape), convLayers(m).map((c) => c.kernel.shape));
    assert.deepEqual(channelConsumers(v, 'conv3')?.map((c) => c.kind), channelConsumers(m, 'conv3')?.map((c) => c.kind));
  }
});
