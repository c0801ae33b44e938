/** `whittle sfp`: training with Soft Filter Pruning (all `train` options plus SFP's). */
import type { Command } from 'commander';
import { SFP_FLAGS } from '../flags.js';
import { addTrainingOptions, runTrainingCommand, type CommonOptions } from '../run-command.js';

export function register(program: Command): void {
  addTrainingOptions(
    program.command('sfp').description('train with Soft Filter Pruning (zero the lowest-norm filters every epoch); config section `sfp`'),
    SFP_FLAGS,
  ).action((opts: CommonOptions) => runTrainingCommand('sfp', opts, SFP_FLAGS, { sfp: {} }));
}
