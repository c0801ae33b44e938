/**
 * Report sections built from run logs: results table, learning curves with technique events, and
 * technique-specific diagnostics (RePr, stochastic depth, post-training steps). Each returns charts as
 * vega-lite specs so the builder can render them to inline SVG and PNG alike.
 */
import type * as vl from 'vega-lite';
import { barChart, lineChart, scatterChart, type Row } from './charts.js';
import type { Table } from './html.js';
import type { ExperimentRecord, LogLine, RunRecord } from './load.js';
import { fmtMeanStd, meanStd } from './stats.js';

export interface SpecSection {
  heading: string;
  paragraphs?: string[];
  tables?: Table[];
  charts?: Array<{ name: string; spec: vl.TopLevelSpec; caption?: string }>;
}

const byVariant = (e: ExperimentRecord) => {
  const m = new Map<string, RunRecord[]>();
  for (const r of e.runs) m.set(r.variant, [...(m.get(r.variant) ?? []), r]);
  return m;
};
const epochs = (log: LogLine[]) => log.filter((l) => l.type === 'epoch');
const num = (v: unknown) => (typeof v === 'number' ? v : NaN);

export function resultsSection(e: ExperimentRecord): SpecSection {
  const rows: Table['rows'] = [];
  for (const [variant, runs] of byVariant(e)) {
    const done = runs.filter((r) => r.summary?.complete);
    const last = (r: RunRecord) => epochs(r.trainLog).at(-1);
    const eps = done.map((r) => epochs(r.trainLog));
    const secs = done.map((r) => r.summary!.trainSeconds);
    const perEpoch = done.map((r, i) => (eps[i].length ? r.summary!.trainSeconds / eps[i].length : NaN));
    rows.push([
      variant,
      `${done.length}/${runs.length}`,
      fmtMeanStd(done.map((r) => num(last(r)?.valTop1)), 100),
      fmtMeanStd(done.map((r) => num(last(r)?.valTop5)), 100),
      fmtMeanStd(done.map((r) => num(last(r)?.valLoss)), 1, 4),
      eps[0]?.length ?? 0,
      fmtMeanStd(secs, 1, 0),
      fmtMeanStd(perEpoch, 1, 1),
    ]);
  }
  return {
    heading: 'Results',
    paragraphs: [
      `Budget: ${e.budget}${e.experiment.budgetNotes[e.budget] ? ` — ${e.experiment.budgetNotes[e.budget]}` : ''}. Validation on the held-out split; mean ± sample std over seeds.`,
    ],
    tables: [{ caption: 'Final validation metrics per variant', columns: ['variant', 'seeds done', 'val top-1 %', 'val top-5 %', 'val loss', 'epochs', 'train time (s)', 's / epoch'], rows }],
  };
}

/** Epoch (fractional) at which a technique event happened, from its epoch/iteration fields. */
function eventEpoch(ev: LogLine, stepsPerEpoch: number): number {
  const it = num(ev.iteration);
  return Number.isFinite(it) && stepsPerEpoch > 0 ? it / stepsPerEpoch : num(ev.epoch);
}

export function curvesSection(e: ExperimentRecord): SpecSection {
  const acc: Row[] = [];
  const loss: Row[] = [];
  for (const [variant, runs] of byVariant(e)) {
    const per = runs.map((r) => epochs(r.trainLog));
    const n = Math.max(0, ...per.map((p) => p.length));
    for (let i = 0; i < n; i++) {
      const a = meanStd(per.map((p) => num(p[i]?.valTop1)));
      const l = meanStd(per.map((p) => num(p[i]?.trainLoss)));
      if (a.n) acc.push({ epoch: i + 1, top1: 100 * a.mean, spread: 100 * a.std, variant });
      if (l.n) loss.push({ epoch: i + 1, loss: l.mean, spread: l.std, variant });
    }
  }
  const events: Array<{ x: number; label: string }> = [];
  const first = e.runs.find((r) => r.trainLog.some((l) => l.type === 'repr_drop'));
  if (first) {
    const spe = num(first.trainLog.find((l) => l.type === 'train_start')?.stepsPerEpoch);
    for (const ev of first.trainLog) {
      if (ev.type === 'repr_drop') events.push({ x: eventEpoch(ev, spe), label: `drop ${num(ev.cycle) + 1}` });
      if (ev.type === 'repr_reinit') events.push({ x: eventEpoch(ev, spe), label: `re-init ${num(ev.cycle) + 1}` });
    }
  }
  return {
    heading: 'Learning curves',
    paragraphs: events.length ? [`Dashed rules: RePr drop and re-initialisation events (from variant "${first!.variant}").`] : [],
    charts: [
      { name: 'val-accuracy', spec: lineChart({ title: 'Validation top-1 (%)', rows: acc, x: 'epoch', y: 'top1', series: 'variant', spread: 'spread', events, integerX: true }), caption: 'Mean over seeds, band = ± std.' },
      { name: 'train-loss', spec: lineChart({ title: 'Training loss', rows: loss, x: 'epoch', y: 'loss', series: 'variant', spread: 'spread', events, integerX: true }) },
    ],
  };
}

