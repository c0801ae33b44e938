import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tf } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { Sgd } from '../../src/train/optim/sgd.js';
import { Adam } from '../../src/train/optim/adam.js';
import { createOptimizer } from '../../src/train/optim/index.js';
import type { Optimizer } from '../../src/train/optim/optimizer.js';
import { relError } from '../helpers/backends.js';

interface Fixture {
  shapes: Record<string, number[]>;
  lrs: number[];
  params0: Record<string, number[]>;
  grads: Record<string, number[]>[];
  cases: { name: string; kind: 'sgd' | 'adam' | 'adamw'; options: Record<string, unknown>; steps: { params: Record<string, number[]>; state: Record<string, Record<string, number[]>> }[] }[];
}
const fx: Fixture = JSON.parse(readFileSync(new URL('../fixtures/train/optim-torch.json', import.meta.url), 'utf8'));

before(async () => {
  await initBackend('wasm');
});

function make(kind: string, o: Record<string, unknown>): Optimizer {
  if (kind === 'sgd') {
    return new Sgd({ momentum: o.momentum as number, dampening: o.dampening as number, nesterov: o.nesterov as boolean, weightDecay: o.weight_decay as number });
  }
  const betas = (o.betas as number[] | undefined) ?? [0.9, 0.999];
  return new Adam({ beta1: betas[0], beta2: betas[1], eps: o.eps as number, weightDecay: o.weight_decay as number, decoupled: kind === 'adamw' });
}

const vars = (values: Record<string, number[]>) =>
  new Map(Object.entries(values).map(([k, v]) => [k, tf.variable(tf.tensor(v, fx.shapes[k]), false)] as const));

for (const c of fx.cases) {
  test(`${c.name} matches torch.optim step by step`, () => {
    const opt = make(c.kind, c.options);
    const params = vars(fx.params0);
    for (let t = 0; t < c.steps.length; t++) {
      const grads = new Map(Object.entries(fx.grads[t]).map(([k, v]) => [k, tf.tensor(v, fx.shapes[k])] as const));
      opt.apply(params, grads, fx.lrs[t]);
      tf.dispose([...grads.values()]);
      for (const [k, p] of params) {
        const want = c.steps[t].params[k];
        const err = relError(p.dataSync(), want);
        assert.ok(err < 2e-6, `${c.name} step ${t + 1} ${k}: rel err ${err}`);
        for (const [slot, values] of Object.entries(c.steps[t].state[k])) {
          const s = opt.state(k)?.[slot];
          assert.ok(s, `slot ${slot} of ${k}`);
          assert.ok(relError(s.dataSync(), values) < 2e-6, `${c.name} step ${t + 1} ${k}#${slot}`);
        }
      }
    }
    opt.dispose();
    tf.dispose([...params.values()]);
  });
}

test('SGD momentum + Nesterov + weight decay by hand (two steps)', () => {
  const opt = new Sgd({ momentum: 0.5, nesterov: true, weightDecay: 0.1 });
  const p = tf.variable(tf.tensor1d([1, -2]));
  const params = new Map([['p', p]]);
  const g = new Map([['p', tf.tensor1d([0.5, 0.25])]]);
  // step 1: d = g + 0.1p = [0.6, 0.05]; buf = d; d' = d + 0.5buf = [0.9, 0.075]; p = p - 0.1d'
  opt.apply(params, g, 0.1);
  const p1 = [1 - 0.09, -2 - 0.0075];
  assert.ok(relError(p.dataSync(), p1) < 1e-6);
  // step 2: d = g + 0.1p1; buf = 0.5·buf + d; d' = d + 0.5·buf; p = p1 − 0.1d'
  const d = [0.5 + 0.1 * p1[0], 0.25 + 0.1 * p1[1]];
  const buf = [0.5 * 0.6 + d[0], 0.5 * 0.05 + d[1]];
  opt.apply(params, g, 0.1);
  const p2 = [p1[0] - 0.1 * (d[0] + 0.5 * buf[0]), p1[1] - 0.1 * (d[1] + 0.5 * buf[1])];
  assert.ok(relError(p.dataSync(), p2) < 1e-6, `${p.dataSync()} vs ${p2}`);
  assert.ok(relError(opt.state('p')!.momentum.dataSync(), buf) < 1e-6);
  opt.dispose();
  tf.dispose([p, ...g.values()]);
});

