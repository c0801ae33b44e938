/**
 * Post steps that ship with Whittle. Each maps an experiment step onto a technique's public function.
 */
import { join } from 'node:path';
import { registerPostStep } from './post-steps.js';
import { parseSelection, pruneExport } from '../techniques/prune-export/index.js';
import { saveModelCheckpoint } from '../train/index.js';

/** `{ step: prune-export, select: zeroed | l2:0.3, finetuneEpochs?: N }` */
registerPostStep('prune-export', async (step, ctx) => {
  const model = await ctx.loadModel();
  const sel = parseSelection(String(step.select ?? 'zeroed'));
  const r = await pruneExport(model, sel, async (m) => (await ctx.evaluate(m)).top1, { latencyBatch: 32, latencyRuns: 5 });
  let finetuned: number | null = null;
  const epochs = Number(step.finetuneEpochs ?? 0);
  if (epochs > 0) finetuned = (await ctx.finetune(r.small, { epochs }))?.top1 ?? null;
  saveModelCheckpoint(join(ctx.dir, 'model'), r.small, { prunedFrom: ctx.checkpoint, selection: String(step.select ?? 'zeroed') });
  ctx.info(`pruned: ${r.before.params} → ${r.after.params} params, latency ${r.before.latencyMs.toFixed(1)} → ${r.after.latencyMs.toFixed(1)} ms`);
  const removed = [...r.plan.remove.values()].reduce((a, b) => a + b.length, 0);
  model.dispose();
  r.small.dispose();
  return {
    summary: {
      removedFilters: removed,
      paramsBefore: r.before.params, paramsAfter: r.after.params,
      flopsBefore: r.before.flops, flopsAfter: r.after.flops,
      latencyMsBefore: r.before.latencyMs, latencyMsAfter: r.after.latencyMs,
      top1Trained: r.before.top1 ?? null, top1Masked: r.masked.top1 ?? null, top1Exported: r.after.top1 ?? null, top1Finetuned: finetuned,
    },
    table: {
      title: 'Removed filters per layer',
      columns: ['layer', 'removed', 'kept'],
      rows: [...r.plan.remove].map(([l, idx]) => [l, idx.length, r.plan.paths.get(l)!.filters - idx.length]),
    },
  };
});
