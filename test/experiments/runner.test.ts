import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseExperiment } from '../../src/experiments/load.js';
import { runExperiment, experimentStatus } from '../../src/experiments/runner.js';
import { silentReporter } from '../../src/run/reporter.js';
import { buildReport } from '../../src/report/build.js';
import { planRuns } from '../../src/experiments/plan.js';

const exp = parseExperiment({
  name: 'tiny',
  title: 'Tiny RePr check',
  base: { model: { name: 'vanilla' }, data: { name: 'shapes', shapesTrain: 64, shapesVal: 32, augment: false }, train: { epochs: 2, batchSize: 32, lr: 0.02 }, backend: 'wasm' },
  budgets: { quick: { train: { epochs: 2 } }, full: { train: { epochs: 4 } } },
  budgetNotes: { quick: '2 epochs of 64 images' },
  seeds: 2,
  variants: [
    { name: 'baseline' },
    { name: 'repr', config: { repr: { unit: 'iteration', s1: 1, s2: 1, cycles: 1, dropFraction: 0.2 } }, budgets: { quick: { repr: { s1: 1 } } } },
    { name: 'sfp-export', config: { sfp: { keepRate: 0.75 } }, post: [{ step: 'prune-export' }] },
  ],
}, 'test');

test('budget patches reach technique sections only where a variant has them; seeds expand the grid', () => {
  const runs = planRuns(exp, { budget: 'quick', out: '/tmp/x' });
  assert.equal(runs.length, 6);
  assert.equal(runs.find((r) => r.variant.name === 'baseline')!.config.repr, undefined);
  assert.equal(runs.find((r) => r.variant.name === 'repr')!.config.repr!.s2, 1);
  assert.deepEqual(runs.map((r) => r.seed), [0, 1, 0, 1, 0, 1]);
  assert.throws(() => parseExperiment({ name: 'x', title: 't', variants: [{ name: 'a', from: 'b' }] }, 'f'), /variants\.0\.from/);
  assert.throws(() => planRuns(parseExperiment({ name: 'x', title: 't', variants: [{ name: 'a', config: { train: { lr: 'fast' } } }] }, 'f'), { budget: 'quick', out: '/tmp/y' }), /variants\.a\.train\.lr/);
});

test('runs a grid, skips finished runs on a rerun, and builds a report with charts', async () => {
  const out = mkdtempSync(join(tmpdir(), 'whittle-exp-'));
  try {
    const first = await runExperiment(exp, { budget: 'quick', seeds: 1, out, reporter: silentReporter });
    assert.equal(first.length, 3);
    for (const r of first) assert.ok(r.complete && r.trainSeconds > 0);
    const pe = first.find((r) => r.variant === 'sfp-export')!.post[0].result.summary;
    assert.ok((pe.paramsAfter as number) < (pe.paramsBefore as number));
    assert.equal(pe.top1Masked, pe.top1Exported);
    const mtime = readFileSync(join(out, 'baseline', 'seed-0', 'summary.json'), 'utf8');
    await runExperiment(exp, { budget: 'quick', seeds: 1, out, reporter: silentReporter });
    assert.equal(readFileSync(join(out, 'baseline', 'seed-0', 'summary.json'), 'utf8'), mtime);
    assert.ok(experimentStatus(exp, { budget: 'quick', seeds: 1, out }).every((s) => s.state === 'done'));
    const r = await buildReport(out);
    assert.ok(existsSync(r.htmlPath));
    assert.match(r.html, /Tiny RePr check/);
    assert.match(r.html, /RePr diagnostics/);
    assert.match(r.html, /Post-training: prune-export/);
    assert.match(r.html, /2 epochs of 64 images/);
    assert.ok(r.pngs.length >= 5);
    for (const p of r.pngs) assert.ok(existsSync(p));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('post steps enc, quant-sweep and pq-sweep run on a trained model and feed the report', async () => {
  const e = parseExperiment({
    name: 'tiny-post', title: 'Tiny post steps',
    base: { model: { name: 'resnet20' }, data: { name: 'shapes', shapesTrain: 64, shapesVal: 32, augment: false }, train: { epochs: 1, batchSize: 32 }, backend: 'wasm' },
    variants: [{
      name: 'trained',
      post: [
        { step: 'enc', target: 0.5, methods: ['uniform', 'map'], metric: 'pca', finetuneEpochs: 0 },
        { step: 'quant-sweep', bits: [8], rates: [0.5], observers: ['histogram'], finetuneEpochs: 0 },
        // per-budget fields; conv1's 27-value filters need their own block size when block = 18
        { step: 'pq-sweep', ks: { quick: [16], full: [64, 256] }, blocks: { quick: [18] }, layers: [{ pattern: '^conv1$', blockSize: 9 }], stages: { quick: ['.*'] }, noiseRates: [0], finetuneEpochs: 0 },
      ],
    }],
  }, 'test');
  const out = mkdtempSync(join(tmpdir(), 'whittle-post-'));
  try {
    const [r] = await runExperiment(e, { budget: 'quick', out, reporter: silentReporter });
    const byStep = Object.fromEntries(r.post.map((p) => [p.step, p.result]));
    assert.ok(Math.abs((byStep.enc.summary.mapFlops as number) - 0.5) < 0.01, `ENC-Map FLOPs ${byStep.enc.summary.mapFlops}`);
    assert.equal(byStep['quant-sweep'].table!.rows.length, 1);
    assert.equal(byStep['pq-sweep'].table!.rows.length, 1, 'the quick budget has one cell');
    const pqRow = byStep['pq-sweep'].table!.rows[0];
    assert.deepEqual(pqRow.slice(0, 2), [16, 18], 'K and block from the quick budget');
    assert.match(String(pqRow[8]), /^conv1 \d+ · stage1 \d+(–\d+)? · stage2 \d+(–\d+)? · stage3 \d+(–\d+)? · fc \d+$/, 'index bits per layer group');
    assert.ok((pqRow[5] as number) < (pqRow[4] as number), 'PQ compressed size below fp32 size');
    const rep = await buildReport(out, { png: false });
    for (const s of ['Post-training: enc', 'Post-training: quant-sweep', 'Post-training: pq-sweep']) assert.match(rep.html, new RegExp(s));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
