/**
 * `whittle train` (plain training), one training command per technique that has one (`whittle repr`,
 * `whittle sfp`: from the technique registry), and `whittle config-schema`.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { runConfigJsonSchema } from '../../config/json-schema.js';
import { sectionTechniques } from '../../techniques/registry.js';
import { addTrainingOptions, runTrainingCommand, type CommonOptions } from '../run-command.js';
import { trainingFlags } from '../flags.js';

export function register(program: Command): void {
  const flags = trainingFlags();
  addTrainingOptions(
    program
      .command('train')
      .description('train a model from the registry (checkpoints, log.jsonl and config.json in --out)'),
    flags,
  ).action((opts: CommonOptions) => runTrainingCommand('train', opts, flags));

  for (const t of sectionTechniques()) {
    const own = t.cli?.command;
    if (!own) continue;
    const specs = trainingFlags(t);
    addTrainingOptions(program.command(own.name).description(own.description), specs)
      .action((opts: CommonOptions) => runTrainingCommand(own.name, opts, specs, { [t.section.key]: {} }));
  }

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
