/**
 * Report sections built from run logs: results tables, learning curves (per epoch, and per step
 * smoothed), stochastic depth. RePr, post-training steps, the cross-technique chart and provenance are
 * in their own files. Each section returns charts as vega-lite specs so the builder can render them to
 * inline SVG and PNG alike; a chart with no rows becomes a "no data" note with its `noData` reason.
 */
import { barChart, lineChart, type Row } from './charts.js';
import type { Table } from './html.js';
import type { ExperimentRecord, LogLine, RunRecord } from './load.js';
import { fmtMeanStd, meanStd } from './stats.js';
import { byVariant, epochs, num, pct2, stepsPerEpoch, type SpecSection } from './section-parts.js';

export { reprSection } from './sections-repr.js';
export { postStepSections, tradeoffSection } from './sections-post.js';
export { provenanceSection } from './sections-provenance.js';
export type { SpecChart, SpecSection } from './section-parts.js';

/** Best validation top-1 over the epochs of a log, and the (1-based) epoch it came at. */
function best(log: LogLine[]): { top1: number; epoch: number } {
  let b = { top1: NaN, epoch: NaN };
  for (const l of epochs(log)) if (Number.isFinite(num(l.valTop1)) && !(num(l.valTop1) <= b.top1)) b = { top1: num(l.valTop1), epoch: num(l.epoch) };
  return b;
}

/** Variants that train (a `from` variant reuses another's model: its curves would repeat that one's). */
const trained = (e: ExperimentRecord) => [...byVariant(e)].filter(([v]) => !e.experiment.variants.find((x) => x.name === v)?.from);

function reuseNote(e: ExperimentRecord): string[] {
  const reused = e.experiment.variants.filter((v) => v.from);
  return reused.length ? [`${reused.map((v) => `"${v.name}"`).join(', ')} reuse${reused.length === 1 ? 's' : ''} the model of ${[...new Set(reused.map((v) => `"${v.from}"`))].join(', ')} (same seed) and train${reused.length === 1 ? 's' : ''} nothing of ${reused.length === 1 ? 'its' : 'their'} own: ${reused.length === 1 ? 'it is' : 'they are'} in the post-training sections only.`] : [];
}

export function resultsSection(e: ExperimentRecord): SpecSection {
  const rows: Table['rows'] = [];
  const perSeed: Table['rows'] = [];
  for (const [variant, runs] of trained(e)) {
    const done = runs.filter((r) => r.summary?.complete);
    const last = (r: RunRecord) => epochs(r.trainLog).at(-1);
    const eps = done.map((r) => epochs(r.trainLog));
    const secs = done.map((r) => r.summary!.trainSeconds);
    const perEpoch = done.map((r, i) => (eps[i].length ? r.summary!.trainSeconds / eps[i].length : NaN));
    rows.push([
      variant,
      `${done.length}/${e.seeds}`,
      fmtMeanStd(done.map((r) => num(last(r)?.valTop1)), 100),
      fmtMeanStd(done.map((r) => best(r.trainLog).top1), 100),
      fmtMeanStd(done.map((r) => num(last(r)?.valTop5)), 100),
      fmtMeanStd(done.map((r) => num(last(r)?.valLoss)), 1, 4),
      eps[0]?.length ?? 0,
      fmtMeanStd(secs, 1, 0),
      fmtMeanStd(perEpoch, 1, 1),
    ]);
    for (const r of runs) {
      const b = best(r.trainLog);
      const state = r.summary?.complete ? 'complete' : r.trainLog.length ? `in progress (${epochs(r.trainLog).length} epochs logged)` : 'not started';
      perSeed.push([variant, r.seed, state, pct2(num(last(r)?.valTop1)), pct2(b.top1), Number.isFinite(b.epoch) ? b.epoch : null]);
    }
  }
  return {
    heading: 'Results',
    paragraphs: [
      `Budget: ${e.budget}${e.experiment.budgetNotes[e.budget] ? ` — ${e.experiment.budgetNotes[e.budget]}` : ''}. Validation on the held-out split; mean ± sample std over the finished seeds. "Final" is the last epoch's model, "best" the best epoch's (reported for comparison only: choosing it uses the validation set).`,
      ...reuseNote(e),
    ],
    tables: [
      { caption: 'Validation metrics per variant', columns: ['variant', 'seeds done', 'final top-1 %', 'best top-1 %', 'final top-5 %', 'final loss', 'epochs', 'train time (s)', 's / epoch'], rows },
      { caption: 'Validation top-1 per run', columns: ['variant', 'seed', 'state', 'final top-1 %', 'best top-1 %', 'best at epoch'], rows: perSeed },
    ],
  };
}

/** Epochs trained (fractional) when a technique event happened, from its iteration. */
function eventEpoch(ev: LogLine, stepsPerEpoch: number): number {
  const it = num(ev.iteration);
  return Number.isFinite(it) && stepsPerEpoch > 0 ? it / stepsPerEpoch : num(ev.epoch);
}


/**
 * TensorBoard's smoothing: an exponential moving average, debiased at the start so the first points
 * are not pulled towards 0.
 */
