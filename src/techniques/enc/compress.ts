/**
 * End-to-end ENC: select ranks with each requested method, build the factorised model, measure it
 * (conv MACs and parameters counted on the built model by src/models/stats.ts), evaluate before and
 * after optional fine-tuning, and format the comparison table the issue asks for.
 */
import { tfl } from '../../engine/tf.js';
import { countFlops, countParams } from '../../models/stats.js';
import { applySelection, selectRanks, type EncMethod, type SelectOptions, type Selection } from './run.js';
import type { EncSession, Evaluator } from './session.js';

export interface MethodReport extends Selection {
  /**
   * Counted MACs of the built model / of the original (what "remaining FLOPs" means in §3.4): conv MACs,
   * plus dense MACs when the session factorises Dense layers (`includeDense`).
   */
  flopsRatio: number;
  convMacs: number;
  origConvMacs: number;
  /** Dense MACs of the built model / of the original (counted in flopsRatio only with includeDense). */
  denseMacs: number;
  origDenseMacs: number;
  params: number;
  origParams: number;
  accBefore?: number;
  accAfter?: number;
  finetuneSeconds?: number;
}

export interface CompressOptions extends SelectOptions {
  target: number;
  methods: EncMethod[];
  evaluate?: Evaluator;
  /** Fine-tunes the factorised model in place (e.g. with src/train's loop). */
  finetune?: (model: tfl.LayersModel, method: EncMethod) => Promise<void>;
  /** Receives each factorised (and fine-tuned) model, e.g. to save it; the model is disposed afterwards. */
  onModel?: (model: tfl.LayersModel, report: MethodReport) => Promise<void>;
}

export async function compareMethods(s: EncSession, opts: CompressOptions): Promise<MethodReport[]> {
  const origFlops = countFlops(s.model);
  const dense = s.analysis.includeDense;
  const orig = origFlops.conv + (dense ? origFlops.dense : 0);
  const origParams = countParams(s.model);
  const out: MethodReport[] = [];
  for (const method of opts.methods) {
    const sel = await selectRanks(s, method, opts.target, opts, opts.evaluate);
    const fm = await applySelection(s, sel);
    const f = countFlops(fm);
    const rep: MethodReport = {
      ...sel, flopsRatio: (f.conv + (dense ? f.dense : 0)) / orig, convMacs: f.conv, origConvMacs: origFlops.conv,
      denseMacs: f.dense, origDenseMacs: origFlops.dense, params: countParams(fm), origParams,
    };
    if (opts.evaluate) rep.accBefore = await opts.evaluate(fm);
    if (opts.finetune) {
      const t0 = performance.now();
      await opts.finetune(fm, method);
      rep.finetuneSeconds = (performance.now() - t0) / 1000;
      if (opts.evaluate) rep.accAfter = await opts.evaluate(fm);
    }
    s.log?.(`ENC ${method}: FLOPs ${(100 * rep.flopsRatio).toFixed(2)}% (target ${(100 * opts.target).toFixed(1)}%), acc ${fmtAcc(rep.accBefore)} → ${fmtAcc(rep.accAfter)}`);
    if (opts.onModel) await opts.onModel(fm, rep);
    fm.dispose();
    out.push(rep);
  }
  return out;
}

const fmtAcc = (v?: number) => (v === undefined ? '–' : `${(100 * v).toFixed(2)}%`);

const NAMES: Record<EncMethod, string> = { uniform: 'Uniform', map: 'ENC-Map', model: 'ENC-Model', inf: 'ENC-Inf' };

/** The comparison table: one row per method. */
export function formatComparison(rows: MethodReport[], baseline?: { acc?: number }): string {
  const head = ['method', 'metric', 'target', 'FLOPs', 'params', 'acc w/o FT', 'acc w/ FT', 'search s'];
  const lines = rows.map((r) => [
    NAMES[r.method], r.metric, `${(100 * r.target).toFixed(1)}%`, `${(100 * r.flopsRatio).toFixed(2)}%`,
    `${(r.params / 1e3).toFixed(1)}k/${(r.origParams / 1e3).toFixed(1)}k`, fmtAcc(r.accBefore), fmtAcc(r.accAfter), r.searchSeconds.toFixed(2),
  ]);
  if (baseline?.acc !== undefined) lines.unshift(['original', '', '100%', '100.00%', rows[0] ? `${(rows[0].origParams / 1e3).toFixed(1)}k` : '', fmtAcc(baseline.acc), '', '']);
  const w = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (l: string[]) => l.map((c, i) => (i < 2 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [fmt(head), w.map((n) => '-'.repeat(n)).join('  '), ...lines.map(fmt)].join('\n');
}

/** "conv1 10, stage1.block0.conv1 24, …" */
export function formatRanks(r: MethodReport): string {
  return Object.entries(r.ranks).map(([k, v]) => `${k} ${v}`).join(', ');
}
