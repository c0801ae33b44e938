import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../../src/engine/tf.js';
import { initBackend } from '../../../src/engine/backend.js';
import type { Batch } from '../../../src/train/types.js';
import { loadQuantizedModel, runQuant } from '../../../src/techniques/quant/pipeline.js';
import { formatSweepTable, runQuantSweep, sweepCells } from '../../../src/techniques/quant/sweep.js';
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
