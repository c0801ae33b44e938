import type { Command } from 'commander';
import { join, basename } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { loadExperimentFile } from '../../experiments/load.js';
import { experimentStatus, runExperiment } from '../../experiments/runner.js';
import { createReporter } from '../progress.js';
import { slurmJobLookup } from '../../experiments/executors/slurm-status.js';
import { addExecutorOptions, registerRunOne, runWithExecutor, usesExecutor, type ExecutorOpts } from './experiment-exec.js';
import { BUDGETS, type Budget, type Experiment } from '../../experiments/schema.js';
import { buildReport } from '../../report/build.js';
import { WhittleError } from '../../core/errors.js';

interface RunOpts extends ExecutorOpts { budget: Budget; seeds?: string; out?: string; only?: string; report?: boolean }

function budgetOf(b: string): Budget {
  if (!(BUDGETS as readonly string[]).includes(b)) throw new WhittleError(`--budget must be one of ${BUDGETS.join(', ')}, got "${b}"`);
  return b as Budget;
}

export function register(program: Command): void {
  const exp = program.command('experiment').description('run grids of training runs from a YAML file, and follow them');
  const run = exp
    .command('run <file>')
    .description('run every variant × seed of an experiment (resumable: finished runs are skipped)')
    .option('--budget <quick|standard|full>', 'quick: ~20 min on 2 cores (stated in the report); standard: the full split, tens of epochs; full: the reference schedules', 'quick')
    .option('--seeds <n>', 'seeds per variant (default: the file\'s)')
    .option('--out <dir>', 'experiment directory (default runs/experiments/<name>-<budget>)')
    .option('--only <variants>', 'comma-separated variant names')
    .option('--no-report', 'do not write report.html at the end');
  addExecutorOptions(run)
    .action(async (file: string, o: RunOpts) => {
      const e = loadExperimentFile(file);
      const budget = budgetOf(o.budget);
      const out = o.out ?? join('runs', 'experiments', `${e.name}-${budget}`);
      const ac = new AbortController();
      const onInt = () => {
        process.stderr.write('\ninterrupt: finishing the current step and checkpointing (Ctrl-C again to force)\n');
        ac.abort();
        process.once('SIGINT', () => process.exit(130));
      };
      process.once('SIGINT', onInt);
      process.once('SIGTERM', onInt); // kill, or a scheduler's stop: the same clean stop with checkpoints
      const seeds = o.seeds ? Number(o.seeds) : undefined;
      if (usesExecutor(o)) {
        const r = await runWithExecutor(e, file, { ...o, budget, seeds, out, only: o.only?.split(','), report: o.report !== false, signal: ac.signal });
        process.off('SIGINT', onInt).off('SIGTERM', onInt);
        if (r === 'submitted') return;
      } else {
        await runExperiment(e, { budget, seeds, out, only: o.only?.split(','), signal: ac.signal, reporter: createReporter() });
      }
      process.off('SIGINT', onInt).off('SIGTERM', onInt);
      if (ac.signal.aborted) {
        process.stderr.write(`stopped; resume with: whittle experiment run ${file} --budget ${budget} --out ${out}${o.jobs ? ` --executor local --jobs ${o.jobs}` : ''}\n`);
        process.exitCode = 130;
        return;
      }
      if (o.report !== false) {
        const r = await buildReport(out);
        process.stderr.write(`report: ${r.htmlPath} (${r.pngs.length} PNG charts in ${r.pngDir})\n`);
      }
    });
  registerRunOne(exp, budgetOf);
  exp
    .command('status <dir>')
    .description('show which runs of an experiment directory are done, running (with the Slurm job), failed (with the end of the log) or not started')
    .option('--json', 'machine-readable output')
    .action((dir: string, o: { json?: boolean }) => {
      const f = join(dir, 'experiment.json');
      if (!existsSync(f)) throw new WhittleError(`${dir} is not an experiment directory (no experiment.json)`);
      const meta = JSON.parse(readFileSync(f, 'utf8')) as { experiment: Experiment; budget: Budget; seeds: number };
      const rows = experimentStatus(meta.experiment, { budget: meta.budget, seeds: meta.seeds, out: dir, jobs: slurmJobLookup(dir) });
      if (o.json) {
        console.log(JSON.stringify(rows));
        return;
      }
      console.log(`${meta.experiment.name} (${basename(dir)}, budget ${meta.budget})`);
      for (const r of rows) {
        console.log(`  ${r.state.padEnd(12)} ${r.variant} seed ${r.seed}${r.detail ? `  ${r.detail}` : ''}`);
        if (r.logTail) console.log(r.logTail.replace(/^/gm, '      | '));
      }
      const done = rows.filter((r) => r.state === 'done').length;
      console.log(`${done}/${rows.length} runs done`);
    });
  program
    .command('report <dir>')
    .description('build the HTML report (inline SVG charts) and PNG charts of an experiment directory')
    .option('--out <file>', 'HTML path (default <dir>/report.html); the PNGs go to a folder named like it, next to it')
    .action(async (dir: string, o: { out?: string }) => {
      const r = await buildReport(dir, { out: o.out });
      console.log(r.htmlPath);
      for (const p of r.pngs) console.log(p);
    });
}