export function reprSection(e: ExperimentRecord): SpecSection | undefined {
  const runs = e.runs.filter((r) => r.seed === e.runs[0]?.seed && r.trainLog.some((l) => l.type === 'repr_drop'));
  if (!runs.length) return undefined;
  const dropRows: Row[] = [];
  const orthoRows: Row[] = [];
  const ratioRows: Row[] = [];
  const table: Table['rows'] = [];
  const ratioTable: Table['rows'] = [];
  for (const r of runs) {
    const reinits = r.trainLog.filter((l) => l.type === 'repr_reinit');
    for (const d of r.trainLog.filter((l) => l.type === 'repr_drop')) {
      const cyc = num(d.cycle) + 1;
      const layers = d.layers as Array<{ layer: string; dropped: number; filters: number; meanScore: number; redroppedFromLastReinit: number }>;
      // One group of bars per (variant, cycle), one colour per layer: a layer count, not a variant count,
      // sets the colours (7 variants × 2 cycles would overrun the 10-colour palette).
      for (const l of layers) {
        dropRows.push({ layer: l.layer, dropped: l.dropped, series: `${r.variant} c${cyc}` });
        orthoRows.push({ layer: l.layer, score: l.meanScore, series: `${r.variant} c${cyc}` });
      }
      const re = reinits.find((x) => x.cycle === d.cycle);
      const pct = (v: unknown) => (typeof v === 'number' ? +(100 * v).toFixed(2) : null);
      table.push([r.variant, cyc, layers.map((l) => `${l.layer}:${l.dropped}/${l.filters}`).join(' '), layers.reduce((s, l) => s + (l.redroppedFromLastReinit ?? 0), 0), pct(d.accBefore), pct(d.accAfter), pct(re?.accAfter)]);
    }
    const perLayer = new Map<string, number[]>();
    for (const g of r.trainLog.filter((l) => l.type === 'repr_grad_ratio')) {
      for (const l of g.layers as Array<{ layer: string; ratio: number }>) {
        perLayer.set(l.layer, [...(perLayer.get(l.layer) ?? []), l.ratio]);
        ratioTable.push([r.variant, l.layer, num(g.epoch), +l.ratio.toFixed(3)]);
      }
    }
    for (const [layer, v] of perLayer) ratioRows.push({ variant: r.variant, layer, ratio: meanStd(v).mean });
  }
  return {
    heading: 'RePr diagnostics',
    paragraphs: [
      'Per cycle: filters dropped per layer (global ranking favours the 27-dim first conv), mean inter-filter orthogonality score per layer at drop time, and the ratio of the gradient norm of re-initialised filters to kept ones (the research note measured 1/5–1/3).',
    ],
    tables: [
      { caption: 'Drop events (accuracies in %)', columns: ['variant', 'cycle', 'dropped per layer', 're-dropped from last re-init', 'acc before drop', 'acc after drop', 'acc after re-init'], rows: table },
      { caption: 'Gradient norm of re-initialised / kept filters, mean over the steps of each epoch (full-network epochs after a re-init)', columns: ['variant', 'layer', 'epoch', 'ratio'], rows: ratioTable },
    ],
    charts: [
      { name: 'repr-dropped', spec: barChart({ title: 'Filters dropped per layer (per variant and cycle)', rows: dropRows, x: 'series', y: 'dropped', group: 'layer', xTitle: 'variant, cycle' }) },
      { name: 'repr-orthogonality', spec: barChart({ title: 'Mean ranking score per layer at drop time (higher = more redundant)', rows: orthoRows, x: 'series', y: 'score', group: 'layer', xTitle: 'variant, cycle', yTitle: 'score (× fanIn^e for fan-in variants)' }), caption: 'The score the ranking used: orthogonality, multiplied by fanIn^e in the fan-in-corrected variants (so their bars are on a larger scale).' },
      { name: 'repr-grad-ratio', spec: barChart({ title: 'Gradient norm: re-initialised / kept filters', rows: ratioRows, x: 'variant', y: 'ratio', group: 'layer', yTitle: 'ratio (mean over epochs after re-init)' }), caption: 'The research note measured 1/5–1/3 in every layer; 1 = equal gradients.' },
    ],
  };
}