for (const kind of ['sgd', 'adam', 'adamw'] as const) {
  test(`${kind}: freeze mask keeps zeroed entries exactly 0 (with momentum and weight decay) and resets state`, () => {
    const opt = kind === 'sgd' ? createOptimizer({ type: 'sgd', momentum: 0.9, weightDecay: 0.1 }) : createOptimizer({ type: kind, weightDecay: 0.1 });
    const p = tf.variable(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]));
    const params = new Map([['w', p]]);
    const g = new Map([['w', tf.tensor2d([0.3, -0.2, 0.1, 0.4, 0.5, -0.6], [2, 3])]]);
    for (let i = 0; i < 3; i++) opt.apply(params, g, 0.1); // builds momentum everywhere
    const mask = tf.tensor2d([[1, 0, 1]]); // freeze column 1 (a "filter")
    tf.tidy(() => p.assign(tf.mul(p, mask))); // the hook zeroes it once
    const before = p.dataSync().slice();
    for (let i = 0; i < 5; i++) opt.apply(params, g, 0.1, new Map([['w', mask]]));
    const after = p.dataSync();
    assert.equal(after[1], 0);
    assert.equal(after[4], 0);
    assert.notEqual(after[0], before[0]);
    for (const s of Object.values(opt.state('w')!)) {
      const v = s.dataSync();
      assert.ok(v[1] === 0 && v[4] === 0, `state of frozen entries: ${v[1]}, ${v[4]}`); // ±0 both fine
    }
    opt.dispose();
    tf.dispose([p, mask, ...g.values()]);
  });
}

test('optimizer state round-trips through get/setState and continues identically', () => {
  const run = (restore: boolean) => {
    const opt = new Adam({ weightDecay: 0.01 });
    const p = tf.variable(tf.tensor1d([0.5, -1, 2]));
    const params = new Map([['p', p]]);
    const g = new Map([['p', tf.tensor1d([0.1, 0.2, -0.3])]]);
    opt.apply(params, g, 0.01);
    let o: Optimizer = opt;
    if (restore) {
      const st = opt.getState();
      opt.dispose();
      o = new Adam({ weightDecay: 0.01 });
      o.setState(st);
    }
    o.apply(params, g, 0.01);
    const out = p.dataSync().slice();
    o.dispose();
    tf.dispose([p, ...g.values()]);
    return out;
  };
  assert.deepEqual(run(true), run(false));
});

test('optimizer steps leak no tensors; bad masks and shapes are reported by key', () => {
  const opt = new Sgd({ momentum: 0.9, weightDecay: 1e-4 });
  const p = tf.variable(tf.zeros([3, 3, 2, 4]));
  const params = new Map([['conv/kernel', p]]);
  const g = new Map([['conv/kernel', tf.ones([3, 3, 2, 4])]]);
  const mask = tf.ones([1, 1, 1, 4]);
  opt.apply(params, g, 0.1, new Map([['conv/kernel', mask]]));
  const n0 = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) opt.apply(params, g, 0.1, new Map([['conv/kernel', mask]]));
  assert.equal(tf.memory().numTensors, n0);
  const bad = tf.ones([1, 1, 1, 3]);
  assert.throws(() => opt.apply(params, g, 0.1, new Map([['conv/kernel', bad]])), /conv\/kernel.*\[1,1,1,3\]/);
  const badG = new Map([['conv/kernel', tf.ones([3, 3, 2, 3])]]);
  assert.throws(() => opt.apply(params, badG, 0.1), /gradient of "conv\/kernel"/);
  assert.throws(() => new Sgd({ nesterov: true }), /nesterov/);
  opt.dispose();
  tf.dispose([p, mask, bad, ...g.values(), ...badG.values()]);
});
