/**
 * RePr diagnostics (the research note's observations): per-layer drop counts at every drop, the ranking
 * score per layer, accuracy before / right after each drop and after each re-initialisation, and the
 * gradient-norm ratio of re-initialised to kept filters per layer. Every seed is listed; the charts
 * average over seeds.
 */
import { barChart, lineChart, type Row } from './charts.js';
import type { Table } from './html.js';
import type { ExperimentRecord } from './load.js';
import { meanStd } from './stats.js';
import { num, stepsPerEpoch, type SpecSection } from './section-parts.js';

interface DropLayer { layer: string; dropped: number; filters: number; meanScore: number; redroppedFromLastReinit?: number }

const pct = (v: unknown) => (typeof v === 'number' ? +(100 * v).toFixed(2) : null);

export function reprSection(e: ExperimentRecord): SpecSection | undefined {
  const runs = e.runs.filter((r) => r.trainLog.some((l) => l.type === 'repr_drop'));
  if (!runs.length) return undefined;
  const table: Table['rows'] = [];
  const ratioTable: Table['rows'] = [];
  // (variant, cycle, layer) → values over seeds
  const drops = new Map<string, { variant: string; cycle: string; layer: string; dropped: number[]; score: number[] }>();
  const ratios = new Map<string, { variant: string; layer: string; ratio: number[] }>();
  const accRows: Row[] = [];
  for (const r of runs) {
    const reinits = r.trainLog.filter((l) => l.type === 'repr_reinit');
    const spe = stepsPerEpoch(r.trainLog);
    for (const d of r.trainLog.filter((l) => l.type === 'repr_drop')) {
      const cyc = num(d.cycle) + 1;
      const layers = d.layers as DropLayer[];
      for (const l of layers) {
        const k = `${r.variant}|${cyc}|${l.layer}`;
        const cur = drops.get(k) ?? { variant: r.variant, cycle: `cycle ${cyc}`, layer: l.layer, dropped: [], score: [] };
        cur.dropped.push(l.dropped);
        cur.score.push(l.meanScore);
        drops.set(k, cur);
      }
      const re = reinits.find((x) => x.cycle === d.cycle);
      table.push([r.variant, r.seed, cyc, +(num(d.iteration) / spe).toFixed(2), layers.map((l) => `${l.layer} ${l.dropped}/${l.filters}`).join(', '), layers.reduce((s, l) => s + (l.redroppedFromLastReinit ?? 0), 0), pct(d.accBefore), pct(d.accAfter), pct(re?.accAfter)]);
      if (r.seed === runs[0].seed) {
        accRows.push({ variant: r.variant, event: `c${cyc} before drop`, x: 3 * (cyc - 1) + 1, top1: pct(d.accBefore) });
        accRows.push({ variant: r.variant, event: `c${cyc} after drop`, x: 3 * (cyc - 1) + 2, top1: pct(d.accAfter) });
        if (re) accRows.push({ variant: r.variant, event: `c${cyc} after re-init`, x: 3 * (cyc - 1) + 3, top1: pct(re.accAfter) });
      }
    }
    for (const g of r.trainLog.filter((l) => l.type === 'repr_grad_ratio')) {
      for (const l of g.layers as Array<{ layer: string; ratio: number; steps?: number }>) {
        const k = `${r.variant}|${l.layer}`;
        const cur = ratios.get(k) ?? { variant: r.variant, layer: l.layer, ratio: [] };
        cur.ratio.push(l.ratio);
        ratios.set(k, cur);
        ratioTable.push([r.variant, r.seed, l.layer, num(g.epoch), l.steps ?? null, +l.ratio.toFixed(3)]);
      }
    }
  }
  const dropRows: Row[] = [...drops.values()].map((d) => ({ variant: d.variant, cycle: d.cycle, layer: d.layer, dropped: meanStd(d.dropped).mean }));
  const scoreRows: Row[] = [...drops.values()].map((d) => ({ variant: d.variant, cycle: d.cycle, layer: d.layer, score: meanStd(d.score).mean }));
  const ratioRows: Row[] = [...ratios.values()].map((d) => ({ variant: d.variant, layer: d.layer, ratio: meanStd(d.ratio).mean }));
  const seeds = new Set(runs.map((r) => r.seed)).size;
  const over = seeds > 1 ? ` (mean over ${seeds} seeds)` : '';
  return {
    heading: 'RePr diagnostics',
    paragraphs: [
      'Per drop: filters dropped per layer (global ranking favours the 27-dim first conv), the mean ranking score per layer at drop time, and validation top-1 just before the drop, right after it (sub-network) and right after the re-initialisation. After each re-initialisation: the ratio of the mean gradient norm of re-initialised filters to kept ones, per layer (the research note measured 1/5–1/3).',
    ],
    tables: [
      { caption: 'Drop events, every seed (accuracies: validation top-1 %)', columns: ['variant', 'seed', 'cycle', 'epochs trained', 'dropped per layer', 're-dropped from last re-init', 'before drop %', 'after drop %', 'after re-init %'], rows: table },
      { caption: 'Gradient norm of re-initialised / kept filters per epoch (mean over the epoch\'s steps; full-network epochs after a re-init)', columns: ['variant', 'seed', 'layer', 'epoch', 'steps', 'ratio'], rows: ratioTable },
    ],
    charts: [
      { name: 'repr-dropped', spec: barChart({ title: `Filters dropped per layer${over}`, rows: dropRows, x: 'layer', y: 'dropped', group: 'variant', column: 'cycle', yTitle: 'filters dropped' }) },
      { name: 'repr-accuracy-at-drops', spec: lineChart({ title: 'Validation top-1 around each drop (first seed)', rows: accRows, x: 'x', y: 'top1', series: 'variant', xTitle: 'event (per cycle: before drop, after drop, after re-init)', yTitle: 'top-1 %', integerX: true }), caption: 'x = 3(c−1)+1 before the drop of cycle c, +2 right after it, +3 after its re-initialisation. A cliff at "after drop" is the cost of removing those filters.' },
      { name: 'repr-orthogonality', spec: barChart({ title: `Mean ranking score per layer at drop time${over}`, rows: scoreRows, x: 'layer', y: 'score', group: 'variant', column: 'cycle', yTitle: 'score (higher = more redundant)' }), caption: 'The score the ranking used: orthogonality, multiplied by fanIn^e in the fan-in-corrected variants (so their bars are on a larger scale).' },
      {
        name: 'repr-grad-ratio',
        spec: barChart({ title: `Gradient norm: re-initialised / kept filters${over}`, rows: ratioRows, x: 'layer', y: 'ratio', group: 'variant', yTitle: 'ratio (mean over epochs after re-init)', baseline: { y: 1, label: 'equal gradients' } }),
        caption: 'The research note measured 1/5–1/3 in every layer; 1 = equal gradients. Layers whose filters were all or none re-initialised have no ratio.',
        noData: 'no repr_grad_ratio events in log.jsonl — the ratio is measured during full-network epochs after a re-initialisation, and this schedule has none (or the runs have not reached one)',
      },
    ],
  };
}
