#!/usr/bin/env node
import { Command } from 'commander';
import { commands } from './commands/index.js';

const program = new Command();
program.name('whittle').description('Train, prune and compress neural networks in TypeScript').version('0.1.0');
for (const register of commands) register(program);
program.parseAsync(process.argv).catch((e: unknown) => {
  const err = e as Error;
  console.error(`whittle: ${err.message}`);
  if (process.env.WHITTLE_DEBUG) console.error(err.stack);
  process.exit(1);
});
