/**
 * `run-one.json` in a run directory: what the last `experiment run-one` process did with the run
 * (running, finished its phase, failed with an error, interrupted), with its pid, host and, under a
 * scheduler, its job id. `experiment status` reads it to tell a failed run from one never started.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeJsonAtomic } from '../io/atomic.js';
import { readJson } from './run-files.js';
import type { RunPhase } from './run-one.js';

export type RecordState = 'running' | 'finished' | 'failed' | 'interrupted';

export interface RunRecord {
  state: RecordState;
  phase: RunPhase;
  pid: number;
  host: string;
  /** Scheduler job id of the process, e.g. Slurm's "1234_3" (array job 1234, task 3). */
  job?: string;
  started: string;
  ended?: string;
  error?: string;
}

const file = (runDir: string) => join(runDir, 'run-one.json');

export function readRunRecord(runDir: string): RunRecord | undefined {
  try {
    return readJson<RunRecord>(file(runDir));
  } catch {
    return undefined; // a record cut by a crash says nothing
  }
}

/** Records the start; the returned function records the end. */
export function startRunRecord(runDir: string, phase: RunPhase, job?: string): (state: Exclude<RecordState, 'running'>, error?: string) => void {
  const rec: RunRecord = { state: 'running', phase, pid: process.pid, host: hostname(), job, started: new Date().toISOString() };
  writeJsonAtomic(file(runDir), rec);
  return (state, error) => writeJsonAtomic(file(runDir), { ...rec, state, ended: new Date().toISOString(), ...(error ? { error } : {}) });
}

/** Whether a pid recorded on this host is still alive. */
export function processAlive(rec: RunRecord): boolean {
  if (rec.host !== hostname()) return false;
  try {
    process.kill(rec.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
