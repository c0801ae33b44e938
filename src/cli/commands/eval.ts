/** `whittle eval`: validation metrics of a checkpoint (a run directory or one ckpt-* directory). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { BACKEND_NAMES, type BackendName } from '../../engine/backend.js';
import type { ConfigTree } from '../../config/load.js';
import { evaluateCheckpoint } from '../../run/eval-checkpoint.js';
import { toJson } from '../output.js';
import { createReporter } from '../progress.js';

interface EvalOptions {
  checkpoint: string;
  data?: string;
  dataDir?: string;
  valSubset?: string;
  batchSize?: string;
  backend?: BackendName;
  json?: boolean;
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

export function register(program: Command): void {
  program
    .command('eval')
    .description("evaluate a checkpoint on its run's validation split (or on --data/--data-dir)")
    .requiredOption('--checkpoint <dir>', 'run directory (its latest checkpoint), its checkpoints/ folder, or a ckpt-* directory')
    .option('--data <name>', 'dataset: cifar10|cifar100|shapes (default: the run\'s)')
    .option('--data-dir <dir>', 'folder with the CIFAR .bin files (default: the run\'s)')
    .option('--val-subset <n>', 'evaluate the first N validation images only')
    .option('--batch-size <n>', 'evaluation batch size (default: the run\'s)')
    .option('--backend <name>', `backend: ${BACKEND_NAMES.join('|')} (default: the run's)`)
    .option('--json', 'print one JSON object on stdout')
    .action(async (opts: EvalOptions) => {
      const data: ConfigTree = {};
      if (opts.data) data.name = opts.data;
      if (opts.dataDir) data.dir = opts.dataDir;
      if (opts.valSubset) data.valSubset = Number(opts.valSubset);
      const r = await evaluateCheckpoint(resolveRunDir(opts.checkpoint), {
        data: Object.keys(data).length ? data : undefined,
        batchSize: opts.batchSize ? Number(opts.batchSize) : undefined,
        backend: opts.backend,
        reporter: createReporter(),
      });
      if (opts.json) process.stdout.write(toJson(r) + '\n');
      else {
        process.stdout.write(`${r.checkpoint}: ${r.model} after epoch ${r.epoch} (${r.iteration} steps), rebuilt from ${r.rebuiltFrom}\n`);
        process.stdout.write(`${r.dataset}: top-1 ${pct(r.top1)}  top-5 ${pct(r.top5)}  loss ${r.loss.toFixed(4)}  (${r.n} images, ${r.seconds.toFixed(1)} s)\n`);
      }
    });
}

/** Accepts the run directory itself (whose checkpoints live in <run>/checkpoints). */
function resolveRunDir(p: string): string {
  return existsSync(join(p, 'checkpoints', 'latest')) ? join(p, 'checkpoints') : p;
}
