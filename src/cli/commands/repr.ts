/** `whittle repr`: training with RePr's drop / re-initialise cycles (all `train` options plus RePr's). */
import type { Command } from 'commander';
import { REPR_FLAGS } from '../flags.js';
import { addTrainingOptions, runTrainingCommand, type CommonOptions } from '../run-command.js';

export function register(program: Command): void {
  addTrainingOptions(
    program.command('repr').description('train with RePr (drop filters by orthogonality, retrain, re-initialise); config section `repr`'),
    REPR_FLAGS,
  ).action((opts: CommonOptions) => runTrainingCommand('repr', opts, REPR_FLAGS, { repr: {} }));
}
