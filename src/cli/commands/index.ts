/** Every CLI command module; each exports `register(program)`. Add one import and one array entry per command. */
import type { Command } from 'commander';
import { register as info } from './info.js';

export const commands: Array<(program: Command) => void> = [
  info,
];
