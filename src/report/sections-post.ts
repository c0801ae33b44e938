/**
 * Post-training sections: one per step kind (summary per run with readable headers and percent units,
 * the step's detail tables, its chart with the float model as a reference line), and the cross-technique
 * chart: accuracy against stored size and against FLOPs for every compressed model, with the float
 * baseline as a line and the Pareto front drawn through the points nothing beats.
 */
import { barChart, paretoFront, scatterChart, type Row } from './charts.js';
import { asPercent, humanHeader, kib } from './format.js';
import type { Table } from './html.js';
import type { ExperimentRecord, RunRecord } from './load.js';
import { meanStd } from './stats.js';
import type { SpecChart, SpecSection } from './section-parts.js';
import type { PostStepResult, TradeoffPoint } from '../experiments/post-steps.js';

interface Item { run: RunRecord; result: PostStepResult; tag: string }

/** Post results grouped by step name; `tag` tells apart several steps of one kind in a run (ENC targets). */
function stepItems(e: ExperimentRecord): Map<string, Item[]> {
  const steps = new Map<string, Item[]>();
  for (const r of e.runs) {
    const post = r.summary?.post ?? [];
    for (const p of post) {
      const same = post.filter((q) => q.step === p.step);
      const t = p.result.summary.target;
      const tag = same.length < 2 ? r.variant : typeof t === 'number' ? `${r.variant} ${(100 * t).toFixed(0)} %` : `${r.variant} #${same.indexOf(p) + 1}`;
      steps.set(p.step, [...(steps.get(p.step) ?? []), { run: r, result: p.result, tag }]);
    }
  }
  return steps;
}

/** Step result keys whose values are fractions shown as percent, and the float top-1 of a result. */
const floatTop1 = (r: PostStepResult): number | undefined => {
  const v = r.summary.floatTop1 ?? r.summary.baseTop1;
  return typeof v === 'number' ? v : undefined;
};

/** ENC rank points of older runs number the layers 1..n; the step's table names them (columns after "search s"). */
function layerNames(result: PostStepResult): Row[] {
  const pts = result.points ?? [];
  const cols = result.table?.columns ?? [];
  const first = cols.indexOf('search s') + 1;
  if (!first || !pts.every((p) => typeof p.layer === 'number')) return pts;
  return pts.map((p) => ({ ...p, layer: cols[first + Number(p.layer) - 1] ?? p.layer }));
}

/**
 * Step tables in one unit: ENC's FLOPs fraction as a percentage, and "%" on the accuracy columns of the
 * ENC, quantisation and PQ tables (their values were percentages already; the header said so only in
 * the title).
 */
const COLUMN_UNITS: Record<string, { header: string; scale?: number }> = {
  FLOPs: { header: 'FLOPs %', scale: 100 },
  'acc before FT': { header: 'acc before FT %' }, 'acc after FT': { header: 'acc after FT %' },
  float: { header: 'float %' }, PTQ: { header: 'PTQ %' }, 'fine-tuned': { header: 'fine-tuned %' }, exported: { header: 'exported %' },
  'top-1': { header: 'top-1 %' },
};

function withUnits(t: Table): Table {
  const units = t.columns.map((c) => COLUMN_UNITS[c]);
  return {
    ...t,
    columns: t.columns.map((c, j) => units[j]?.header ?? c),
    rows: t.rows.map((r) => r.map((v, j) => (typeof v === 'number' && units[j]?.scale ? +(v * units[j].scale!).toFixed(4) : v))),
  };
}

/** Detail tables of several runs / steps with the same columns become one table with a leading run column. */
function mergedTables(items: Item[]): Table[] {
  const groups = new Map<string, Item[]>();
  for (const i of items) if (i.result.table) groups.set(JSON.stringify([i.result.table.title, i.result.table.columns]), [...(groups.get(JSON.stringify([i.result.table.title, i.result.table.columns])) ?? []), i]);
  return [...groups.values()].map((g) => {
    const t = withUnits({ caption: g[0].result.table!.title, ...g[0].result.table! });
    if (g.length === 1) return { ...t, caption: `${g[0].tag}: ${g[0].result.table!.title}` };
    return { caption: g[0].result.table!.title, columns: ['run', ...t.columns], rows: g.flatMap((i) => withUnits(i.result.table!).rows.map((r) => [i.tag, ...r])) };
  });
}

export function postStepSections(e: ExperimentRecord): SpecSection[] {
  const out: SpecSection[] = [];
  for (const [step, items] of stepItems(e)) {
    const keys = [...new Set(items.flatMap((i) => Object.keys(i.result.summary)))];
    const rows = items.map((i) => [i.tag, i.run.seed, ...keys.map((k) => {
      const v = i.result.summary[k];
      return typeof v === 'number' ? asPercent(k, v) : v ?? null;
    })]);
    const sec: SpecSection = { heading: `Post-training: ${step}`, tables: [{ caption: `${step}: one row per run`, columns: ['variant', 'seed', ...keys.map(humanHeader)], rows }], charts: [] };
    const firstSeed = items[0].run.seed;
    sec.tables!.push(...mergedTables(items.filter((x) => x.run.seed === firstSeed)));
    const withPoints = items.filter((i) => i.run.seed === firstSeed && i.result.points?.length && i.result.chart);
    if (withPoints.length) {
      const c = withPoints[0].result.chart!;
      const tagged = withPoints.length > 1;
      const pts: Row[] = withPoints.flatMap((i) => layerNames(i.result).map((p) => ({ ...p, variant: i.tag, ...(tagged && c.series ? { [c.series]: `${i.tag}: ${p[c.series]}` } : {}) })));
      const f = floatTop1(withPoints[0].result);
      const baseline = /top1/i.test(c.y) && f !== undefined ? { y: f, label: `float model ${f.toFixed(2)} %` } : undefined;
      // Labelled points that share an x value (e.g. every int8 cell has the same file size) overplot
      // their labels; draw those as bars per label instead.
      const sharedX = c.kind === 'scatter' && !!c.label && new Set(pts.map((p) => p[c.x])).size < pts.length;
      const yTitle = /top1/i.test(c.y) ? 'top-1 %' : c.y;
      const spec = c.kind === 'bar' || sharedX
        ? barChart({ title: sharedX ? `${c.title} (one bar per cell; sizes in the table)` : c.title, rows: pts, x: sharedX ? c.label! : c.x, y: c.y, group: c.series, colorOnly: sharedX, baseline, yTitle, xTitle: sharedX ? 'cell' : c.x })
        : scatterChart({ title: c.title, rows: pts, x: c.x, y: c.y, series: c.series ?? 'variant', label: c.label, logX: c.logX, baseline, yTitle, xTitle: c.x === 'kb' ? 'size (KiB)' : c.x });
      sec.charts!.push({ name: `post-${step}`, spec });
    }
    out.push(sec);
  }
  return out;
}

