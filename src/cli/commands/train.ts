/** `whittle train` (plain training) and `whittle config-schema` (the run config as JSON Schema). */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { runConfigJsonSchema } from '../../config/json-schema.js';
import { addTrainingOptions, runTrainingCommand, type CommonOptions } from '../run-command.js';
import { QUANT_TRAIN_FLAGS } from '../flags.js';

export function register(program: Command): void {
  addTrainingOptions(
    program
      .command('train')
      .description('train a model from the registry (checkpoints, log.jsonl and config.json in --out)'),
    QUANT_TRAIN_FLAGS,
  ).action((opts: CommonOptions) => runTrainingCommand('train', opts, QUANT_TRAIN_FLAGS));

  program
    .command('config-schema')
    .description('print the JSON Schema of run config files (docs/config.schema.json)')
    .option('--out <file>', 'write it to a file instead of stdout')
    .action((opts: { out?: string }) => {
      const text = JSON.stringify(runConfigJsonSchema(), null, 2) + '\n';
      if (opts.out) writeFileSync(opts.out, text);
      else process.stdout.write(text);
    });
}
