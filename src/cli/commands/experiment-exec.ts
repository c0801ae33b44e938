/**
 * `experiment run` with another executor (slurm, or local --jobs N) and `experiment run-one`, the
 * command every executor runs per planned run. The executors live in src/experiments/executors/.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { WhittleError } from '../../core/errors.js';
import type { Experiment, Budget } from '../../experiments/schema.js';
import { planRuns } from '../../experiments/plan.js';
import { prepareExperiment } from '../../experiments/runner.js';
import { runOne, type RunPhase } from '../../experiments/run-one.js';
import { startRunRecord } from '../../experiments/run-record.js';
import { whittleCommand } from '../../experiments/executors/whittle-command.js';
import { currentSlurmJob, submitSlurm } from '../../experiments/executors/slurm.js';
import { runLocalParallel } from '../../experiments/executors/local.js';
import { createReporter } from '../progress.js';
import { numberFlag } from '../checkpoint-data-flags.js';

export interface ExecutorOpts {
  executor: string;
  jobs?: string;
  partition?: string;
  time?: string;
  cpusPerTask?: string;
  mem?: string;
  account?: string;
  sbatchArg?: string[];
  dryRun?: boolean;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function addExecutorOptions(cmd: Command): Command {
  return cmd
    .option('--executor <local|slurm>', 'local: in this process (or --jobs N processes); slurm: submit job arrays with sbatch', 'local')
    .option('--jobs <n>', 'local executor: runs in parallel, each in its own process with its share of the cores')
    .option('--partition <p>', 'slurm: partition')
    .option('--time <limit>', 'slurm: wall-time limit per task, e.g. 04:00:00')
    .option('--cpus-per-task <n>', 'slurm: CPUs per task (Whittle uses them as threads)')
    .option('--mem <size>', 'slurm: memory per task, e.g. 8G')
    .option('--account <a>', 'slurm: account to charge')
    .option('--sbatch-arg <option>', 'slurm: extra sbatch option, one #SBATCH line each (repeatable), e.g. --sbatch-arg=--qos=long', collect)
    .option('--dry-run', 'slurm: print the sbatch scripts and commands without writing or submitting them');
}

const positiveInt = (flag: string, v: string | undefined): number | undefined => (v === undefined ? undefined : numberFlag(flag, v, true));

/** Whether the options ask for something other than the default in-process executor. */
export function usesExecutor(o: ExecutorOpts): boolean {
  if (o.executor !== 'local' && o.executor !== 'slurm') throw new WhittleError(`--executor must be local or slurm, got "${o.executor}"`);
  const slurmOnly = (['partition', 'time', 'cpusPerTask', 'mem', 'account', 'sbatchArg', 'dryRun'] as const).filter((k) => o[k] !== undefined);
  if (o.executor === 'local' && slurmOnly.length) throw new WhittleError(`--${slurmOnly[0].replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs --executor slurm`);
  if (o.executor === 'slurm' && o.jobs !== undefined) throw new WhittleError('--jobs is for --executor local (Slurm runs every task it can)');
  return o.executor === 'slurm' || o.jobs !== undefined;
}

export async function runWithExecutor(e: Experiment, file: string, o: ExecutorOpts & { budget: Budget; seeds?: number; out: string; only?: string[]; report: boolean; signal: AbortSignal }): Promise<'submitted' | 'done'> {
  // 'done': the grid ran here (the caller builds the report); 'submitted': Slurm has it, or nothing was left.
  const seeds = o.seeds ?? e.seeds;
  const base = { budget: o.budget, seeds, out: resolve(o.out) };
  const whittle = whittleCommand();
  if (o.executor === 'local') {
    const runs = prepareExperiment(e, base);
    await runLocalParallel({ runs, file: resolve(file), ...base, jobs: positiveInt('--jobs', o.jobs)!, whittle, reporter: createReporter(), only: o.only, signal: o.signal });
    return 'done';
  }
  const options = { partition: o.partition, time: o.time, cpusPerTask: positiveInt('--cpus-per-task', o.cpusPerTask), mem: o.mem, account: o.account, sbatchArgs: o.sbatchArg };
  const runs = o.dryRun ? planRuns(e, base) : prepareExperiment(e, base);
  const sub = submitSlurm({ runs, experiment: e.name, file, ...base, whittle, options, report: o.report, only: o.only, dryRun: o.dryRun });
  if (sub.jobs.length === 0) {
    console.log(`all ${runs.length} runs are done and the report exists; nothing to submit`);
    return 'submitted';
  }
  for (const j of sub.jobs) {
    if (o.dryRun) console.log(`# ${j.script}\n${j.text}# submit: ${j.command.join(' ')}\n`);
    else console.log(`submitted ${j.phase} ${j.indices.length ? `array (${j.indices.length} task${j.indices.length > 1 ? 's' : ''}) ` : ''}as job ${j.job}`);
  }
  if (!o.dryRun) console.log(`follow with: whittle experiment status ${o.out}`);
  return 'submitted';
}

export function registerRunOne(exp: Command, budgetOf: (b: string) => Budget): void {
  exp
    .command('run-one <file>')
    .description('run one planned run of an experiment (what executors start per run; resumes from its checkpoint)')
    .requiredOption('--index <i>', 'the run\'s index in the planned grid (variants in file order, seeds within)')
    .requiredOption('--out <dir>', 'experiment directory')
    .option('--budget <quick|standard|full>', 'budget', 'quick')
    .option('--seeds <n>', 'seeds per variant (default: the file\'s)')
    .option('--phase <train|post|all>', 'train: training only; post: post steps and summary (after train); all: both', 'all')
    .action(async (file: string, o: { index: string; out: string; budget: string; seeds?: string; phase: string }) => {
      const { loadExperimentFile } = await import('../../experiments/load.js');
      const e = loadExperimentFile(file);
      if (!['train', 'post', 'all'].includes(o.phase)) throw new WhittleError(`--phase must be train, post or all, got "${o.phase}"`);
      const runs = planRuns(e, { budget: budgetOf(o.budget), seeds: positiveInt('--seeds', o.seeds), out: o.out });
      const index = Number(o.index);
      if (!Number.isInteger(index) || index < 0 || index >= runs.length) throw new WhittleError(`--index must be 0..${runs.length - 1} (${runs.length} planned runs), got "${o.index}"`);
      const run = runs[index];
      const phase = o.phase as RunPhase;
      const tag = `${e.name} ${run.variant.name} seed ${run.seed}`;
      const reporter = createReporter();
      reporter.info(`${tag} (run ${index}, phase ${phase}, pid ${process.pid}${currentSlurmJob() ? `, job ${currentSlurmJob()}` : ''})`);
      // Slurm's scancel, preemption and time limits send SIGTERM first: stop with a checkpoint.
      const ac = new AbortController();
      const onSignal = (sig: NodeJS.Signals) => {
        reporter.info(`${sig}: stopping at the next step with a checkpoint`);
        ac.abort();
      };
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      const end = startRunRecord(run.dir, phase, currentSlurmJob());
      try {
        const summary = await runOne(run, { experiment: e.name, budget: budgetOf(o.budget), phase, reporter, signal: ac.signal, tag });
        if (ac.signal.aborted) {
          end('interrupted');
          process.exitCode = 143;
          return;
        }
        end('finished');
        reporter.info(`${tag}: ${summary ? 'done' : 'trained; post steps follow'}`);
      } catch (err) {
        end('failed', (err as Error).message);
        throw err;
      }
    });
}
