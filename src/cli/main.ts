#!/usr/bin/env node
/**
 * The `whittle` CLI. Only commander loads up front: the module of the command being run is imported
 * on demand (src/cli/commands/index.ts), so help and `info` answer without loading every command's
 * dependencies. Top-level help lists every command from the module table without loading any.
 */
import { Command } from 'commander';
import { COMMAND_MODULES, commandModule } from './commands/index.js';

const program = new Command();
program.name('whittle').description('Train, prune and compress neural networks in TypeScript').version('0.1.0');

async function main(argv: string[]): Promise<void> {
  const args = argv.slice(2);
  const first = args.find((a) => !a.startsWith('-'));
  const target = first === 'help' ? args[args.indexOf('help') + 1] : first;
  const mod = commandModule(target);
  if (mod) (await mod.load()).register(program);
  else for (const m of COMMAND_MODULES) for (const c of m.commands) program.command(c.name).description(c.description);
  await program.parseAsync(argv);
}

main(process.argv).catch((e: unknown) => {
  const err = e as Error;
  console.error(`whittle: ${err.message}`);
  if (process.env.WHITTLE_DEBUG) console.error(err.stack);
  process.exit(1);
});
