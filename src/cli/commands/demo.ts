import type { Command } from 'commander';
import { join } from 'node:path';
import { demoExperiment } from '../../demo/experiment.js';
import { initBackend, type BackendName } from '../../engine/backend.js';
import { runExperiment, readJson } from '../../experiments/runner.js';
import { createReporter } from '../progress.js';
import { buildReport } from '../../report/build.js';
import { loadExperimentDir } from '../../report/load.js';
import { resultsSection, postStepSections } from '../../report/sections.js';
import { renderTextTable } from '../text-table.js';

interface DemoOpts { dataDir?: string; shapes?: boolean; epochs?: string; train?: string; val?: string; out: string; backend?: string }

export function register(program: Command): void {
  program
    .command('demo')
    .description('train a small ResNet, apply RePr, SFP + filter removal, stochastic depth, ENC, Quant-Noise and PQ, and write an HTML report')
    .option('--data-dir <dir>', 'CIFAR-10 folder (default: ../shared/data/cifar10 or $WHITTLE_CIFAR10_DIR when present, else the procedural shapes set)')
    .option('--shapes', 'use the built-in procedural dataset even when CIFAR-10 is present')
    .option('--epochs <n>', 'epochs per variant (default 3; 2 on the slower wasm/cpu backends)')
    .option('--train <n>', 'training images (default 3000; 1000 on wasm/cpu)')
    .option('--val <n>', 'validation images (default 1000; 500 on wasm/cpu)')
    .option('--backend <name>', 'auto|native|node|wasm|cpu')
    .option('--out <dir>', 'output directory', join('runs', 'demo'))
    .action(async (o: DemoOpts) => {
      // Without the native backend (or tfjs-node) training is ~5-10x slower: shrink the defaults so the
      // demo still finishes in minutes, and say so.
      const be = await initBackend((o.backend ?? 'auto') as BackendName);
      const slow = be.name === 'wasm' || be.name === 'cpu';
      if (slow && !(o.epochs && o.train)) process.stderr.write(`note: running on ${be.name} (${be.reasons.join('; ')}); using a smaller demo. Install libdnnl-dev and reinstall for the native backend.\n`);
      const num = (v: string | undefined, fast: number, small: number) => (v === undefined ? (slow ? small : fast) : Number(v));
      const { experiment } = demoExperiment({ dataDir: o.dataDir, shapes: o.shapes, epochs: num(o.epochs, 3, 2), trainImages: num(o.train, 3000, 1000), valImages: num(o.val, 1000, 500), backend: o.backend });
      const t0 = Date.now();
      process.stderr.write(`whittle demo: ${experiment.description}\n`);
      const prev = readJson<{ experiment: { description: string } }>(join(o.out, 'experiment.json'));
      if (prev && prev.experiment.description !== experiment.description) {
        process.stderr.write(`note: ${o.out} holds a demo with other settings; finished runs there are reused. Use --out to start elsewhere.\n`);
      }
      await runExperiment(experiment, { budget: 'quick', out: o.out, reporter: createReporter() });
      const report = await buildReport(o.out);
      const e = loadExperimentDir(o.out);
      for (const s of [resultsSection(e), ...postStepSections(e)]) {
        for (const t of s.tables ?? []) {
          // Wide per-layer tables (ENC ranks, removed filters) are in the HTML report only.
          if (/per layer|Removed filters/i.test(t.caption ?? '') || (t.columns.length > 12 && !/per run$/.test(t.caption ?? ''))) continue;
          process.stdout.write(`\n${t.caption ?? s.heading}\n${renderTextTable(t.columns, t.rows)}\n`);
        }
      }
      process.stdout.write(`\nreport: ${report.htmlPath}\ncharts: ${report.pngs.length} PNG files in ${report.pngDir}\ntotal: ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
    });
}