export function stochasticDepthSection(e: ExperimentRecord): SpecSection | undefined {
  const runs = e.runs.filter((r) => r.seed === e.runs[0]?.seed && r.trainLog.some((l) => l.type === 'sd_epoch'));
  if (!runs.length) return undefined;
  const prof: Row[] = [];
  for (const r of runs) {
    const last = r.trainLog.filter((l) => l.type === 'sd_epoch').at(-1)!;
    (last.blocks as Array<{ survival: number; observed: number | null }>).forEach((b, i) => {
      prof.push({ block: i + 1, p: b.survival, variant: r.variant, kind: 'rule' });
      if (b.observed !== null) prof.push({ block: i + 1, p: b.observed, variant: r.variant, kind: 'observed' });
    });
  }
  const time: Row[] = [...byVariant(e)].map(([variant, rs]) => {
    const per = rs.map((r) => epochs(r.trainLog)).flat().map((l) => num(l.seconds));
    return { variant, seconds: meanStd(per).mean };
  });
  return {
    heading: 'Stochastic depth',
    charts: [
      { name: 'sd-survival', spec: lineChart({ title: 'Survival probability per residual block', rows: prof, x: 'block', y: 'p', series: 'variant', dash: 'kind', integerX: true }), caption: 'Dashed: the rule p_l; solid: the observed keep rate over all gate draws of the run (as logged at the last epoch). Variants with the same rule draw on top of each other.' },
      { name: 'sd-epoch-time', spec: barChart({ title: 'Seconds per epoch (wall clock, incl. validation)', rows: time, x: 'variant', y: 'seconds' }), caption: 'Wall clock on the machine that ran the experiment; on a shared machine this measures its load as much as the variant.' },
    ],
  };
}

export function postStepSections(e: ExperimentRecord): SpecSection[] {
  const steps = new Map<string, Array<{ run: RunRecord; result: NonNullable<RunRecord['summary']>['post'][number]['result'] }>>();
  for (const r of e.runs) for (const p of r.summary?.post ?? []) steps.set(p.step, [...(steps.get(p.step) ?? []), { run: r, result: p.result }]);
  const out: SpecSection[] = [];
  for (const [step, items] of steps) {
    const cols = [...new Set(items.flatMap((i) => Object.keys(i.result.summary)))];
    const rows = items.map((i) => [i.run.variant, i.run.seed, ...cols.map((c) => i.result.summary[c] ?? null)]);
    const sec: SpecSection = { heading: `Post-training: ${step}`, tables: [{ caption: `${step} per run`, columns: ['variant', 'seed', ...cols], rows }], charts: [] };
    for (const i of items.filter((x) => x.run.seed === items[0].run.seed)) {
      if (i.result.table) sec.tables!.push({ caption: `${i.run.variant}: ${i.result.table.title}`, columns: i.result.table.columns, rows: i.result.table.rows });
    }
    const withPoints = items.filter((i) => i.result.points?.length && i.result.chart);
    if (withPoints.length) {
      const c = withPoints[0].result.chart!;
      const pts: Row[] = withPoints.flatMap((i) => i.result.points!.map((p) => ({ ...p, variant: i.run.variant })));
      // Labelled points that share an x value (e.g. every int8 cell has the same file size) overplot
      // their labels; draw those as bars per label instead.
      const sharedX = c.kind === 'scatter' && !!c.label && new Set(pts.map((p) => p[c.x])).size < pts.length;
      const spec = c.kind === 'bar' || sharedX
        ? barChart({ title: sharedX ? `${c.title} (one bar per cell; sizes in the table)` : c.title, rows: pts, x: sharedX ? c.label! : c.x, y: c.y, group: c.series, colorOnly: sharedX })
        : scatterChart({ title: c.title, rows: pts, x: c.x, y: c.y, series: c.series ?? 'variant', label: c.label, logX: c.logX });
      sec.charts!.push({ name: `post-${step}`, spec });
    }
    out.push(sec);
  }
  return out;
}
