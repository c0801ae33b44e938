/** Soft Filter Pruning as a registry entry: the `sfp` section adds the zeroing hook; `whittle sfp` enables it. */
import type { FlagSpec } from '../../config/flag-spec.js';
import { defineTechnique } from '../descriptor.js';
import { sfpConfigSchema } from './config.js';
import { SfpHook } from './hook.js';

export const SFP_FLAGS: readonly FlagSpec[] = [
  { flags: '--keep-rate <x>', field: 'sfp.keepRate', kind: 'number', description: 'SFP: fraction of filters kept per layer (default 0.7)' },
  { flags: '--epoch-prune <n>', field: 'sfp.epochPrune', kind: 'number', description: 'SFP: zero every N epochs (default 1)' },
  { flags: '--criterion <name>', field: 'sfp.criterion', kind: 'string', description: 'SFP: l2|l1' },
  { flags: '--exclude <list>', field: 'sfp.exclude', kind: 'list', description: 'SFP: conv layers never zeroed (names or /regex/, comma-separated)' },
  { flags: '--skip-shortcut', field: 'sfp.skipShortcut', kind: 'bool', description: 'SFP: leave projection-shortcut convs alone' },
];

export const technique = defineTechnique({
  name: 'sfp',
  description: 'Soft Filter Pruning: zero the lowest-norm filters every epoch, let them grow back, remove them at the end',
  section: { key: 'sfp', schema: sfpConfigSchema, description: 'Soft Filter Pruning (present = enabled; `whittle sfp` adds it)' },
  // SFP zeroes at epoch ends; RePr (after it in the registry) then ranks what is left.
  hooks: (cfg) => [new SfpHook(cfg)],
  cli: {
    command: { name: 'sfp', description: 'train with Soft Filter Pruning (zero the lowest-norm filters every epoch); config section `sfp`' },
    commandFlags: SFP_FLAGS,
  },
});
