import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, tfl } from '../../../src/engine/tf.js';
import { initBackend } from '../../../src/engine/backend.js';
import { modelParams } from '../../../src/models/params.js';
import { train } from '../../../src/train/loop.js';
import { Sgd } from '../../../src/train/optim/sgd.js';
import type { TrainHook } from '../../../src/train/hooks.js';
import { quantizeModel, quantLayers, stripQuantization } from '../../../src/techniques/quant/model.js';
import { decodeQuantized, exportQuantized, loadQuantizedInto, packCodes, unpackCodes } from '../../../src/techniques/quant/export.js';
import { quantNoiseHook } from '../../../src/techniques/quant/hook.js';
import { input, maxAbsDiff, tinyModel, toySource, values } from './helpers.js';

test('bit packing round trip for every b', () => {
  for (const bits of [2, 3, 4, 5, 6, 7, 8]) {
    const codes = Uint8Array.from({ length: 101 }, (_, i) => (i * 37 + 5) % 2 ** bits);
    const packed = packCodes(codes, bits);
    assert.equal(packed.length, Math.ceil((101 * bits) / 8));
    assert.deepEqual(unpackCodes(packed, bits, 101), codes);
  }
});

for (const bits of [8, 4]) {
  test(`int${bits} export → import: dequantised weights within s/2, plain model = quantised model at eval, size report`, async () => {
    await initBackend('wasm');
    const m = tinyModel(11);
    const qm = quantizeModel(m, { bits, observer: { kind: 'minmax' }, perChannel: bits === 4 });
    const x = input(2);
    const evalOut = tf.tidy(() => values(qm.apply(x) as tf.Tensor));
    const { bytes, report } = exportQuantized(qm);
    assert.equal(report.quantizedTensors, 3);
    assert.equal(report.fileBytes, bytes.length);
    const kernelBytes = modelParams(m).filter((p) => p.key.endsWith('kernel')).reduce((a, p) => a + p.variable.size * 4, 0);
    const biasBytes = report.floatBytes - kernelBytes;
    assert.ok(report.payloadBytes <= (kernelBytes * bits) / 32 + biasBytes + 3 * 8 * 5 + 3, JSON.stringify(report));
    const decoded = decodeQuantized(bytes);
    for (const l of quantLayers(qm)) {
      const w = l.floatKernel().dataSync();
      const d = decoded.get(`${l.name}/kernel`)!.data;
      const smax = Math.max(...l.quantizer().weightQParams!.scale);
      assert.ok(maxAbsDiff(w, d) <= smax / 2 + 1e-6, `${l.name}: ${maxAbsDiff(w, d)} vs s/2 = ${smax / 2}`);
    }
    const plain = stripQuantization(qm);
    loadQuantizedInto(plain, bytes);
    assert.ok(maxAbsDiff(tf.tidy(() => values(plain.apply(x) as tf.Tensor)), evalOut) < 1e-5);
    x.dispose();
  });
}

/** Records a digest of every quant layer's mask at each step (runs after the quant hook). */
function maskRecorder(model: tfl.LayersModel, out: string[]): TrainHook {
  return {
    name: 'recorder',
    onStepStart: () => {
      for (const l of quantLayers(model)) {
        const mk = l.quantizer().mask;
        out.push(typeof mk === 'string' || !mk ? String(mk) : Array.from(mk).join(''));
      }
    },
  };
}

test('hook drives steps and ranges; its state checkpoints so a resumed run draws the same masks', async () => {
  await initBackend('wasm');
  const data = toySource(24, 8, 1);
  const cfg = { bits: 4, noiseRate: 0.5, observer: { kind: 'ema' as const, momentum: 0.5 }, updateStep: 2, seed: 7 };
  const dir = mkdtempSync(join(tmpdir(), 'whittle-quant-'));
  try {
    const run = async (epochs: number, masks: string[], resume?: boolean) => {
      const qm = quantizeModel(tinyModel(2), cfg);
      const hooks = [quantNoiseHook(qm), maskRecorder(qm, masks)];
      const r = await train({ model: qm, data, epochs, optimizer: new Sgd({ momentum: 0.9 }), lr: 0.05, seed: 3, hooks, checkpoint: { dir }, resume });
      return { qm, r };
    };
    const full: string[] = [];
    const a = await run(2, full);
    const q = quantLayers(a.qm)[0].quantizer();
    assert.equal(q.step, 6, 'one beginStep per training step (3 steps × 2 epochs), not per forward');
    assert.equal(q.weightObserver.state().updates, 3, 'updateStep 2 → ranges refreshed at steps 0, 2, 4');
    rmSync(dir, { recursive: true, force: true });
    const first: string[] = [];
    await run(1, first);
    const second: string[] = [];
    const b = await run(2, second, true);
    assert.equal(b.r.resumedFrom !== undefined, true);
    assert.deepEqual([...first, ...second], full);
    const wa = modelParams(a.qm).map((p) => Array.from(p.variable.dataSync()));
    const wb = modelParams(b.qm).map((p) => Array.from(p.variable.dataSync()));
    assert.deepEqual(wb, wa, 'bit-identical resume');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
