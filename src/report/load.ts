/** Reads an experiment directory (experiment.json, each run's summary.json and log.jsonl) for the report. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { WhittleError } from '../core/errors.js';
import { logPosition } from '../train/log-position.js';
import type { Experiment, Budget } from '../experiments/schema.js';
import type { RunSummaryFile } from '../experiments/runner.js';

export type LogLine = { type: string; [k: string]: unknown };

export interface RunRecord {
  variant: string;
  seed: number;
  dir: string;
  summary?: RunSummaryFile;
  log: LogLine[];
  /** Training log of the run whose model this one reused (`from`), else the same as `log`. */
  trainLog: LogLine[];
}

export interface ExperimentRecord {
  dir: string;
  experiment: Experiment;
  budget: Budget;
  seeds: number;
  runs: RunRecord[];
}

export function readLog(file: string): LogLine[] {
  if (!existsSync(file)) return [];
  const out: LogLine[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as LogLine);
    } catch {
      /* a line cut short by an interruption */
    }
  }
  return oneBasedEpochs(out);
}

/**
 * log.jsonl counts epochs from 1 since its train_start events say `epochBase: 1`; logs written before
 * (a run resumed across the change has both kinds of segment) counted from 0, and their checkpoint and
 * resume events gave the position (epochs done + step). Rewrites old segments to today's convention so
 * every reader sees one. A `resume` event belongs to the train_start after it, the rest to the one before.
 */
export function oneBasedEpochs(lines: LogLine[]): LogLine[] {
  let current: LogLine | undefined;
  return lines.map((l, i) => {
    if (l.type === 'train_start') current = l;
    const start = l.type === 'resume' ? lines.slice(i).find((x) => x.type === 'train_start') : current;
    if (!start || start.epochBase === 1 || typeof l.epoch !== 'number') return l;
    if (l.type === 'checkpoint' || l.type === 'resume') {
      const spe = typeof start.stepsPerEpoch === 'number' ? start.stepsPerEpoch : 0;
      return { ...l, ...logPosition({ epoch: l.epoch, stepInEpoch: typeof l.step === 'number' ? l.step : 0 }, spe) };
    }
    return { ...l, epoch: l.epoch + 1 };
  });
}

export function loadExperimentDir(dir: string): ExperimentRecord {
  const f = join(dir, 'experiment.json');
  if (!existsSync(f)) throw new WhittleError(`${dir} is not an experiment directory (no experiment.json; run \`whittle experiment run\` first)`);
  const meta = JSON.parse(readFileSync(f, 'utf8')) as { experiment: Experiment; budget: Budget; seeds: number };
  const runs: RunRecord[] = [];
  for (const v of meta.experiment.variants) {
    const vdir = join(dir, v.name);
    if (!existsSync(vdir)) continue;
    for (const s of readdirSync(vdir).filter((n) => /^seed-\d+$/.test(n)).sort()) {
      const rdir = join(vdir, s);
      const summaryFile = join(rdir, 'summary.json');
      const summary = existsSync(summaryFile) ? (JSON.parse(readFileSync(summaryFile, 'utf8')) as RunSummaryFile) : undefined;
      const log = readLog(join(rdir, 'log.jsonl'));
      const fromDir = v.from ? join(dir, v.from, s) : undefined;
      runs.push({ variant: v.name, seed: Number(s.slice(5)), dir: rdir, summary, log, trainLog: fromDir ? readLog(join(fromDir, 'log.jsonl')) : log });
    }
  }
  return { dir, experiment: meta.experiment, budget: meta.budget, seeds: meta.seeds, runs };
}
