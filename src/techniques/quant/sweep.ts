/**
 * The "done means" sweep: noise rate × observer × bit width, each cell fine-tuned from the same
 * float model with the same seed, reporting accuracy (float, post-training, fine-tuned, exported) and
 * size per cell. p = 1 is QAT; the paper pairs QAT with EMA and Quant-Noise with the histogram
 * observer (methods.md §4.2 quirk (d)), the sweep simply runs every combination.
 */
import { join } from 'node:path';
import type { ObserverKind, QuantConfigInput } from './config.js';
import { runQuant, type QuantRunOptions, type QuantRunReport } from './pipeline.js';

export interface SweepSpec {
  rates: number[];
  observers: ObserverKind[];
  bits: number[];
  /** Shared settings of every cell (perChannel, updateStep, layers, …). */
  base?: QuantConfigInput;
}

export interface SweepRow {
  bits: number;
  observer: ObserverKind;
  noiseRate: number;
  report: QuantRunReport;
}

export function sweepCells(spec: SweepSpec): Array<{ id: string; config: QuantConfigInput }> {
  const cells: Array<{ id: string; config: QuantConfigInput }> = [];
  for (const bits of spec.bits) {
    for (const kind of spec.observers) {
      for (const noiseRate of spec.rates) {
        const base = spec.base ?? {};
        cells.push({ id: `int${bits}-${kind}-p${noiseRate}`, config: { ...base, bits, noiseRate, observer: { ...base.observer, kind } } });
      }
    }
  }
  return cells;
}

/** Runs every cell (sequentially; each disposes its model) and returns the rows. */
export async function runQuantSweep(
  spec: SweepSpec,
  common: Omit<QuantRunOptions, 'config' | 'out'> & { out?: string },
  onRow?: (row: SweepRow) => void,
): Promise<SweepRow[]> {
  const rows: SweepRow[] = [];
  for (const cell of sweepCells(spec)) {
    if (common.signal?.aborted) break; // Ctrl-C: the cells done so far are returned
    const { model, ...report } = await runQuant({ ...common, config: cell.config, out: common.out ? join(common.out, cell.id) : undefined });
    model.dispose();
    const row = { bits: report.config.bits, observer: report.config.observer.kind, noiseRate: report.config.noiseRate, report };
    rows.push(row);
    onRow?.(row);
  }
  return rows;
}

const pct = (v: number | undefined) => (v === undefined ? 'n/a' : (100 * v).toFixed(2));

/** A fixed-width table: one line per cell. */
export function formatSweepTable(rows: SweepRow[]): string {
  const head = ['bits', 'observer', 'p', 'float %', 'PTQ %', 'tuned %', 'export %', 'float B', 'file B', 'ratio'];
  const body = rows.map((r) => {
    const a = r.report.accuracy;
    const s = r.report.size;
    return [String(r.bits), r.observer, String(r.noiseRate), pct(a.float), pct(a.ptq), pct(a.finetuned), pct(a.exported), String(s.floatBytes), String(s.fileBytes), s.ratio.toFixed(2)];
  });
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (c: string[]) => c.map((v, i) => (i < 2 ? v.padEnd(w[i]) : v.padStart(w[i]))).join('  ');
  return [line(head), ...body.map(line)].join('\n');
}
