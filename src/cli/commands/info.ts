import type { Command } from 'commander';
import { initBackend, BACKEND_NAMES, type BackendName } from '../../engine/backend.js';
import { tf } from '../../engine/tf.js';
import { listModels } from '../../models/registry.js';
import { TECHNIQUES } from '../../techniques/registry.js';

export function register(program: Command): void {
  program
    .command('info')
    .description('print the backend Whittle would use, why, and the threads it runs on; the models and techniques')
    .option('--backend <name>', `backend: ${BACKEND_NAMES.join('|')}`, 'auto')
    .option('--json', 'machine-readable output')
    .action(async (opts: { backend: BackendName; json?: boolean }) => {
      const info = await initBackend(opts.backend);
      const out = { backend: info.name, requested: info.requested, reasons: info.reasons, threads: info.threads, tfjs: tf.version_core, node: process.version, models: listModels(), techniques: TECHNIQUES.map((t) => t.name) };
      if (opts.json) console.log(JSON.stringify(out));
      else {
        console.log(`backend: ${out.backend} (requested ${out.requested})`);
        for (const r of out.reasons) console.log(`  - ${r}`);
        console.log(`threads: ${out.threads}  tfjs-core ${out.tfjs}  node ${out.node}`);
        console.log(`models: ${out.models.join(', ')}`);
        console.log(`techniques: ${out.techniques.join(', ')}`);
      }
    });
}
