/**
 * The report as a reader sees it: a tiny experiment with every section (training curves, RePr, SFP
 * removal, ENC at two targets, quantisation, PQ, the cross-technique chart, provenance) is run, its
 * report opened in headless Chromium (Debian `chromium`, apt-installed by .ci/run) and checked for
 * charts without marks, tables or charts wider than the page column, console errors and NaN/undefined
 * text; the checker itself is shown to catch each of those on a page made to have them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseExperiment } from '../../src/experiments/load.js';
import { runExperiment } from '../../src/experiments/runner.js';
import { silentReporter } from '../../src/run/index.js';
import { buildReport } from '../../src/report/build.js';
import { browserSkipReason, checkReport } from '../../scripts/report-check.js';

const skip = browserSkipReason() ?? false;

const exp = parseExperiment({
  name: 'tiny-all',
  title: 'Every section, tiny',
  base: { model: { name: 'resnet20' }, data: { name: 'shapes', shapesTrain: 64, shapesVal: 32, augment: false }, train: { epochs: 1, batchSize: 32, lr: 0.05, logEvery: 1 }, backend: 'wasm' },
  seeds: 1,
  variants: [
    { name: 'baseline', post: [{ step: 'measure' }] },
    { name: 'repr', config: { model: { name: 'vanilla' }, train: { epochs: 2 }, repr: { unit: 'iteration', s1: 2, s2: 1, cycles: 1, dropFraction: 0.2 } } },
    { name: 'sfp', config: { sfp: { keepRate: 0.75 } }, post: [{ step: 'prune-export', technique: 'SFP + removal' }] },
    {
      name: 'compress', from: 'baseline',
      post: [
        { step: 'enc', target: 0.5, methods: ['model'], finetuneEpochs: 0 },
        { step: 'enc', target: 0.75, methods: ['model'], finetuneEpochs: 0 },
        { step: 'quant-sweep', bits: [8, 4], rates: [1], observers: ['histogram'], finetuneEpochs: 0 },
        { step: 'pq-sweep', ks: [16], blocks: [9], noiseRates: [0], stages: ['.*'], finetuneEpochs: 0 },
      ],
    },
  ],
}, 'test');

test('the report renders in Chromium: every chart has marks, nothing overflows its column, no console error', { skip, timeout: 300_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'whittle-report-browser-'));
  try {
    await runExperiment(exp, { budget: 'quick', out, reporter: silentReporter });
    // --out elsewhere: the PNGs follow the HTML into a folder named like it.
    const html = join(out, 'elsewhere', 'tiny.html');
    const r = await buildReport(out, { out: html });
    assert.equal(r.pngDir, join(dirname(html), 'tiny'));
    assert.ok(r.pngs.length >= 8 && r.pngs.every((p) => p.startsWith(r.pngDir) && existsSync(p)), r.pngs.join(', '));
    assert.ok(!existsSync(join(out, 'report')), 'nothing written to <dir>/report when --out points elsewhere');
    for (const s of ['Every technique: accuracy vs size and FLOPs', 'RePr diagnostics', 'Training loss per step', 'Provenance', 'Post-training: enc', 'float model']) assert.ok(r.html.includes(s), s);
    assert.doesNotMatch(r.html, /not recorded/); // provenance was recorded for every run
    assert.doesNotMatch(r.html, /\d\.\d{6}</); // no 15.800000-style axis labels
    for (const width of [1280, 820]) {
      const c = await checkReport(html, { width });
      assert.deepEqual(c.emptyCharts, [], `empty charts at ${width} px`);
      assert.deepEqual(c.overflows, [], `overflow at ${width} px`);
      assert.deepEqual(c.consoleErrors, []);
      assert.deepEqual(c.badText, []);
      assert.ok(c.charts >= 8 && c.tables >= 8, `${c.charts} charts, ${c.tables} tables`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('the browser check catches an empty chart, a table wider than its column and a console error', { skip, timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'whittle-report-check-'));
  try {
    const file = join(dir, 'bad.html');
    const wide = `<tr>${Array.from({ length: 40 }, (_, i) => `<td style="white-space:nowrap">column-${i}-long-value</td>`).join('')}</tr>`;
    writeFileSync(file, `<!doctype html><html><body style="max-width:600px"><section><h2>x</h2>
      <figure><svg width="200" height="100"><g class="mark-group role-frame"><g class="mark-rect role-mark"></g></g><text class="role-title-text">Empty one</text></svg></figure>
      <div class="tw" style="overflow-x:auto"><table><caption>Wide</caption>${wide}</table></div>
      <p>value NaN here</p><script>console.error('boom')</script></section></body></html>`);
    const c = await checkReport(file);
    assert.deepEqual(c.emptyCharts, ['Empty one']);
    assert.equal(c.overflows.length, 1);
    assert.match(c.overflows[0], /Wide/);
    assert.deepEqual(c.consoleErrors, ['boom']);
    assert.equal(c.badText.length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
