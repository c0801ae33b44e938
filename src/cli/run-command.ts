/**
 * The shared body of the training commands (`whittle train` and each technique's own, e.g. repr, sfp): config layers (saved run config when resuming < --config
 * file < flags), SIGINT handling (first: checkpoint and stop; second: exit now), and the output.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { FormatError } from '../core/errors.js';
import { loadConfigFile, resolveRunConfig, type ConfigLayer, type ConfigTree } from '../config/load.js';
import { addFlags, flagLayers, type FlagSpec } from './flags.js';
import { formatSummary, toJson } from './output.js';
import { createReporter } from './progress.js';
import { DEFAULT_OUT, runTraining } from '../run/run-training.js';

export interface CommonOptions {
  config?: string;
  resume?: boolean;
  json?: boolean;
  [flag: string]: unknown;
}

/** Adds --config, --resume, --json and the training flags (`trainingFlags(...)`) to a command. */
export function addTrainingOptions(cmd: Command, flags: readonly FlagSpec[]): Command {
  cmd.option('--config <file>', 'YAML (or JSON) run config; flags override its fields');
  addFlags(cmd, flags);
  cmd.option('--resume', 'continue exactly from the latest checkpoint in <out>/checkpoints');
  cmd.option('--json', 'print one JSON summary on stdout (everything else goes to stderr)');
  return cmd;
}

/** The saved config of a run directory (to resume with the same settings), without its bookkeeping fields. */
function savedConfig(outDir: string): ConfigLayer | undefined {
  const file = join(outDir, 'config.json');
  if (!existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new FormatError(file, `is not valid JSON (${(e as Error).message}); fix or remove it to resume with flags only`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new FormatError(file, 'is not a JSON object');
  const { command: _c, ...values } = parsed as ConfigTree;
  // maxIterations time-boxes one invocation; inheriting it would stop the resumed run at once.
  const train = values.train as ConfigTree | undefined;
  if (train) delete train.maxIterations;
  return { source: file, values };
}

export async function runTrainingCommand(command: string, opts: CommonOptions, specs: readonly FlagSpec[], base: ConfigTree = {}): Promise<void> {
  const file: ConfigLayer[] = opts.config ? [{ source: opts.config, values: loadConfigFile(opts.config) }] : [];
  const flags = flagLayers(opts, specs);
  let layers: ConfigLayer[] = [{ source: `whittle ${command}`, values: base }, ...file, ...flags];
  if (opts.resume) {
    const out = resolveRunConfig(layers);
    const saved = savedConfig(out.out ?? DEFAULT_OUT(out));
    if (saved) layers = [layers[0], saved, ...layers.slice(1)];
  }
  const config = resolveRunConfig(layers);

  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) {
      process.stderr.write('\nsecond interrupt: exiting without a checkpoint\n');
      process.exit(130);
    }
    process.stderr.write('\ninterrupted: finishing the current step and writing a checkpoint (Ctrl-C again to exit now)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    const summary = await runTraining(config, { command, resume: opts.resume === true, signal: controller.signal, reporter: createReporter() });
    if (opts.json) process.stdout.write(toJson(summary) + '\n');
    else process.stdout.write(formatSummary(summary) + '\n');
    if (summary.interrupted) {
      process.stderr.write(`resume with: whittle ${command} --out ${summary.runDir} --resume\n`);
      process.exitCode = 130;
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
}
