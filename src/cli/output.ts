/**
 * Final output of the training commands: a short human summary on stdout, or with `--json` exactly one
 * JSON document on stdout (progress and information always go to stderr, so `--json` output parses).
 */
import type { RunSummary } from '../run/run-training.js';

const pct = (v: number | undefined) => (typeof v === 'number' && Number.isFinite(v) ? `${(100 * v).toFixed(2)}%` : '-');

export function formatSummary(s: RunSummary): string {
  const lines = [
    `${s.command}: ${s.model} on ${s.dataset}, ${s.epochsDone}/${s.epochs} epochs (${s.iterations} steps)${s.techniques.length ? `, ${s.techniques.join(' + ')}` : ''}${s.interrupted ? ' — interrupted' : s.stopped ? ' — stopped at max iterations' : ''}`,
    s.val
      ? `validation: top-1 ${pct(s.val.top1)}  top-5 ${pct(s.val.top5)}  loss ${s.val.loss.toFixed(4)}  (${s.val.n} images)`
      : 'validation: none yet',
    `time: ${s.wallSeconds.toFixed(1)} s, ${s.imagesPerSecond.toFixed(1)} training images/s on ${s.backend}`,
    `run directory: ${s.runDir}`,
  ];
  if (s.checkpoint) lines.push(`checkpoint: ${s.checkpoint}`);
  return lines.join('\n');
}

/** JSON with non-finite numbers as null (JSON has no NaN). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v));
}
