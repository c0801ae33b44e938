/** What every report section is made of, and the log helpers the sections share. */
import type * as vl from 'vega-lite';
import type { Table } from './html.js';
import type { ExperimentRecord, LogLine, RunRecord } from './load.js';

export interface SpecChart {
  name: string;
  spec: vl.TopLevelSpec;
  caption?: string;
  /** Why the chart can be empty; shown instead of an empty chart. */
  noData?: string;
}

export interface SpecSection {
  heading: string;
  paragraphs?: string[];
  tables?: Table[];
  charts?: SpecChart[];
}

export const byVariant = (e: ExperimentRecord): Map<string, RunRecord[]> => {
  const m = new Map<string, RunRecord[]>();
  for (const r of e.runs) m.set(r.variant, [...(m.get(r.variant) ?? []), r]);
  return m;
};
export const epochs = (log: LogLine[]): LogLine[] => log.filter((l) => l.type === 'epoch');
export const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);
export const pct2 = (v: number): string => (Number.isFinite(v) ? (100 * v).toFixed(2) : '–');

export const stepsPerEpoch = (log: LogLine[]): number => num(log.find((l) => l.type === 'train_start')?.stepsPerEpoch);
