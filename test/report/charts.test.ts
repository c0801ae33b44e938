import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineChart, barChart, scatterChart, renderSvg, svgToPng } from '../../src/report/charts.js';
import { renderReport, renderTable, escapeHtml } from '../../src/report/html.js';

const rows = [
  { epoch: 1, acc: 0.3, std: 0.02, variant: 'baseline' },
  { epoch: 2, acc: 0.5, std: 0.01, variant: 'baseline' },
  { epoch: 1, acc: 0.25, std: 0.03, variant: 'repr' },
  { epoch: 2, acc: 0.55, std: 0.02, variant: 'repr' },
];

test('line chart with spread band and event rules renders to SVG with its title and series', async () => {
  const svg = await renderSvg(lineChart({ title: 'Validation accuracy', rows, x: 'epoch', y: 'acc', series: 'variant', spread: 'std', events: [{ x: 1.5, label: 'prune' }] }));
  assert.match(svg, /^<svg/);
  assert.match(svg, /Validation accuracy/);
  assert.match(svg, /baseline/);
  assert.match(svg, /prune/);
});

test('bar and scatter charts render; SVG converts to a PNG', async () => {
  const bar = await renderSvg(barChart({ title: 'Dropped per layer', rows: [{ layer: 'conv1', n: 3, cycle: '1' }, { layer: 'conv2', n: 5, cycle: '1' }], x: 'layer', y: 'n', group: 'cycle' }));
  assert.match(bar, /conv2/);
  const sc = await renderSvg(scatterChart({ title: 'acc vs size', rows: [{ kb: 10, acc: 0.8, name: 'int8' }, { kb: 40, acc: 0.82, name: 'fp32' }], x: 'kb', y: 'acc', label: 'name', logX: true }));
  const png = await svgToPng(sc);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
});

test('HTML report is self-contained: escaped text, tables, inline SVG, no scripts or remote URLs', async () => {
  const svg = await renderSvg(lineChart({ title: 't', rows, x: 'epoch', y: 'acc' }));
  const html = renderReport({ title: 'R <1>', sections: [{ heading: 'A & B', paragraphs: ['x < y'], charts: [{ svg, caption: 'c' }], tables: [{ columns: ['k', 'v'], rows: [['a', 1.23456], ['b', null]] }] }] });
  assert.match(html, /R &lt;1&gt;/);
  assert.match(html, /A &amp; B/);
  assert.match(html, /<svg/);
  assert.match(html, /1\.235/);
  assert.doesNotMatch(html, /<script/);
  assert.doesNotMatch(html, /src="http/);
  assert.equal(escapeHtml(`"'`), '&quot;&#39;');
  assert.match(renderTable({ columns: ['n'], rows: [[12345]] }), /12,345/);
});
