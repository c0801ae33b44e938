import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onBackend, randomArray, tf } from '../helpers/backends.js';
import { tfl } from '../../src/engine/tf.js';
import { createModel } from '../../src/models/registry.js';
import { createResNetCifar } from '../../src/models/resnet-cifar.js';
import { describeResidualBlocks, residualStreams } from '../../src/models/residual.js';
import { ShortcutA } from '../../src/models/layers.js';
import { conv3x3 } from '../../src/models/common.js';

test('ShortcutA = x[:, ::2, ::2, :] followed by zero channels (odd sizes too)', async () => {
  await onBackend('wasm', () => {
    for (const [h, w] of [[8, 8], [7, 5]]) {
      const x = tf.tensor4d(randomArray(2 * h * w * 3, 1), [2, h, w, 3]);
      const y = new ShortcutA({ outChannels: 5, stride: 2 }).apply(x) as tf.Tensor;
      const ho = Math.ceil(h / 2);
      const wo = Math.ceil(w / 2);
      assert.deepEqual(y.shape, [2, ho, wo, 5]);
      const xv = x.arraySync() as number[][][][];
      const yv = y.arraySync() as number[][][][];
      for (let b = 0; b < 2; b++)
        for (let i = 0; i < ho; i++)
          for (let j = 0; j < wo; j++) assert.deepEqual(yv[b][i][j], [...xv[b][2 * i][2 * j], 0, 0]);
      tf.dispose([x, y]);
    }
  });
});

test('stride-2 convs sample the same grid as the shortcut (PyTorch padding=1)', async () => {
  await onBackend('wasm', () => {
    const input = tfl.input({ shape: [7, 7, 2] });
    const conv = tfl.model({ inputs: input, outputs: conv3x3(input, 'c', 2, 2, false) });
    // Centre tap only, identity over channels: out[i, j] must equal in[2i, 2j].
    const k = new Float32Array(9 * 2 * 2);
    k[4 * 4 + 0] = 1;
    k[4 * 4 + 3] = 1;
    conv.setWeights([tf.tensor4d(k, [3, 3, 2, 2])]);
    const x = tf.tensor4d(randomArray(7 * 7 * 2, 3), [1, 7, 7, 2]);
    const a = (conv.predict(x) as tf.Tensor).dataSync();
    const b = (new ShortcutA({ outChannels: 2 }).apply(x) as tf.Tensor).dataSync();
    assert.deepEqual(Array.from(a), Array.from(b));
  });
});

test('describeResidualBlocks lists every block with its branch, shortcut and tied conv', () => {
  const m = createModel('resnet56');
  const blocks = describeResidualBlocks(m);
  assert.equal(blocks.length, 27);
  assert.deepEqual(
    blocks.map((b) => b.index),
    Array.from({ length: 27 }, (_, i) => i),
  );
  const b0 = blocks[0];
  assert.equal(b0.name, 'stage1.block0');
  assert.equal(b0.input, 'relu1');
  assert.deepEqual(b0.branch, ['stage1.block0.conv1', 'stage1.block0.bn1', 'stage1.block0.relu1', 'stage1.block0.conv2', 'stage1.block0.bn2']);
  assert.equal(b0.branchOutput, 'stage1.block0.bn2');
  assert.equal(b0.shortcut, null);
  assert.equal(b0.output, 'stage1.block0.relu');
  const s2 = blocks[9];
  assert.equal(s2.name, 'stage2.block0');
  assert.equal(s2.shortcut, 'stage2.block0.shortcut');
  assert.equal(s2.input, 'stage1.block8.relu');
  assert.deepEqual([s2.inChannels, s2.outChannels, s2.stride], [16, 32, 2]);
  assert.equal(s2.tiedConv, 'stage2.block0.conv2');
  const streams = residualStreams(m);
  assert.deepEqual(streams.map((s) => [s.stage, s.channels, s.convs.length, s.carriedFrom, s.carriedChannels]), [
    [1, 16, 10, null, 0],
    [2, 32, 9, 1, 16],
    [3, 64, 9, 2, 32],
  ]);
  assert.equal(streams[0].convs[0], 'conv1');
  assert.deepEqual(describeResidualBlocks(createModel('vanilla')), []);
});

test('wrapBranch inserts a layer between branch and add; the description follows it', async () => {
  await onBackend('wasm', () => {
    const seen: number[] = [];
    const m = createResNetCifar(20, {
      wrapBranch: (y, ctx) => {
        seen.push(ctx.globalIndex);
        assert.equal(ctx.numBlocks, 9);
        return tfl.layers.activation({ activation: 'linear', name: `${ctx.block}.gate` }).apply(y) as tfl.SymbolicTensor;
      },
    });
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const b = describeResidualBlocks(m)[4];
    assert.equal(b.branchOutput, 'stage2.block1.gate');
    assert.equal(b.branch[b.branch.length - 1], 'stage2.block1.gate');
    // An identity gate changes nothing.
    const ref = createResNetCifar(20);
    const x = tf.tensor4d(randomArray(32 * 32 * 3, 2), [1, 32, 32, 3]);
    assert.deepEqual(Array.from((m.predict(x) as tf.Tensor).dataSync()), Array.from((ref.predict(x) as tf.Tensor).dataSync()));
  });
});
