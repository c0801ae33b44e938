/**
 * Per-run state of an experiment directory, from the run directories (summary.json, run-one.json,
 * checkpoints) and, when an executor can tell, its scheduler (a job pending or running, or its final
 * state). Nothing here knows a scheduler: `JobLookup` is the executor's answer for a job id.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { latestCheckpoint } from '../train/index.js';
import { planRuns, type PlannedRun } from './plan.js';
import type { RunSummaryFile } from './run-one.js';
import { readJson, tailOf } from './run-files.js';
import { processAlive, readRunRecord } from './run-record.js';
import type { Budget, Experiment } from './schema.js';

export type RunState = 'done' | 'running' | 'pending' | 'failed' | 'in progress' | 'not started';

export interface RunStatus {
  variant: string;
  seed: number;
  /** Index in the planned grid (`experiment run-one --index`). */
  index: number;
  state: RunState;
  /** Scheduler job id, e.g. "1234_3". */
  job?: string;
  detail: string;
  /** The end of the run's log, for a failed run. */
  logTail?: string;
}

export interface JobInfo {
  /** Scheduler state in its own words (RUNNING, PENDING, CANCELLED, ...). */
  state: string;
  active: boolean;
  pending: boolean;
  /** Log file of the job's process. */
  log?: string;
}

/** What the executor knows about a run: its latest job, if any. */
export type JobLookup = (run: PlannedRun, index: number) => { job: string; info?: JobInfo; log?: string } | undefined;

export function experimentStatus(exp: Experiment, o: { budget: Budget; seeds?: number; out: string; jobs?: JobLookup }): RunStatus[] {
  return planRuns(exp, o).map((r, index) => runStatus(r, index, o.jobs?.(r, index)));
}

function runStatus(r: PlannedRun, index: number, job: ReturnType<JobLookup>): RunStatus {
  const base = { variant: r.variant.name, seed: r.seed, index };
  const s = readJson<RunSummaryFile>(join(r.dir, 'summary.json'));
  if (s?.complete) {
    const top1 = 'val' in s.training && s.training.val ? `${(100 * s.training.val.top1).toFixed(2)}%` : '-';
    return { ...base, state: 'done', detail: `val top-1 ${top1}, ${s.trainSeconds.toFixed(0)} s` };
  }
  const ck = latestCheckpoint(join(r.dir, 'checkpoints'));
  const progress = ck ? `checkpoint ${ck}` : existsSync(join(r.dir, 'training.json')) ? 'trained, post steps to do' : '';
  if (job?.info?.active) {
    const state = job.info.pending ? 'pending' : 'running';
    return { ...base, state, job: job.job, detail: [`job ${job.job} ${job.info.state}`, progress].filter(Boolean).join(', ') };
  }
  const rec = readRunRecord(r.dir);
  const log = job?.info?.log ?? job?.log ?? join(r.dir, 'run-one.log');
  if (rec?.state === 'running' && !job && processAlive(rec)) return { ...base, state: 'running', detail: [`pid ${rec.pid}`, progress].filter(Boolean).join(', ') };
  if (rec && rec.state !== 'finished') {
    const why = rec.state === 'running' ? 'stopped without a word (killed?)' : rec.state === 'interrupted' ? 'interrupted' : `failed: ${rec.error ?? 'see the log'}`;
    const jobState = job?.info ? `job ${job.job} ${job.info.state}` : job ? `job ${job.job}` : '';
    return { ...base, state: 'failed', job: job?.job, detail: [jobState, why, progress].filter(Boolean).join(', '), logTail: tailOf(log) };
  }
  if (job?.info && !job.info.active && job.info.state !== 'COMPLETED') {
    return { ...base, state: 'failed', job: job.job, detail: [`job ${job.job} ${job.info.state}`, progress].filter(Boolean).join(', '), logTail: tailOf(log) };
  }
  if (progress) return { ...base, state: 'in progress', job: job?.job, detail: progress };
  return { ...base, state: 'not started', job: job?.job, detail: job ? `last job ${job.job}` : '' };
}