/** Tradeoff points of every run, averaged over seeds per (technique, setting). */
function tradeoffRows(e: ExperimentRecord): Array<TradeoffPoint & { seeds: number }> {
  const groups = new Map<string, TradeoffPoint[]>();
  for (const r of e.runs) {
    for (const p of r.summary?.post ?? []) {
      for (const t of p.result.tradeoff ?? []) groups.set(`${t.technique}|${t.setting}`, [...(groups.get(`${t.technique}|${t.setting}`) ?? []), t]);
    }
  }
  return [...groups.values()].map((g) => ({
    technique: g[0].technique, setting: g[0].setting, seeds: g.length,
    top1: meanStd(g.map((t) => t.top1 ?? NaN)).mean, bytes: meanStd(g.map((t) => t.bytes)).mean, flops: meanStd(g.map((t) => t.flops)).mean,
  }));
}

export function tradeoffSection(e: ExperimentRecord): SpecSection | undefined {
  const all = tradeoffRows(e);
  if (!all.length) return undefined;
  const float = all.find((p) => p.technique === 'float');
  const pts = all.filter((p) => p !== float);
  const rows: Row[] = pts.map((p) => ({ technique: p.technique, setting: p.setting, label: `${p.technique}${p.setting ? ` (${p.setting})` : ''}`, top1: Number.isFinite(p.top1) ? +p.top1!.toFixed(2) : null, kib: kib(p.bytes), mflops: +(p.flops / 1e6).toFixed(2) }));
  const baseline = float && Number.isFinite(float.top1) ? { y: +float.top1!.toFixed(2), label: `float model ${float.top1!.toFixed(2)} % (${kib(float.bytes)} KiB, ${(float.flops / 1e6).toFixed(1)} MFLOPs)` } : undefined;
  const onFront = new Set([...paretoFront(rows, 'kib', 'top1'), ...paretoFront(rows, 'mflops', 'top1')].map((r) => r.label));
  const table: Table['rows'] = [float, ...pts].filter((p): p is NonNullable<typeof p> => !!p).map((p) => [
    p.technique, p.setting, p.seeds,
    Number.isFinite(p.top1) ? +p.top1!.toFixed(2) : null,
    float && Number.isFinite(p.top1) && Number.isFinite(float.top1) ? +(p.top1! - float.top1!).toFixed(2) : null,
    kib(p.bytes), float ? +(float.bytes / p.bytes).toFixed(2) : null,
    +(p.flops / 1e6).toFixed(2), float ? +((100 * p.flops) / float.flops).toFixed(1) : null,
    p === float ? 'reference' : onFront.has(`${p.technique}${p.setting ? ` (${p.setting})` : ''}`) ? 'yes' : '',
  ]);
  const charts: SpecChart[] = [
    { name: 'tradeoff-size', spec: scatterChart({ title: 'Accuracy vs stored size, every technique', rows, x: 'kib', y: 'top1', series: 'technique', logX: true, baseline, front: true, xTitle: 'stored size (KiB, log scale)', yTitle: 'validation top-1 %' }), caption: 'Stored size: the exported file for quantised and PQ models, 4 bytes per weight for models kept in float32 (pruned, ENC). Grey steps: the Pareto front (no other model is both smaller and more accurate). Dashed: the float model.' },
    { name: 'tradeoff-flops', spec: scatterChart({ title: 'Accuracy vs FLOPs, every technique', rows, x: 'mflops', y: 'top1', series: 'technique', baseline, front: true, xTitle: 'MFLOPs per image (conv + dense multiply-accumulates)', yTitle: 'validation top-1 %' }), caption: 'Quantisation and PQ leave the multiply-accumulate count unchanged (they change what each costs); filter removal and ENC reduce it.' },
  ];
  return {
    heading: 'Every technique: accuracy vs size and FLOPs',
    paragraphs: [`Each compressed model after its brief fine-tuning, validation top-1 against the float model${float ? '' : ' (no float reference: add a `measure` step to the trained variant)'}; mean over ${Math.max(...all.map((p) => p.seeds))} seed(s) where several ran.`],
    tables: [{ caption: 'Every technique (Δ = top-1 minus the float model, in points)', columns: ['technique', 'setting', 'seeds', 'top-1 %', 'Δ top-1 (points)', 'size (KiB)', '× smaller', 'MFLOPs', 'FLOPs % of float', 'on a Pareto front'], rows: table }],
    charts,
  };
}
