import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/engine/backend.js';
import { parseRunConfig } from '../../src/config/index.js';
import { buildModelAndTechniques } from '../../src/run/techniques.js';
import { quantLayers } from '../../src/techniques/quant/index.js';

await initBackend('wasm');

test('a quant section in the run config (or --quant-* flags) wraps every conv/dense layer and adds the hook', () => {
  const cfg = parseRunConfig({ model: { name: 'vanilla' }, quant: { bits: 4, noiseRate: 0.5, observer: { kind: 'ema' } } });
  const s = buildModelAndTechniques(cfg, { inputShape: [8, 8, 3], numClasses: 4, seed: 0 });
  assert.deepEqual(s.enabled, ['quant']);
  assert.equal(quantLayers(s.model).length, 4, 'conv1..3 and fc quantised');
  assert.deepEqual(s.hooks.map((h) => h.name), ['quant']);
  assert.throws(() => parseRunConfig({ quant: { bits: 12 } }), /quant\.bits/);
});
