import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadExperimentFile } from '../../src/experiments/load.js';
import { planRuns } from '../../src/experiments/plan.js';
import { postStep } from '../../src/experiments/post-steps.js';
import { BUDGETS } from '../../src/experiments/schema.js';
import '../../src/experiments/builtin-steps.js';

const files = readdirSync('experiments').filter((f) => f.endsWith('.yaml'));

test('every shipped experiment file validates, plans at every budget and names only known post steps', () => {
  assert.ok(files.includes('resnet20-every-technique.yaml'));
  for (const f of files) {
    const exp = loadExperimentFile(join('experiments', f));
    for (const budget of BUDGETS) {
      const runs = planRuns(exp, { budget, out: '/tmp/whittle-plan-check' });
      assert.ok(runs.length >= exp.variants.length, `${f} ${budget}`);
      for (const r of runs) for (const s of r.variant.post) assert.doesNotThrow(() => postStep(s.step), `${f}: ${s.step}`);
    }
  }
});

test('the every-technique experiment: the recipe at standard, SFP from scratch, the rest reuse the baseline', () => {
  const exp = loadExperimentFile('experiments/resnet20-every-technique.yaml');
  const runs = planRuns(exp, { budget: 'standard', out: '/tmp/whittle-plan-check' });
  const base = runs.find((r) => r.variant.name === 'baseline')!;
  assert.equal(base.config.train.epochs, 30);
  assert.equal(base.config.train.lr, 0.1);
  assert.equal(base.config.data.trainSubset, undefined); // the full 40k/10k split
  assert.equal(runs.find((r) => r.variant.name === 'sfp')!.config.sfp!.keepRate, 0.7);
  for (const v of ['enc', 'quant', 'pq']) assert.equal(runs.find((r) => r.variant.name === v)!.variant.from, 'baseline');
  const enc = exp.variants.find((v) => v.name === 'enc')!.post.map((s) => s.target);
  assert.deepEqual(enc, [0.25, 0.5, 0.75]);
  const quick = planRuns(exp, { budget: 'quick', out: '/tmp/whittle-plan-check' })[0];
  assert.ok(quick.config.data.trainSubset! <= 2000 && quick.config.train.epochs <= 2);
});
