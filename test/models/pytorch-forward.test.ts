/**
 * Architecture fidelity against PyTorch: resnet20 with the same (formula) weights and input gives the
 * logits the PyTorch reference net of scripts/fixtures/model-params.py computes. This pins the option-A
 * shortcut, the stride-2 padding grid, BN inference semantics (eps 1e-5) and the block wiring.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onBackend, relError, tf } from '../helpers/backends.js';
import { createModel } from '../../src/models/registry.js';
import { modelParams } from '../../src/models/params.js';
import { fixture } from './helpers.js';

const BN_NAMES: Record<string, string> = { gamma: 'weight', beta: 'bias', moving_mean: 'running_mean', moving_variance: 'running_var' };

/** The generator's formula_value: index i in PyTorch layout. */
function formula(name: string, i: number, fanIn: number): number {
  let phase = 0;
  for (const ch of name) phase += ch.charCodeAt(0);
  const v = Math.sin(0.7 * i + (phase % 97));
  if (fanIn > 1) return v * Math.sqrt(2 / fanIn);
  if (/(running_var|bn1\.weight|bn2\.weight)$/.test(name)) return 1 + 0.2 * v;
  return 0.2 * v;
}

/** Whittle key → PyTorch parameter name of the generator's CifarResNet. */
function torchName(key: string, blocksPerStage: number): string {
  const [layer, w] = key.split('/');
  const m = /^stage(\d+)\.block(\d+)\.(.+)$/.exec(layer);
  const mod = m ? `blocks.${(Number(m[1]) - 1) * blocksPerStage + Number(m[2])}.${m[3]}` : layer;
  return `${mod}.${w === 'kernel' ? 'weight' : (BN_NAMES[w] ?? w)}`;
}

/** Values for a Whittle weight (HWIO conv, [in, out] dense) read from the PyTorch-layout formula. */
function values(name: string, shape: number[]): Float32Array {
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  if (shape.length === 4) {
    const [kh, kw, ci, co] = shape;
    for (let h = 0; h < kh; h++)
      for (let w = 0; w < kw; w++)
        for (let i = 0; i < ci; i++)
          for (let o = 0; o < co; o++) out[((h * kw + w) * ci + i) * co + o] = formula(name, ((o * ci + i) * kh + h) * kw + w, kh * kw * ci);
  } else if (shape.length === 2) {
    const [ni, no] = shape;
    for (let i = 0; i < ni; i++) for (let o = 0; o < no; o++) out[i * no + o] = formula(name, o * ni + i, ni);
  } else {
    for (let i = 0; i < out.length; i++) out[i] = formula(name, i, 1);
  }
  return out;
}

test('resnet20 logits equal PyTorch reference logits for the same weights and input', async () => {
  const { model: name, batch, size, logits } = fixture.forward;
  await onBackend('wasm', () => {
    const m = createModel(name, { inputShape: [size, size, 3] });
    const n = (Number(name.slice(6)) - 2) / 6;
    for (const p of modelParams(m)) {
      const t = tf.tensor(values(torchName(p.key, n), p.variable.shape), p.variable.shape);
      p.variable.assign(t);
      t.dispose();
    }
    // Input NCHW sin(0.1·i) laid out as NHWC.
    const x = new Float32Array(batch * size * size * 3);
    for (let b = 0; b < batch; b++)
      for (let c = 0; c < 3; c++)
        for (let h = 0; h < size; h++)
          for (let w = 0; w < size; w++) x[((b * size + h) * size + w) * 3 + c] = Math.sin(0.1 * (((b * 3 + c) * size + h) * size + w));
    const y = m.predict(tf.tensor4d(x, [batch, size, size, 3])) as tf.Tensor;
    const err = relError(y.dataSync(), logits);
    assert.ok(err < 1e-4, `relative error ${err}`);
    m.dispose();
  });
});
