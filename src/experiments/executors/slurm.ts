/**
 * The Slurm executor: plans which runs of an experiment still need training or post steps (those
 * without a summary.json), writes the sbatch scripts into `<out>/slurm/` and submits them: a job array
 * for training, a dependent array for the post steps, and a report job after both. Rerunning submits
 * only what is unfinished; runs resume from their checkpoints. Jobs are recorded in `slurm/jobs.jsonl`.
 */
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { WhittleError } from '../../core/errors.js';
import type { PlannedRun } from '../plan.js';
import { needsPostPhase, type RunSummaryFile } from '../run-one.js';
import { readJson } from '../run-files.js';
import { readLog } from '../../report/load.js';
import type { Budget } from '../schema.js';
import { runCommand } from './command.js';
import { checkSlurmOptions, logDir, sbatchScript, type ScriptContext, type SlurmOptions, type SlurmPhase } from './slurm-script.js';

export interface SlurmPlan {
  /** Planned-run indices of the training array and of the post-step array. */
  train: number[];
  post: number[];
  /** aftercorr: post task i waits for training task i only; afterok: for the whole training array. */
  postDependency: 'aftercorr' | 'afterok';
  report: boolean;
}

export interface SubmittedJob {
  phase: SlurmPhase;
  script: string;
  text: string;
  /** The sbatch command (dependencies as `<train>`/`<post>` before submission). */
  command: string[];
  indices: number[];
  job?: string;
}

export interface SlurmSubmission {
  plan: SlurmPlan;
  jobs: SubmittedJob[];
}

export interface SlurmSubmitOptions {
  runs: PlannedRun[];
  experiment: string;
  file: string;
  out: string;
  budget: Budget;
  seeds: number;
  whittle: string[];
  options: SlurmOptions;
  /** Submit a report job (default true). */
  report?: boolean;
  /** Only these variants. */
  only?: string[];
  /** Print, do not write or submit. */
  dryRun?: boolean;
}

const done = (r: PlannedRun) => readJson<RunSummaryFile>(join(r.dir, 'summary.json'))?.complete === true;

export function planSlurm(runs: readonly PlannedRun[], o: { out: string; report?: boolean; only?: string[] }): SlurmPlan {
  const pending = runs.map((r, i) => ({ r, i })).filter(({ r }) => (!o.only || o.only.includes(r.variant.name)) && !done(r));
  const train = pending.filter(({ r }) => !r.fromDir && !existsSync(join(r.dir, 'training.json'))).map(({ i }) => i);
  const postRuns = pending.filter(({ r }) => needsPostPhase(r));
  const post = postRuns.map(({ i }) => i);
  const corr = postRuns.every(({ r, i }) => !r.fromDir && train.includes(i));
  const report = o.report !== false && (pending.length > 0 || !existsSync(join(resolve(o.out), 'report.html')));
  return { train, post, postDependency: corr ? 'aftercorr' : 'afterok', report };
}

/** Writes the scripts and submits them in order (or, with dryRun, only says what it would do). */
export function submitSlurm(o: SlurmSubmitOptions): SlurmSubmission {
  checkSlurmOptions(o.options);
  const out = resolve(o.out);
  const plan = planSlurm(o.runs, { out, report: o.report, only: o.only });
  const ctx: ScriptContext = { experiment: o.experiment, file: resolve(o.file), out, cwd: process.cwd(), budget: o.budget, seeds: o.seeds, whittle: o.whittle, options: o.options };
  const jobs: SubmittedJob[] = [];
  const scriptPath = (phase: SlurmPhase) => join(out, 'slurm', `${phase}.sbatch`);
  const add = (phase: SlurmPhase, indices: number[], deps: string[]) => {
    const command = ['sbatch', '--parsable', ...deps, scriptPath(phase)];
    jobs.push({ phase, script: scriptPath(phase), text: sbatchScript(ctx, phase, indices), command, indices });
  };
  if (plan.train.length) add('train', plan.train, []);
  const trainRef = plan.train.length ? '<train>' : undefined;
  if (plan.post.length) add('post', plan.post, trainRef ? [`--dependency=${plan.postDependency}:${trainRef}`, '--kill-on-invalid-dep=yes'] : []);
  const after = [trainRef, plan.post.length ? '<post>' : undefined].filter((x): x is string => x !== undefined);
  if (plan.report) add('report', [], after.length ? [`--dependency=afterok:${after.join(':')}`, '--kill-on-invalid-dep=yes'] : []);
  if (o.dryRun) return { plan, jobs };

  if (jobs.length && !runCommand('sbatch', ['--version']).ok) {
    throw new WhittleError('sbatch not found or not working: --executor slurm needs the Slurm client commands (run it on a login node of the cluster)');
  }
  mkdirSync(logDir(out), { recursive: true });
  const ids: Record<string, string> = {};
  for (const j of jobs) {
    writeFileSync(j.script, j.text, { mode: 0o755 });
    j.command = j.command.map((a) => a.replace(/<(train|post)>/g, (_m, p: string) => ids[p]));
    const r = runCommand(j.command[0], j.command.slice(1));
    if (!r.ok) throw new WhittleError(`${j.command.join(' ')} failed: ${r.stderr.trim() || r.error || `exit code ${r.status}`}${jobs.indexOf(j) > 0 ? ` (already submitted: ${Object.entries(ids).map(([p, id]) => `${p} ${id}`).join(', ')})` : ''}`);
    j.job = r.stdout.trim().split(';')[0];
    ids[j.phase] = j.job;
  }
  if (jobs.length) {
    appendFileSync(join(out, 'slurm', 'jobs.jsonl'), JSON.stringify({ submitted: new Date().toISOString(), jobs: jobs.map((j) => ({ phase: j.phase, job: j.job, indices: j.indices })) }) + '\n');
  }
  return { plan, jobs };
}

export interface SubmissionRecord {
  submitted: string;
  jobs: Array<{ phase: SlurmPhase; job: string; indices: number[] }>;
}

export function readSubmissions(out: string): SubmissionRecord[] {
  return readLog(join(out, 'slurm', 'jobs.jsonl')) as unknown as SubmissionRecord[];
}

/** Slurm's job id of the running array task ("1234_3"), or of a plain job, or undefined outside Slurm. */
export function currentSlurmJob(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.SLURM_ARRAY_JOB_ID && env.SLURM_ARRAY_TASK_ID) return `${env.SLURM_ARRAY_JOB_ID}_${env.SLURM_ARRAY_TASK_ID}`;
  return env.SLURM_JOB_ID || undefined;
}
