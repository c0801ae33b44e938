import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../helpers/cli.js';
import { tf, tfl } from '../../../src/engine/tf.js';
import { train } from '../../../src/train/loop.js';
import { Sgd } from '../../../src/train/optim/sgd.js';
import { register } from '../../../src/cli/commands/quant.js';
import { initBackend } from '../../../src/engine/backend.js';
import type { Batch } from '../../../src/train/types.js';
import { loadQuantizedModel, runQuant } from '../../../src/techniques/quant/pipeline.js';
import { formatSweepTable, runQuantSweep, sweepCells } from '../../../src/techniques/quant/sweep.js';
import { quantTechnique } from '../../../src/techniques/quant/technique.js';
import { quantLayers } from '../../../src/techniques/quant/model.js';
import { input, maxAbsDiff, tinyModel, toySource, values } from './helpers.js';

test('runQuant: fine-tunes, exports, and the written directory loads back as the exported model', async () => {
  await initBackend('wasm');
  const src = toySource(48, 16, 2);
  const val = (): Iterable<Batch> => [src.all()];
  const dir = mkdtempSync(join(tmpdir(), 'whittle-quant-run-'));
  try {
    const m = tinyModel(4);
    const r = await runQuant({ model: m, config: { bits: 4, noiseRate: 0.5, observer: { kind: 'histogram', bins: 256 }, updateStep: 2 }, train: src, val, epochs: 1, lr: 0.05, out: dir });
    assert.equal(r.iterations, 3);
    for (const k of ['float', 'ptq', 'finetuned', 'exported'] as const) assert.ok(r.accuracy[k]! >= 0 && r.accuracy[k]! <= 1, k);
    assert.equal(r.accuracy.exported, r.accuracy.finetuned, 'the file holds exactly what the model evaluates');
    assert.ok(r.size.floatBytes / r.size.payloadBytes > 3, `int4 shrinks the payload: ${JSON.stringify(r.size)}`); // the header dominates a model this small
    const back = await loadQuantizedModel(dir);
    const x = input(2);
    assert.ok(maxAbsDiff(tf.tidy(() => values(back.model.apply(x) as tf.Tensor)), tf.tidy(() => values(r.model.apply(x) as tf.Tensor))) < 1e-5);
    x.dispose();
    back.model.dispose();
    r.model.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sweep cells cover rates × observers × bits and the runner prints one row per cell', async () => {
  const cells = sweepCells({ rates: [0, 0.1, 0.5, 1], observers: ['ema', 'histogram'], bits: [8, 4] });
  assert.equal(cells.length, 16);
  assert.equal(cells[0].id, 'int8-ema-p0');
  const src = toySource(16, 16, 3);
  const rows = await runQuantSweep(
    { rates: [0, 1], observers: ['minmax'], bits: [4], base: { perChannel: true } },
    { model: tinyModel(6), train: src, val: () => [src.all()], epochs: 1 },
  );
  assert.equal(rows.length, 2);
  assert.deepEqual(rows.map((r) => r.noiseRate), [0, 1]);
  assert.equal(rows[0].report.config.perChannel, true);
  const table = formatSweepTable(rows);
  assert.equal(table.split('\n').length, 3);
  assert.match(table, /minmax/);
});

test('quantTechnique: run-config section → quantised model + hook', () => {
  const { model, hooks, config } = quantTechnique(tinyModel(8), { bits: 4, noiseRate: 0.1, exclude: ['conv1'] });
  assert.deepEqual(quantLayers(model).map((l) => l.name), ['stage1.block0.conv1', 'fc']);
  assert.equal(hooks[0].name, 'quant');
  assert.equal(config.observer.kind, 'histogram');
  assert.throws(() => quantTechnique(tinyModel(8), { bits: 9 }), /config field "quant.bits"/);
  assert.throws(() => quantTechnique(tinyModel(8), { bitz: 4 } as never), /quant/);
  model.dispose();
});

test('whittle quant CLI: checkpoint (shapes) → fine-tune → integer files + report', async () => {
  await initBackend('wasm');
  const dir = mkdtempSync(join(tmpdir(), 'whittle-quant-cli-'));
  try {
    const inp = tfl.input({ shape: [32, 32, 3] });
    let h = tfl.layers.conv2d({ filters: 4, kernelSize: 3, strides: 4, padding: 'same', activation: 'relu', name: 'conv1' }).apply(inp) as tfl.SymbolicTensor;
    h = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(h) as tfl.SymbolicTensor;
    const m = tfl.model({ inputs: inp, outputs: tfl.layers.dense({ units: 10, name: 'fc' }).apply(h) as tfl.SymbolicTensor });
    const one = { x: new Float32Array(8 * 32 * 32 * 3), y: new Int32Array(8), n: 8 };
    await train({ model: m, data: { stepsPerEpoch: 1, epoch: () => [one] }, epochs: 1, optimizer: new Sgd(), lr: 0.01, seed: 0, checkpoint: { dir: join(dir, 'run', 'checkpoints') } });
    const lines = await runCommand(register, ['quant', '--checkpoint', join(dir, 'run'), '--dataset', 'shapes', '--limit-train', '32', '--limit-val', '32',
      '--batch-size', '16', '--bits', '4', '--noise-rate', '0.5', '--observer', 'ema', '--per-channel', '--epochs', '1', '--backend', 'wasm', '--json', '--out', join(dir, 'q')]);
    const report = JSON.parse(lines[lines.length - 1]) as { iterations: number; config: { bits: number; perChannel: boolean }; accuracy: Record<string, number> };
    assert.equal(report.iterations, 2);
    assert.deepEqual([report.config.bits, report.config.perChannel], [4, true]);
    assert.equal(report.accuracy.exported, report.accuracy.finetuned);
    const back = await loadQuantizedModel(join(dir, 'q'));
    assert.equal(quantLayers(back.model).length, 0);
    back.model.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
