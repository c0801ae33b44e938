import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asPercent, columnDigits, formatCell, humanHeader } from '../../src/report/format.js';
import { colorScale, paretoFront, renderSvg, scatterChart } from '../../src/report/charts.js';
import { renderTable, transpose } from '../../src/report/html.js';
import { smooth } from '../../src/report/sections.js';

test('headers are words with units; fractions become percentages; cells get the column\'s decimals', () => {
  assert.equal(humanHeader('top1Finetuned'), 'top-1 fine-tuned %');
  assert.equal(humanHeader('mapTop1'), 'ENC-Map top-1 %');
  assert.equal(humanHeader('modelFlops'), 'ENC-Model FLOPs %');
  assert.equal(humanHeader('someNewKey'), 'some new key');
  assert.equal(asPercent('mapFlops', 0.4997), 49.97);
  assert.equal(asPercent('target', 0.25), 25);
  assert.equal(asPercent('top1Exported', 0.168), 16.8); // prune-export summaries written before the switch
  assert.equal(asPercent('top1Exported', 18.8), 18.8);
  assert.equal(asPercent('flopsAfter', 29510272), 29510272);
  assert.equal(columnDigits('top-1 %'), 2);
  assert.equal(columnDigits('size (KiB)'), 1);
  assert.equal(columnDigits('params'), undefined);
  assert.equal(formatCell(15.8, 2), '15.80');
  assert.equal(formatCell(1059, 1), '1,059.0');
  assert.equal(formatCell(269722), '269,722');
  assert.equal(formatCell(0.123456), '0.1235');
  assert.equal(formatCell(null), '–');
});

test('a very wide table is drawn transposed, a narrow one as is; percent rows keep 2 decimals', () => {
  const wide = { columns: ['method', 'FLOPs %', ...Array.from({ length: 19 }, (_, i) => `layer${i}`)], rows: [['ENC-Model', 49.97, ...Array.from({ length: 19 }, () => 8)]] };
  const t = transpose(wide);
  assert.deepEqual(t.columns, ['method', 'ENC-Model']);
  assert.deepEqual(t.rows[0], ['FLOPs %', 49.97]);
  const html = renderTable(wide);
  assert.match(html, /<td class="s">FLOPs %<\/td><td>49.97<\/td>/);
  assert.match(renderTable({ columns: ['a', 'top-1 %'], rows: [['x', 20]] }), /<td>20.00<\/td>/);
  assert.match(renderTable({ columns: ['a'], rows: [] }), /No rows/);
});

test('Pareto front: the points nothing beats on both size and accuracy; smoothing is debiased', () => {
  const rows = [{ kb: 100, top1: 80 }, { kb: 150, top1: 78 }, { kb: 200, top1: 85 }, { kb: 50, top1: 60 }, { kb: 300, top1: 85 }];
  assert.deepEqual(paretoFront(rows, 'kb', 'top1').map((r) => r.kb), [50, 100, 200]);
  assert.deepEqual(smooth([2, 2, 2], 0.9).map((v) => +v.toFixed(9)), [2, 2, 2]);
  const s = smooth([0, 10], 0.5);
  assert.equal(s[0], 0);
  assert.ok(Math.abs(s[1] - 20 / 3) < 1e-9);
  assert.ok('scheme' in colorScale(10) && 'range' in colorScale(25));
  const range = (colorScale(25) as { range: string[] }).range;
  assert.equal(new Set(range).size, 25);
});

test('a scatter chart with one y value and a baseline labels its axis without 6-decimal noise', async () => {
  const svg = await renderSvg(scatterChart({ title: 't', rows: [{ kb: 10, top1: 15.8 }, { kb: 20, top1: 15.8 }], x: 'kb', y: 'top1', baseline: { y: 16.2, label: 'float 16.20 %' }, front: true }));
  const labels = [...svg.matchAll(/>([^<]*)<\/text>/g)].map((m) => m[1]);
  assert.ok(labels.includes('15.8') && labels.includes('float 16.20 %'), labels.join(' | '));
  assert.ok(!labels.some((l) => /\d\.\d{5}/.test(l)), labels.join(' | '));
});
