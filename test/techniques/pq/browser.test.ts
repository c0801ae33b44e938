/**
 * Browser parity: the compressed file decoded by src/browser/pq-decoder.ts (bundled with esbuild, no Node
 * APIs) in headless Chromium reproduces the Node logits within 1e-5. Skipped, with the reason, when
 * /usr/bin/chromium (Debian `chromium`, apt-installed by .ci/run) is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../../src/engine/tf.js';
import { initBackend } from '../../../src/engine/backend.js';
import { Rng } from '../../../src/core/rng.js';
import { createModel } from '../../../src/models/registry.js';
import { runIPQ } from '../../../src/techniques/pq/ipq.js';
import { encodePQModel, decodePQModel } from '../../../src/techniques/pq/format.js';
import { browserLogits, browserSkipReason } from '../../../scripts/pq-browser-parity.js';

const skip = browserSkipReason() ?? false;

test('browser parity: headless Chromium decodes the PQ file to the Node logits (1e-5)', { skip, timeout: 120_000 }, async () => {
  await initBackend('cpu');
  const dir = mkdtempSync(join(tmpdir(), 'whittle-pq-browser-'));
  try {
    const model = createModel('resnet20', { inputShape: [8, 8, 3], seed: 4 });
    const { model: pq } = await runIPQ(model, { config: { k: 16, iterations: 3 } });
    writeFileSync(join(dir, 'model.pq'), await encodePQModel(pq, { coding: 'huffman' }));
    const xData = new Rng(6).fillNormal(new Float32Array(2 * 8 * 8 * 3), 0, 1);
    const fileBytes = readFileSync(join(dir, 'model.pq'));
    const node = await decodePQModel(new Uint8Array(fileBytes));
    const nodeLogits = Array.from((node.model.predict(tf.tensor(xData, [2, 8, 8, 3])) as tf.Tensor).dataSync());

    const out = await browserLogits(new Uint8Array(fileBytes), xData, [2, 8, 8, 3]);
    assert.equal(out.backend, 'cpu');
    assert.equal(out.logits.length, nodeLogits.length);
    const err = Math.max(...Array.from(out.logits, (v, i) => Math.abs(v - nodeLogits[i])));
    assert.ok(err <= 1e-5, `browser vs node max |Δlogit| = ${err}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
