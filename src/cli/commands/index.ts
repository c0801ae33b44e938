/** Every CLI command module; each exports `register(program)`. Add one import and one array entry per command. */
import type { Command } from 'commander';
import { register as info } from './info.js';
import { register as clip } from './clip.js';
import { register as pq } from './pq.js';
import { register as train } from './train.js';
import { register as evalCmd } from './eval.js';
import { register as quant } from './quant.js';
import { register as experiment } from './experiment.js';
import { register as demo } from './demo.js';
import { register as prune } from './prune.js';
import { register as enc } from './enc.js';
import { register as exportCmd } from './export.js';

export const commands: Array<(program: Command) => void> = [
  info,
  clip,
  pq,
  train,
  evalCmd,
  quant,
  experiment,
  demo,
  prune,
  enc,
  exportCmd,
];
