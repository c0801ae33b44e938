/**
 * The local executor with `--jobs N`: N planned runs at a time, each in its own child process
 * (`whittle experiment run-one`), each with its share of the machine's cores (WHITTLE_THREADS /
 * OMP_NUM_THREADS). Runs that reuse another variant's checkpoint start after all training is done.
 * Child output goes to `<run dir>/run-one.log`.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { WhittleError } from '../../core/errors.js';
import type { Reporter } from '../../run/reporter.js';
import type { PlannedRun } from '../plan.js';
import { readJson, tailOf } from '../run-files.js';
import type { RunSummaryFile } from '../run-one.js';
import type { Budget } from '../schema.js';

export interface LocalParallelOptions {
  runs: PlannedRun[];
  file: string;
  out: string;
  budget: Budget;
  seeds: number;
  jobs: number;
  whittle: string[];
  reporter: Reporter;
  only?: string[];
  signal?: AbortSignal;
}

/** Threads per child: the cores divided between the parallel runs, at least one. */
export function threadShare(jobs: number, cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / jobs));
}

interface Outcome { index: number; code: number | null; signal: NodeJS.Signals | null }

export async function runLocalParallel(o: LocalParallelOptions): Promise<void> {
  if (!(Number.isInteger(o.jobs) && o.jobs > 0)) throw new WhittleError(`--jobs must be a positive integer, got ${o.jobs}`);
  const threads = String(threadShare(o.jobs));
  const pending = o.runs.map((r, index) => ({ r, index }))
    .filter(({ r }) => (!o.only || o.only.includes(r.variant.name)) && readJson<RunSummaryFile>(join(r.dir, 'summary.json'))?.complete !== true);
  const tag = (r: PlannedRun) => `${r.variant.name} seed ${r.seed}`;
  const children = new Set<ReturnType<typeof spawn>>();
  const stop = () => { for (const c of children) c.kill('SIGTERM'); };
  o.signal?.addEventListener('abort', stop, { once: true });
  o.reporter.info(`local executor: ${pending.length} of ${o.runs.length} runs to do, ${o.jobs} at a time, ${threads} thread(s) each`);

  const runChild = ({ r, index }: { r: PlannedRun; index: number }) => new Promise<Outcome>((res) => {
    mkdirSync(r.dir, { recursive: true });
    const fd = openSync(join(r.dir, 'run-one.log'), 'a');
    const args = [...o.whittle.slice(1), 'experiment', 'run-one', o.file, '--index', String(index), '--out', o.out, '--budget', o.budget, '--seeds', String(o.seeds), '--phase', 'all'];
    const child = spawn(o.whittle[0], args, { stdio: ['ignore', fd, fd], env: { ...process.env, WHITTLE_THREADS: threads, OMP_NUM_THREADS: threads } });
    closeSync(fd);
    children.add(child);
    o.reporter.info(`  started ${tag(r)} (pid ${child.pid})`);
    child.on('error', (e) => { children.delete(child); o.reporter.info(`  ${tag(r)}: ${e.message}`); res({ index, code: -1, signal: null }); });
    child.on('close', (code, signal) => {
      children.delete(child);
      o.reporter.info(`  ${tag(r)}: ${code === 0 ? 'done' : `stopped (${signal ?? `exit code ${code}`}), log ${join(r.dir, 'run-one.log')}`}`);
      res({ index, code, signal });
    });
  });

  // Training runs first; runs reusing a checkpoint need theirs finished.
  const outcomes: Outcome[] = [];
  for (const wave of [pending.filter((p) => !p.r.fromDir), pending.filter((p) => p.r.fromDir)]) {
    const queue = [...wave];
    const worker = async () => {
      for (let next = queue.shift(); next && !o.signal?.aborted; next = queue.shift()) outcomes.push(await runChild(next));
    };
    await Promise.all(Array.from({ length: Math.min(o.jobs, queue.length) }, worker));
    if (o.signal?.aborted) break;
  }
  o.signal?.removeEventListener('abort', stop);
  const failed = outcomes.filter((x) => x.code !== 0);
  if (failed.length && !o.signal?.aborted) {
    const lines = failed.map((f) => {
      const r = o.runs[f.index];
      return `${tag(r)} (${f.signal ?? `exit code ${f.code}`}):\n${tailOf(join(r.dir, 'run-one.log'), 5).replace(/^/gm, '    ')}`;
    });
    throw new WhittleError(`${failed.length} of ${outcomes.length} runs failed; rerun the same command to retry them\n  ${lines.join('\n  ')}`);
  }
}
