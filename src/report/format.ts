/**
 * How the report writes numbers and column names: accuracies in percent with two decimals, sizes in
 * KiB, counts with thousands separators, other values with at most four significant digits, and
 * camelCase keys as words with their unit.
 */

/** Known result keys → header (with unit). Accuracies in step summaries are already percentages. */
const HEADERS: Record<string, string> = {
  top1: 'top-1 %', top5: 'top-5 %', bytes: 'stored bytes', flops: 'FLOPs (MACs)',
  removedFilters: 'filters removed', paramsBefore: 'params before', paramsAfter: 'params after',
  flopsBefore: 'FLOPs before', flopsAfter: 'FLOPs after', latencyMsBefore: 'latency before (ms)', latencyMsAfter: 'latency after (ms)',
  top1Trained: 'top-1 trained %', top1Masked: 'top-1 masked %', top1Exported: 'top-1 exported %', top1Finetuned: 'top-1 fine-tuned %',
  cells: 'cells', floatTop1: 'float top-1 %', bestCell: 'best cell', bestExportedTop1: 'best exported top-1 %', bestTop1: 'best top-1 %',
  target: 'target FLOPs %', baseTop1: 'float top-1 %',
};

const ENC_NAMES: Record<string, string> = { uniform: 'Uniform', map: 'ENC-Map', model: 'ENC-Model', inf: 'ENC-Inf' };

/** A result key as a column header: known keys by table, `mapTop1` → "ENC-Map top-1 %", else camelCase split. */
export function humanHeader(key: string): string {
  if (HEADERS[key]) return HEADERS[key];
  const enc = /^(uniform|map|model|inf)(Top1|Flops)$/.exec(key);
  if (enc) return `${ENC_NAMES[enc[1]]} ${enc[2] === 'Top1' ? 'top-1 %' : 'FLOPs %'}`;
  return key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/\bTop(\d)/g, 'top-$1').toLowerCase();
}

/**
 * Values stored as fractions that the report shows as percentages: FLOPs ratios (`mapFlops`) and ENC's
 * `target`. Accuracies are percentages in every step summary, except prune-export before it switched
 * (fractions ≤ 1 under a top-1 key there are scaled too: no model scores ≤ 1 % on purpose).
 */
export function asPercent(key: string, v: number): number {
  if (/Flops$/.test(key) && key !== 'flopsBefore' && key !== 'flopsAfter') return 100 * v;
  if (key === 'target') return 100 * v;
  if (/^top1(Trained|Masked|Exported|Finetuned)$/.test(key) && v <= 1) return 100 * v;
  return v;
}

export function isPercentKey(key: string): boolean {
  return humanHeader(key).includes('%');
}

/** Fixed decimals a column's header asks for: percentages, points, MFLOPs and ratios 2, KiB 1. */
export function columnDigits(header: string): number | undefined {
  if (/%|points\)|MFLOPs|×/.test(header)) return 2;
  if (/KiB/.test(header)) return 1;
  return undefined;
}

/** A table cell: `digits` fixed decimals when given, else integers with separators and ≤ 4 significant digits. */
export function formatCell(v: string | number | null | undefined, digits?: number | boolean): string {
  if (v === null || v === undefined) return '–';
  if (typeof v !== 'number') return v;
  if (!Number.isFinite(v)) return String(v);
  const d = digits === true ? 2 : digits === false ? undefined : digits;
  if (d !== undefined) return v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return v.toFixed(1);
  return String(+v.toPrecision(4));
}

export function kib(bytes: number): number {
  return +(bytes / 1024).toFixed(1);
}
