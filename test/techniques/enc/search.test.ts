import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encMap, uniformSearch, type SearchProblem } from '../../../src/techniques/enc/map.js';
import { buildSpace } from '../../../src/techniques/enc/space.js';
import { divideAndConquerSearch, exhaustiveSearch, type ScoreContext } from '../../../src/techniques/enc/search.js';
import { accuracyCurve, energyCurve, pcaEnergy } from '../../../src/techniques/enc/metrics.js';
import { complexity, type CostModel } from '../../../src/techniques/enc/cost.js';
import { Rng } from '../../../src/core/rng.js';

/** A ResNet-56-shaped problem: 55 spatial convs (conv1 fixed), synthetic decaying spectra. */
function resnet56Problem(): { p: SearchProblem; energy: ReturnType<typeof energyCurve>[] } {
  const rng = new Rng(3);
  const rMax: number[] = [];
  const c: number[] = [];
  const stage = (cin: number, cout: number, hw: number) => {
    rMax.push(Math.round((cin * cout * 3) / (cin + cout)));
    c.push((cin * 3 + cout * 3) * hw * hw);
  };
  for (let i = 0; i < 18; i++) stage(16, 16, 32);
  stage(16, 32, 16);
  for (let i = 0; i < 17; i++) stage(32, 32, 16);
  stage(32, 64, 8);
  for (let i = 0; i < 17; i++) stage(64, 64, 8);
  const conv1 = 3 * 3 * 3 * 16 * 32 * 32;
  const origMacs = conv1 + rMax.reduce((s, r, i) => s + r * c[i], 0);
  const energy = rMax.map((R) => {
    const decay = rng.uniform(0.02, 0.08);
    const s = Array.from({ length: 2 * R }, (_, i) => Math.exp(-decay * i) * rng.uniform(0.9, 1.1)).sort((a, b) => b - a);
    return energyCurve(pcaEnergy(s, R));
  });
  const cost: CostModel = { c, fixedMacs: conv1, origMacs };
  return { p: { names: rMax.map((_, i) => `l${i}`), rMax, cost }, energy };
}

test('ENC-Map realises the target within 0.001 (ResNet-56-shaped problem, several targets)', () => {
  const { p, energy } = resnet56Problem();
  for (const t of [0.3, 0.5, 0.55, 0.8]) {
    const r = encMap(p, energy, t);
    assert.ok(Math.abs(r.complexity - t) < 0.001, `target ${t}: realised ${r.complexity} (${r.how})`);
    assert.ok(Math.abs(complexity(p.cost, r.ranks) - r.complexity) < 1e-12);
    r.ranks.forEach((x, l) => assert.ok(x >= 1 && x <= p.rMax[l]));
  }
  const u = uniformSearch(p, 0.5);
  assert.ok(Math.abs(u.complexity - 0.5) < 0.01);
});

/** Small synthetic problem: 6 layers in 3 cost groups, metric curves with different slopes. */
function smallProblem() {
  const rMax = [12, 12, 12, 20, 16, 16];
  const c = [10, 10, 10, 7, 5, 5];
  const origMacs = rMax.reduce((s, r, i) => s + r * c[i], 0);
  const p: SearchProblem = { names: rMax.map((_, i) => `l${i}`), rMax, cost: { c, fixedMacs: 0, origMacs } };
  const energy = rMax.map((R, l) => energyCurve(pcaEnergy(Array.from({ length: R }, (_, i) => Math.exp(-(0.1 + 0.07 * l) * i)), R)));
  const accuracy = rMax.map((R, l) => accuracyCurve({ ranks: [1, Math.round(R / 4), Math.round(R / 2)], values: [0.1 + 0.05 * l, 0.6 + 0.03 * l, 0.95] }, R));
  return { p, energy, accuracy };
}

for (const metric of ['Ap', 'Am'] as const) {
  test(`divide-and-conquer finds the exhaustive search's best candidate (${metric})`, () => {
    const { p, energy, accuracy } = smallProblem();
    for (const target of [0.45, 0.6]) {
      const space = buildSpace(p, energy, target, { density: 0.9, margin: 0.05 });
      const ctx: ScoreContext = { energy, accuracy, metric, cost: p.cost };
      const ex = exhaustiveSearch(space, ctx, 3);
      const dc = divideAndConquerSearch(space, ctx, { topN: 3 });
      assert.ok(ex.length > 0, 'space has candidates');
      assert.deepEqual(dc[0].ranks, ex[0].ranks);
      assert.ok(Math.abs(dc[0].score - ex[0].score) < 1e-12);
      for (const cand of dc) {
        const removed = cand.ranks.reduce((s, r, l) => s + (space.up[l] - r) * p.cost.c[l], 0);
        assert.ok(removed > space.lowMacs && removed < space.highMacs);
      }
    }
  });
}

test('divide-and-conquer with A_c returns feasible, sorted candidates close to the exhaustive best', () => {
  const { p, energy, accuracy } = smallProblem();
  const space = buildSpace(p, energy, 0.5, { density: 0.9, margin: 0.05 });
  const ctx: ScoreContext = { energy, accuracy, metric: 'Ac', cost: p.cost };
  const ex = exhaustiveSearch(space, ctx, 1);
  const dc = divideAndConquerSearch(space, ctx, { topN: 5 });
  for (let i = 1; i < dc.length; i++) assert.ok(dc[i].score <= dc[i - 1].score);
  assert.ok(dc[0].score >= 0.97 * ex[0].score, `${dc[0].score} vs ${ex[0].score}`);
});

test('ENC-Model search on a ResNet-56-shaped problem finishes quickly and stays in budget', () => {
  const { p, energy } = resnet56Problem();
  const t0 = performance.now();
  const space = buildSpace(p, energy, 0.5);
  const cands = divideAndConquerSearch(space, { energy, metric: 'Ap', cost: p.cost }, { topN: 20 });
  const ms = performance.now() - t0;
  assert.ok(cands.length > 0);
  assert.ok(ms < 20000, `${ms} ms`);
  for (const cd of cands) assert.ok(Math.abs(cd.complexity - 0.5) < 0.01, `${cd.complexity}`);
});
