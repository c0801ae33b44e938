import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constant, cosine, multiStep, step } from '../../src/train/schedule.js';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

test('constant and step (PyTorch StepLR)', () => {
  assert.equal(constant(0.1)(7, 1234), 0.1);
  const s = step({ base: 0.1, stepSize: 30, gamma: 0.1 });
  close(s(0, 0), 0.1);
  close(s(29, 9999), 0.1);
  close(s(30, 0), 0.01);
  close(s(89, 0), 0.1 * 0.1 ** 2);
  const si = step({ base: 1, stepSize: 100, gamma: 0.5, unit: 'iteration' });
  close(si(5, 99), 1);
  close(si(0, 250), 0.25);
});

test('multi-step with one gamma (MultiStepLR) and with SFP per-milestone gammas', () => {
  const m = multiStep({ base: 0.1, milestones: [50, 75], gamma: 0.1 });
  close(m(49, 0), 0.1);
  close(m(50, 0), 0.01);
  close(m(75, 0), 0.001);
  // he-y/soft-filter-pruning: --lr 0.01 --schedule 1 60 120 160 --gammas 10 0.2 0.2 0.2
  const sfp = multiStep({ base: 0.01, milestones: [1, 60, 120, 160], gamma: [10, 0.2, 0.2, 0.2] });
  close(sfp(0, 0), 0.01);
  close(sfp(1, 0), 0.1);
  close(sfp(59, 0), 0.1);
  close(sfp(60, 0), 0.02);
  close(sfp(120, 0), 0.004);
  close(sfp(199, 0), 0.0008);
  assert.throws(() => multiStep({ base: 1, milestones: [1, 2], gamma: [0.1] }), /schedule.gamma/);
  assert.throws(() => multiStep({ base: 1, milestones: [5, 2] }), /schedule.milestones/);
});

test('cosine (CosineAnnealingLR closed form) with and without linear warm-up', () => {
  const c = cosine({ base: 0.1, total: 100, min: 0.001 });
  close(c(0, 0), 0.1);
  close(c(50, 0), 0.001 + (0.1 - 0.001) / 2);
  close(c(100, 0), 0.001);
  close(c(150, 0), 0.001);
  close(c(25, 0), 0.001 + ((0.1 - 0.001) * (1 + Math.cos(Math.PI / 4))) / 2);
  const w = cosine({ base: 1, total: 110, warmup: 10, warmupStartFactor: 0.1, unit: 'iteration' });
  close(w(0, 0), 0.1);
  close(w(0, 5), 0.55);
  close(w(0, 10), 1);
  close(w(3, 60), 0.5);
  close(w(9, 110), 0);
  assert.throws(() => cosine({ base: 1, total: 5, warmup: 5 }), /schedule.total/);
});
