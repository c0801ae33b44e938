import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../helpers/cli.js';
import { initBackend } from '../../../src/engine/backend.js';
import { createModel } from '../../../src/models/registry.js';
import { train, Sgd } from '../../../src/train/index.js';
import { makeShapes } from '../../../src/data/index.js';
import { register } from '../../../src/cli/commands/pq.js';
import { decodePQModel } from '../../../src/techniques/pq/format.js';

test('whittle pq: checkpoint → iPQ with fine-tuning + noise → file; prints per-layer table, sizes, accuracies', { timeout: 120_000 }, async () => {
  await initBackend('wasm');
  const dir = mkdtempSync(join(tmpdir(), 'whittle-pq-cli-'));
  try {
    const model = createModel('resnet20', { seed: 1 });
    const ds = makeShapes({ n: 4, seed: 1 });
    const x = Float32Array.from(ds.images, (v) => v / 255 - 0.5);
    await train({
      model, epochs: 1, optimizer: new Sgd(), lr: 0.01, seed: 0, meta: { modelName: 'resnet20', dataset: 'shapes' },
      data: { stepsPerEpoch: 1, *epoch() { yield { x, y: ds.labels, n: 4 }; } },
      checkpoint: { dir: join(dir, 'run') },
    });
    const lines = await runCommand(register, ['pq', '--checkpoint', join(dir, 'run'), '--k', '16', '--block', 'conv3x3:9,dense:8', '--iterations', '3',
      '--stages', '^stage3;.', '--finetune-epochs', '1', '--noise-rate', '0.1', '--dataset', 'shapes', '--limit-train', '16', '--limit-val', '16',
      '--batch-size', '8', '--backend', 'wasm', '--out', join(dir, 'model.pq')]);
    const text = lines.join('\n');
    assert.match(text, /stage 1\/2 \(\^stage3\): quantised stage3\.block0\.conv1/);
    assert.match(text, /layer\s+blocks\s+K\s+bs\s+bits/);
    assert.match(text, /stage3\.block2\.conv2\s+4096\s+16\s+9\s+4\s/); // 64·64·9/9 blocks, 4 bits
    assert.match(text, /conv1\s+48\s+8 \(clamped\)/);
    assert.match(text, /model size: .* fp32 → .* \(\d+\.\d×/);
    assert.match(text, /accuracy \(top-1\): before \d+\.\d\d %, after \d+\.\d\d %/);
    const bytes = readFileSync(join(dir, 'model.pq'));
    assert.equal(statSync(join(dir, 'model.pq')).size, bytes.length);
    const d = await decodePQModel(new Uint8Array(bytes));
    assert.equal(Object.keys(d.layers).length, 20);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
