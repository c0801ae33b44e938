/**
 * What Slurm says about an experiment's jobs, for `experiment status`: squeue for pending and running
 * tasks; for finished ones sacct where accounting storage exists, else the controller's job records
 * (`scontrol show job`, kept for MinJobAge after a job ends). Missing commands mean no answers, not errors.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { JobInfo, JobLookup } from '../status.js';
import { runCommand } from './command.js';
import { logFile } from './slurm-script.js';
import { readSubmissions } from './slurm.js';

const ACTIVE = new Set(['PENDING', 'RUNNING', 'CONFIGURING', 'COMPLETING', 'REQUEUED', 'RESIZING', 'SUSPENDED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'STAGE_OUT', 'SIGNALING']);

function info(state: string): JobInfo {
  return { state, active: ACTIVE.has(state), pending: state === 'PENDING' || state.startsWith('REQUEUE') };
}

/** "1234_3" → state, from squeue (active tasks of the given array jobs). */
function squeueStates(jobs: Set<string>): Map<string, string> {
  const m = new Map<string, string>();
  const r = runCommand('squeue', ['--me', '-h', '-r', '-o', '%i|%T']);
  if (!r.ok) return m;
  for (const line of r.stdout.split('\n')) {
    const [id, state] = line.trim().split('|');
    if (id && state && jobs.has(id.split('_')[0])) m.set(id, state);
  }
  return m;
}

/** Final states from sacct, or from scontrol when accounting storage is disabled. */
function finishedStates(jobs: Set<string>): Map<string, string> {
  const m = new Map<string, string>();
  if (jobs.size === 0) return m;
  const sacct = runCommand('sacct', ['-n', '-P', '-X', '-o', 'JobID,State', '-j', [...jobs].join(',')]);
  if (sacct.ok) {
    for (const line of sacct.stdout.split('\n')) {
      const [id, state] = line.trim().split('|');
      if (id && state) m.set(id, state.split(' ')[0]);
    }
    if (m.size) return m;
  }
  for (const job of jobs) {
    const r = runCommand('scontrol', ['-o', 'show', 'job', job]);
    if (!r.ok) continue;
    for (const line of r.stdout.split('\n')) {
      const f = Object.fromEntries(line.trim().split(/\s+/).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
      if (!f.JobState) continue;
      const task = f.ArrayTaskId && /^\d+$/.test(f.ArrayTaskId) ? `${f.ArrayJobId}_${f.ArrayTaskId}` : f.JobId;
      m.set(task, f.JobState);
    }
  }
  return m;
}

/**
 * For each planned run, its task in the latest submission that named it: the post-step task once the
 * training task has ended well, else the training task.
 */
export function slurmJobLookup(outDir: string): JobLookup {
  const out = resolve(outDir);
  const subs = readSubmissions(out);
  if (subs.length === 0) return () => undefined;
  const latest = new Map<number, Map<string, string>>(); // run index → phase → "job_index"
  for (const s of subs) {
    const named = new Set(s.jobs.flatMap((j) => j.indices));
    for (const i of named) latest.set(i, new Map());
    for (const j of s.jobs) for (const i of j.indices) latest.get(i)!.set(j.phase, `${j.job}_${i}`);
  }
  const arrays = new Set([...latest.values()].flatMap((m) => [...m.values()].map((t) => t.split('_')[0])));
  const active = squeueStates(arrays);
  let finished: Map<string, string> | undefined;
  const stateOf = (task: string) => active.get(task) ?? (finished ??= finishedStates(arrays)).get(task);
  return (run, index) => {
    const tasks = latest.get(index);
    if (!tasks) return undefined;
    const train = tasks.get('train');
    const post = tasks.get('post');
    const trainState = train ? stateOf(train) : undefined;
    // The post task once training ended well (or ended long ago, with training.json to show for it).
    const trained = trainState === 'COMPLETED' || (trainState === undefined && existsSync(join(run.dir, 'training.json')));
    const usePost = post && (!train || trained);
    const task = usePost ? post : train!;
    const phase = usePost ? 'post' : 'train';
    const state = usePost ? stateOf(post) : trainState;
    return { job: task, info: state ? { ...info(state), log: logFile(out, phase, task) } : undefined, log: logFile(out, phase, task) };
  };
}
