import type { Command } from 'commander';
import { initBackend, type BackendName } from '../../engine/backend.js';
import { loadCheckpoint, modelFromCheckpoint, saveModelCheckpoint } from '../../train/index.js';
import { parseSelection, pruneExport } from '../../techniques/prune-export/index.js';
import { checkpointValidation } from '../../run/eval-checkpoint.js';
import { describeBackend } from '../../run/run-training.js';
import { renderTextTable } from '../text-table.js';
import { WhittleError } from '../../core/errors.js';
import { assertExportTarget } from '../../train/output-target.js';

interface PruneOpts { checkpoint: string; export?: string; select: string; backend?: BackendName; valSubset?: string; latencyBatch: string; json?: boolean }

export function register(program: Command): void {
  program
    .command('prune')
    .description('physically remove pruned filters (all-zero ones by default, e.g. after `whittle sfp`) and the matching input channels; report params, FLOPs, latency and accuracy before/after')
    .requiredOption('--checkpoint <dir>', 'run directory or checkpoint to prune')
    .option('--export <dir>', 'write the smaller model here as a checkpoint (loads with `whittle eval`)')
    .option('--select <how>', 'zeroed (filters that are all zero) | l1:FRACTION | l2:FRACTION (per layer)', 'zeroed')
    .option('--backend <name>', 'auto|native|node|wasm|cpu')
    .option('--val-subset <n>', 'evaluate on the first N validation images')
    .option('--latency-batch <n>', 'batch size of the latency measurement', '32')
    .option('--json', 'machine-readable output')
    .action(async (o: PruneOpts) => {
      if (!o.export && !o.json) process.stderr.write('note: no --export given; measuring only\n');
      if (o.export) assertExportTarget(o.export, '--export', o.checkpoint);
      const ck = loadCheckpoint(o.checkpoint);
      const be = await initBackend(o.backend ?? 'auto');
      process.stderr.write(`${describeBackend(be)}\n`);
      const { model } = await modelFromCheckpoint(ck);
      const v = await checkpointValidation(ck, { data: o.valSubset ? { valSubset: Number(o.valSubset) } : undefined });
      const r = await pruneExport(model, parseSelection(o.select), async (m) => (await v.evaluate(m)).top1, { latencyBatch: Number(o.latencyBatch) });
      if (r.plan.remove.size === 0) throw new WhittleError(`nothing to remove in ${ck.dir} with --select ${o.select}${r.plan.kept.length ? ` (${r.plan.kept.map((k) => `${k.conv}: ${k.reason}`).join('; ')})` : ''}`);
      const out = o.export ? saveModelCheckpoint(o.export, r.small, { ...ck.meta, prunedFrom: ck.dir, selection: o.select }, { config: ck.state.config }) : undefined;
      const pct = (x?: number) => (x === undefined ? null : +(100 * x).toFixed(2));
      const result = {
        checkpoint: ck.dir, exported: out ?? null, removed: Object.fromEntries(r.plan.remove), kept: r.plan.kept,
        before: { ...r.before, top1: pct(r.before.top1) }, masked: { top1: pct(r.masked.top1) }, after: { ...r.after, top1: pct(r.after.top1) },
      };
      if (o.json) {
        console.log(JSON.stringify(result));
        return;
      }
      console.log(renderTextTable(['', 'params', 'FLOPs (MACs)', `latency ms (batch ${r.before.batch})`, 'val top-1 %'], [
        ['before (as trained)', r.before.params, r.before.flops, +r.before.latencyMs.toFixed(2), pct(r.before.top1)],
        ['channel-masked', r.before.params, r.before.flops, null, pct(r.masked.top1)],
        ['exported (smaller)', r.after.params, r.after.flops, +r.after.latencyMs.toFixed(2), pct(r.after.top1)],
      ]));
      console.log(`removed ${[...r.plan.remove.values()].reduce((a, b) => a + b.length, 0)} filters in ${r.plan.remove.size} layers; kept ${r.plan.kept.length} layers' zeroed filters (residual-tied channels)`);
      if (out) console.log(`exported: ${out}`);
    });
}