export function smooth(values: number[], weight: number): number[] {
  let last = 0;
  let n = 0;
  return values.map((v) => {
    last = last * weight + (1 - weight) * v;
    n++;
    return last / (1 - weight ** n);
  });
}

/** Per-step training loss (step events), mean over seeds at each iteration, then smoothed. */
function stepLossRows(e: ExperimentRecord): { rows: Row[]; weight: number } {
  const rows: Row[] = [];
  let weight = 0.6;
  for (const [variant, runs] of trained(e)) {
    const byIt = new Map<number, number[]>();
    let spe = NaN;
    for (const r of runs) {
      spe = Number.isFinite(spe) ? spe : stepsPerEpoch(r.trainLog);
      for (const l of r.trainLog) if (l.type === 'step' && Number.isFinite(num(l.loss))) byIt.set(num(l.iteration), [...(byIt.get(num(l.iteration)) ?? []), num(l.loss)]);
    }
    const its = [...byIt.keys()].sort((a, b) => a - b);
    if (!its.length) continue;
    // Heavier smoothing the more points there are (≈ 30 points' memory on a long run).
    weight = Math.min(0.97, Math.max(0.6, 1 - 30 / its.length));
    const s = smooth(its.map((i) => meanStd(byIt.get(i)!).mean), weight);
    its.forEach((it, k) => rows.push({ epoch: Number.isFinite(spe) && spe > 0 ? it / spe : it, loss: s[k], variant }));
  }
  return { rows, weight };
}

export function curvesSection(e: ExperimentRecord): SpecSection {
  const acc: Row[] = [];
  const loss: Row[] = [];
  for (const [variant, runs] of trained(e)) {
    const per = runs.map((r) => epochs(r.trainLog));
    const n = Math.max(0, ...per.map((p) => p.length));
    for (let i = 0; i < n; i++) {
      const a = meanStd(per.map((p) => num(p[i]?.valTop1)));
      const l = meanStd(per.map((p) => num(p[i]?.trainLoss)));
      const ep = per.map((p) => num(p[i]?.epoch)).find(Number.isFinite) ?? i + 1;
      if (a.n) acc.push({ epoch: ep, top1: 100 * a.mean, spread: 100 * a.std, variant });
      if (l.n) loss.push({ epoch: ep, loss: l.mean, spread: l.std, variant });
    }
  }
  const events: Array<{ x: number; label: string }> = [];
  const first = e.runs.find((r) => r.trainLog.some((l) => l.type === 'repr_drop'));
  if (first) {
    const spe = stepsPerEpoch(first.trainLog);
    for (const ev of first.trainLog) {
      if (ev.type === 'repr_drop') events.push({ x: eventEpoch(ev, spe), label: `drop ${num(ev.cycle) + 1}` });
      if (ev.type === 'repr_reinit') events.push({ x: eventEpoch(ev, spe), label: `re-init ${num(ev.cycle) + 1}` });
    }
  }
  const steps = stepLossRows(e);
  return {
    heading: 'Learning curves',
    paragraphs: events.length ? [`Dashed rules: RePr drop and re-initialisation events (from variant "${first!.variant}", seed ${first!.seed}).`] : [],
    charts: [
      { name: 'val-accuracy', spec: lineChart({ title: 'Validation top-1 (%)', rows: acc, x: 'epoch', y: 'top1', series: 'variant', spread: 'spread', events, integerX: true, xTitle: 'epoch', yTitle: 'top-1 %' }), caption: 'After each epoch; mean over seeds, band = ± std.', noData: 'no epoch with a validation pass has been logged yet' },
      { name: 'train-loss-steps', spec: lineChart({ title: 'Training loss per step (smoothed)', rows: steps.rows, x: 'epoch', y: 'loss', series: 'variant', events, points: false, xTitle: 'epochs trained', yTitle: 'cross-entropy' }), caption: `Step events of log.jsonl (every train.logEvery steps), mean over seeds, exponential moving average with weight ${steps.weight.toFixed(2)} (debiased, as TensorBoard).`, noData: 'no step events in log.jsonl (train.logEvery was 0)' },
      { name: 'train-loss', spec: lineChart({ title: 'Training loss per epoch', rows: loss, x: 'epoch', y: 'loss', series: 'variant', spread: 'spread', events, integerX: true, yTitle: 'mean cross-entropy over the epoch' }), noData: 'no epoch has been logged yet' },
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
      { name: 'sd-survival', spec: lineChart({ title: 'Survival probability per residual block', rows: prof, x: 'block', y: 'p', series: 'variant', dash: 'kind', integerX: true, yTitle: 'survival probability' }), caption: 'Dashed: the rule p_l; solid: the observed keep rate over all gate draws of the run (as logged at the last epoch). Variants with the same rule draw on top of each other.' },
      { name: 'sd-epoch-time', spec: barChart({ title: 'Seconds per epoch (wall clock, incl. validation)', rows: time, x: 'variant', y: 'seconds' }), caption: 'Wall clock on the machine that ran the experiment; on a shared machine this measures its load as much as the variant.' },
    ],
  };
}
