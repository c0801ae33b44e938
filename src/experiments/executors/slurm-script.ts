/**
 * sbatch scripts of an experiment, as text: a job array that trains one planned run per task, an array
 * for the post steps, and one job for the report. Pure: no file or Slurm access here (see slurm.ts).
 */
import { join } from 'node:path';
import { WhittleError } from '../../core/errors.js';
import type { Budget } from '../schema.js';
import { shellQuote } from './whittle-command.js';

export interface SlurmOptions {
  partition?: string;
  /** Wall-time limit, e.g. 04:00:00 or 1-00:00:00. */
  time?: string;
  cpusPerTask?: number;
  /** Memory per node, e.g. 8G. */
  mem?: string;
  account?: string;
  /** Extra sbatch options, one `#SBATCH` line each (e.g. --gres=gpu:1, --qos=long). */
  sbatchArgs?: string[];
}

export type SlurmPhase = 'train' | 'post' | 'report';

export interface ScriptContext {
  experiment: string;
  /** Absolute paths: the experiment file, its output directory, the directory jobs start in. */
  file: string;
  out: string;
  cwd: string;
  budget: Budget;
  seeds: number;
  /** How to start Whittle (see whittle-command.ts). */
  whittle: string[];
  options: SlurmOptions;
}

const NO_SPACE = /^[^\s'"\\$`]+$/;

/** Refuses values that would break an `#SBATCH` line or smuggle shell into the script. */
export function checkSlurmOptions(o: SlurmOptions): void {
  const bad = (what: string, v: string, why: string) => new WhittleError(`${what} "${v}": ${why}`);
  for (const [what, v] of [['--partition', o.partition], ['--account', o.account]] as const) {
    if (v !== undefined && !/^[\w.,-]+$/.test(v)) throw bad(what, v, 'letters, digits, ".", ",", "_" or "-" only');
  }
  if (o.time !== undefined && !/^(\d+-)?\d+(:\d{1,2}){0,2}$|^\d+-\d+$/.test(o.time)) throw bad('--time', o.time, 'expected minutes, MM:SS, HH:MM:SS or D-HH[:MM[:SS]]');
  if (o.mem !== undefined && !/^\d+[KMGT]?$/i.test(o.mem)) throw bad('--mem', o.mem, 'expected a size such as 4000, 8G or 512M');
  if (o.cpusPerTask !== undefined && !(Number.isInteger(o.cpusPerTask) && o.cpusPerTask > 0)) throw bad('--cpus-per-task', String(o.cpusPerTask), 'expected a positive integer');
  for (const a of o.sbatchArgs ?? []) {
    if (!/^--?[A-Za-z]/.test(a) || /[\n\r]/.test(a)) throw bad('--sbatch-arg', a, 'expected one sbatch option such as --qos=long or --gres=gpu:1');
  }
}

/** "0-2,5,7-8" for Slurm's --array. */
export function arraySpec(indices: readonly number[]): string {
  const s = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length;) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j] + 1) j++;
    parts.push(j > i ? `${s[i]}-${s[j]}` : `${s[i]}`);
    i = j + 1;
  }
  return parts.join(',');
}

export function logDir(out: string): string {
  return join(out, 'slurm', 'logs');
}

/** The log file Slurm writes for an array task ("1234_3") or a job ("1240") of a phase. */
export function logFile(out: string, phase: SlurmPhase, job: string): string {
  return join(logDir(out), `${phase}-${job}.out`);
}

/** The sbatch script of one phase; `indices` are the planned runs of an array phase. */
export function sbatchScript(c: ScriptContext, phase: SlurmPhase, indices: readonly number[] = []): string {
  for (const [what, p] of [['output directory', c.out], ['working directory', c.cwd]] as const) {
    if (!NO_SPACE.test(p)) throw new WhittleError(`the ${what} ${p} cannot be named in an #SBATCH line (spaces, quotes or $): choose another --out`);
  }
  const array = phase !== 'report';
  if (array && indices.length === 0) throw new WhittleError(`no runs for the ${phase} array`);
  const o = c.options;
  const lines = [
    '#!/bin/bash',
    `# Whittle experiment "${c.experiment}", ${phase === 'train' ? 'training: one array task per planned run' : phase === 'post' ? 'post steps: one array task per run' : 'report'}.`,
    '# Written by `whittle experiment run --executor slurm`; rerun that command to resubmit unfinished runs.',
    `#SBATCH --job-name=whittle-${c.experiment}-${phase}`,
    ...(array ? [`#SBATCH --array=${arraySpec(indices)}`] : []),
    `#SBATCH --output=${join(logDir(c.out), array ? `${phase}-%A_%a.out` : `${phase}-%j.out`)}`,
    '#SBATCH --open-mode=append',
    `#SBATCH --chdir=${c.cwd}`,
    '#SBATCH --requeue',
    // The report job needs one CPU and little memory: the per-run resources are for the arrays.
    ...(array && o.cpusPerTask !== undefined ? [`#SBATCH --cpus-per-task=${o.cpusPerTask}`] : []),
    ...(array && o.mem !== undefined ? [`#SBATCH --mem=${o.mem}`] : []),
    ...(o.time !== undefined ? [`#SBATCH --time=${o.time}`] : []),
    ...(o.partition !== undefined ? [`#SBATCH --partition=${o.partition}`] : []),
    ...(o.account !== undefined ? [`#SBATCH --account=${o.account}`] : []),
    ...(o.sbatchArgs ?? []).map((a) => `#SBATCH ${a}`),
    'set -eu',
    '# Each task uses the CPUs Slurm gave it (native backend: OpenMP threads).',
    'export WHITTLE_THREADS="${SLURM_CPUS_PER_TASK:-1}" OMP_NUM_THREADS="${SLURM_CPUS_PER_TASK:-1}"',
  ];
  const whittle = c.whittle.map(shellQuote).join(' ');
  if (array) {
    const args = ['experiment', 'run-one', c.file].map(shellQuote).join(' ');
    lines.push(`exec ${whittle} ${args} --index "$SLURM_ARRAY_TASK_ID" --out ${shellQuote(c.out)} --budget ${c.budget} --seeds ${c.seeds} --phase ${phase}`);
  } else {
    lines.push(`exec ${whittle} report ${shellQuote(c.out)}`);
  }
  return lines.join('\n') + '\n';
}
