import type { Command } from 'commander';
import { join } from 'node:path';
import { demoExperiment } from '../../demo/experiment.js';
import { runExperiment, readJson } from '../../experiments/runner.js';
import { buildReport } from '../../report/build.js';
import { loadExperimentDir } from '../../report/load.js';
import { resultsSection, postStepSections } from '../../report/sections.js';
import { renderTextTable } from '../text-table.js';

interface DemoOpts { dataDir?: string; shapes?: boolean; epochs?: string; train?: string; val?: string; out: string; backend?: string; fresh?: boolean }

export function register(program: Command): void {
  program
    .command('demo')
    .description('train a small ResNet, apply RePr, SFP + filter removal, stochastic depth, ENC, Quant-Noise and PQ, and write an HTML report')
    .option('--data-dir <dir>', 'CIFAR-10 folder (default: ../shared/data/cifar10 or $WHITTLE_CIFAR10_DIR when present, else the procedural shapes set)')
    .option('--shapes', 'use the built-in procedural dataset even when CIFAR-10 is present')
    .option('--epochs <n>', 'epochs per variant', '3')
    .option('--train <n>', 'training images', '3000')
    .option('--val <n>', 'validation images', '1000')
    .option('--backend <name>', 'auto|native|node|wasm|cpu')
    .option('--out <dir>', 'output directory', join('runs', 'demo'))
    .action(async (o: DemoOpts) => {
      const { experiment } = demoExperiment({ dataDir: o.dataDir, shapes: o.shapes, epochs: Number(o.epochs), trainImages: Number(o.train), valImages: Number(o.val), backend: o.backend });
      const t0 = Date.now();
      process.stderr.write(`whittle demo: ${experiment.description}\n`);
      const prev = readJson<{ experiment: { description: string } }>(join(o.out, 'experiment.json'));
      if (prev && prev.experiment.description !== experiment.description) {
        process.stderr.write(`note: ${o.out} holds a demo with other settings; finished runs there are reused. Use --out to start elsewhere.\n`);
      }
      await runExperiment(experiment, { budget: 'quick', out: o.out });
      const report = await buildReport(o.out);
      const e = loadExperimentDir(o.out);
      for (const s of [resultsSection(e), ...postStepSections(e)]) {
        for (const t of s.tables ?? []) {
          if (/per layer|Removed filters/i.test(t.caption ?? '')) continue;
          process.stdout.write(`\n${t.caption ?? s.heading}\n${renderTextTable(t.columns, t.rows)}\n`);
        }
      }
      process.stdout.write(`\nreport: ${report.htmlPath}\ncharts: ${report.pngs.length} PNG files in ${join(o.out, 'report')}\ntotal: ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
    });
}
