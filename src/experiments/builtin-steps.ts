/**
 * Post steps that ship with Whittle. Each maps an experiment step onto a technique's public function.
 */
import { join } from 'node:path';
import { budgetValue, registerPostStep, type TradeoffPoint } from './post-steps.js';
import { runQuantSweep, type SweepSpec } from '../techniques/quant/sweep.js';
import type { ObserverKind } from '../techniques/quant/config.js';
import { compareMethods, createSession, type EncMethod, type EncMetric } from '../techniques/enc/index.js';
import type { tfl } from '../engine/tf.js';
import { runIPQ, pqNoiseHook, setNoiseRate, encodePQModel, decodePQModel, modelSize } from '../techniques/pq/index.js';
import { modelParams } from '../models/params.js';
import { countFlops } from '../models/stats.js';
import { parseSelection, pruneExport } from '../techniques/prune-export/index.js';
import { saveModelCheckpoint } from '../train/index.js';

const pct = (v: number | undefined | null) => (v === undefined || v === null ? null : +(100 * v).toFixed(2));
/** Stored size of a model kept in float32: every weight, BN statistics included (as PQ's fp32Bytes). */
const float32Bytes = (m: tfl.LayersModel) => 4 * modelParams(m).reduce((s, q) => s + q.variable.size, 0);
const flopsOf = (m: tfl.LayersModel) => countFlops(m).total;

/** `{ step: measure }`: the trained float model's accuracy, stored size and FLOPs (the reference point). */
registerPostStep('measure', async (_step, ctx) => {
  const model = await ctx.loadModel();
  const m = await ctx.evaluate(model);
  const bytes = float32Bytes(model);
  const flops = flopsOf(model);
  model.dispose();
  return {
    summary: { top1: pct(m.top1), top5: pct(m.top5), bytes, flops },
    tradeoff: [{ technique: 'float', setting: 'float32', top1: pct(m.top1), bytes, flops }],
  };
});

/** `{ step: prune-export, select: zeroed | l2:0.3, finetuneEpochs?: N }` */
registerPostStep('prune-export', async (step, ctx) => {
  const model = await ctx.loadModel();
  const sel = parseSelection(String(step.select ?? 'zeroed'));
  const r = await pruneExport(model, sel, async (m) => (await ctx.evaluate(m)).top1, { latencyBatch: 32, latencyRuns: 5 });
  let finetuned: number | null = null;
  const epochs = budgetValue(step.finetuneEpochs, ctx.budget, 0);
  if (epochs > 0) finetuned = (await ctx.finetune(r.small, { epochs }))?.top1 ?? null;
  saveModelCheckpoint(join(ctx.dir, 'model'), r.small, { prunedFrom: ctx.checkpoint, selection: String(step.select ?? 'zeroed') });
  const smallBytes = float32Bytes(r.small);
  const top1Final = finetuned ?? r.after.top1 ?? null;
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
      top1Trained: pct(r.before.top1), top1Masked: pct(r.masked.top1), top1Exported: pct(r.after.top1), top1Finetuned: pct(finetuned),
    },
    tradeoff: [{ technique: String(step.technique ?? 'filter removal'), setting: `${removed} filters removed${epochs > 0 ? `, ${epochs} FT epoch(s)` : ''}`, top1: pct(top1Final), bytes: smallBytes, flops: r.after.flops }],
    table: {
      title: 'Removed filters per layer',
      columns: ['layer', 'removed', 'kept'],
      rows: [...r.plan.remove].map(([l, idx]) => [l, idx.length, r.plan.paths.get(l)!.filters - idx.length]),
    },
  };
});

/** `{ step: quant-sweep, bits: [8, 4], rates: [0, 0.1, 0.5, 1], observers: [ema, histogram], finetuneEpochs }` */
registerPostStep('quant-sweep', async (step, ctx) => {
  const model = await ctx.loadModel();
  const spec: SweepSpec = {
    bits: (step.bits as number[] | undefined) ?? [8, 4],
    rates: (step.rates as number[] | undefined) ?? [0, 0.1, 0.5, 1],
    observers: (step.observers as ObserverKind[] | undefined) ?? ['ema', 'histogram'],
    base: (step.base as SweepSpec['base']) ?? {},
  };
  const rows = await runQuantSweep(spec, {
    model, train: ctx.trainSource, val: ctx.valBatches, epochs: budgetValue(step.finetuneEpochs, ctx.budget, 1),
    lr: ctx.run.config.train.lr * 0.1, seed: ctx.run.seed, log: (l) => ctx.log({ type: 'quant', message: l }), signal: ctx.signal,
  }, (r) => ctx.info(`int${r.bits} ${r.observer} p=${r.noiseRate}: tuned ${(100 * (r.report.accuracy.finetuned ?? NaN)).toFixed(2)}%`));
  const flops = flopsOf(model);
  model.dispose();
  const method = (p: number) => (p >= 1 ? 'QAT' : p > 0 ? `Quant-Noise p=${p}` : 'PTQ + FT');
  const best = rows.reduce((a, b) => ((b.report.accuracy.exported ?? 0) > (a.report.accuracy.exported ?? 0) ? b : a), rows[0]);
  return {
    summary: { cells: rows.length, floatTop1: pct(rows[0]?.report.accuracy.float), bestCell: best ? `int${best.bits} ${best.observer} p=${best.noiseRate}` : null, bestExportedTop1: pct(best?.report.accuracy.exported) },
    table: {
      title: 'Quantisation sweep (top-1 %, sizes in bytes)',
      columns: ['bits', 'observer', 'p', 'float', 'PTQ', 'fine-tuned', 'exported', 'float bytes', 'file bytes', 'ratio'],
      rows: rows.map((r) => [r.bits, r.observer, r.noiseRate, pct(r.report.accuracy.float), pct(r.report.accuracy.ptq), pct(r.report.accuracy.finetuned), pct(r.report.accuracy.exported), r.report.size.floatBytes, r.report.size.fileBytes, +r.report.size.ratio.toFixed(2)]),
    },
    points: rows.map((r) => ({ kb: r.report.size.fileBytes / 1024, top1: pct(r.report.accuracy.exported), cell: `int${r.bits} ${r.observer} p=${r.noiseRate}`, series: `int${r.bits}` })),
    chart: { kind: 'scatter', title: 'Accuracy vs model size (exported)', x: 'kb', y: 'top1', series: 'series', label: 'cell', logX: true },
    tradeoff: rows.map((r) => ({ technique: `int${r.bits} ${method(r.noiseRate)}`, setting: `${r.observer} observer`, top1: pct(r.report.accuracy.exported), bytes: r.report.size.fileBytes, flops })),
  };
});

/** `{ step: enc, target: 0.5, methods: [uniform, map, model, inf], metric: pca|val|combined, finetuneEpochs }` */
registerPostStep('enc', async (step, ctx) => {
  const model = await ctx.loadModel();
  const evaluate = async (m: tfl.LayersModel) => (await ctx.evaluate(m)).top1;
  const baseTop1 = await evaluate(model);
  const nonTrainable = modelParams(model).filter((q) => !q.trainable).reduce((a, q) => a + q.variable.size, 0);
  const session = createSession(model, { samples: (step.samples as 'vbmf' | 'fixed' | undefined) ?? 'fixed' });
  const epochs = budgetValue(step.finetuneEpochs, ctx.budget, 1);
  const rows = await compareMethods(session, {
    target: Number(step.target ?? 0.5),
    methods: ((step.methods as EncMethod[] | undefined) ?? ['uniform', 'map', 'model', 'inf']),
    metric: (step.metric as EncMetric | undefined) ?? 'pca',
    evaluate,
    finetune: epochs > 0 ? async (m) => void (await ctx.finetune(m, { epochs })) : undefined,
  });
  model.dispose();
  const names: Record<string, string> = { uniform: 'Uniform', map: 'ENC-Map', model: 'ENC-Model', inf: 'ENC-Inf' };
  const layers = Object.keys(rows[0]?.ranks ?? {});
  return {
    summary: { target: Number(step.target ?? 0.5), baseTop1: pct(baseTop1), ...Object.fromEntries(rows.flatMap((r) => [[`${r.method}Top1`, pct(r.accAfter ?? r.accBefore)], [`${r.method}Flops`, +r.flopsRatio.toFixed(4)]])) },
    table: {
      title: 'ENC methods (FLOPs = remaining conv MACs; accuracies in %)',
      columns: ['method', 'metric', 'FLOPs', 'params', 'acc before FT', 'acc after FT', 'search s', ...layers],
      rows: rows.map((r) => [names[r.method] ?? r.method, r.metric, +r.flopsRatio.toFixed(4), r.params, pct(r.accBefore), pct(r.accAfter), +r.searchSeconds.toFixed(2), ...layers.map((l) => r.ranks[l])]),
    },
    points: rows.flatMap((r) => layers.map((l) => ({ layer: l, rank: r.ranks[l], method: names[r.method] ?? r.method }))),
    chart: { kind: 'bar', title: 'Chosen rank per layer', x: 'layer', y: 'rank', series: 'method' },
    tradeoff: rows.map((r) => ({ technique: names[r.method] ?? r.method, setting: `target ${(100 * r.target).toFixed(0)} % FLOPs`, top1: pct(r.accAfter ?? r.accBefore), bytes: 4 * (r.params + nonTrainable), flops: r.convMacs + r.denseMacs })),
  };
});

/**
 * `{ step: pq-sweep, ks: [16, 64, 256], blocks: [9, 18], noiseRates: [0, 0.1], finetuneEpochs, stages }`
 * (block = conv3x3 block size; noise = Quant-Noise on the centroids during fine-tuning). Every field may
 * be per budget (`ks: { quick: [256], full: [16, 64, 256] }`); `stages` are iPQ's ordered layer regexes
 * (`['.*']` = one stage, one fine-tuning; default bottom-up by name prefix); `layers` are per-layer PQ
 * overrides (`[{ pattern: '^conv1$', blockSize: 9 }]`).
 */
registerPostStep('pq-sweep', async (step, ctx) => {
  const ks = budgetValue<number[]>(step.ks, ctx.budget, [256]);
  const blocks = budgetValue<number[]>(step.blocks, ctx.budget, [9]);
  const rates = budgetValue<number[]>(step.noiseRates, ctx.budget, [0]);
  const stages = budgetValue<string[] | undefined>(step.stages, ctx.budget, undefined);
  // Per-layer PQ overrides (config.ts PQLayerOverride), e.g. the first conv's 27-value filters at block 9.
  const overrides = budgetValue<Array<{ pattern: string; blockSize?: number; k?: number; skip?: boolean }>>(step.layers, ctx.budget, []);
  const epochs = budgetValue(step.finetuneEpochs, ctx.budget, 1);
  const rows: Array<Array<string | number | null>> = [];
  const points: Array<Record<string, number | string | null>> = [];
  const tradeoff: TradeoffPoint[] = [];
  let floatTop1: number | undefined;
  for (const k of ks) for (const block of blocks) for (const p of rates) {
    if (ctx.signal?.aborted) break; // the runner discards this result and reruns the step on resume
    const model = await ctx.loadModel();
    floatTop1 ??= (await ctx.evaluate(model)).top1;
    const flops = flopsOf(model);
    const totalParams = modelParams(model).reduce((s, q) => s + q.variable.size, 0);
    const res = await runIPQ(model, {
      config: { k, blockSizes: { conv3x3: block }, layers: overrides, seed: ctx.run.seed }, noiseRate: p, stages,
      finetune: epochs > 0 ? async (m) => void (await ctx.finetune(m, { epochs, hooks: [pqNoiseHook(m)] })) : undefined,
    });
    setNoiseRate(res.model, 0);
    const bytes = await encodePQModel(res.model);
    const back = await decodePQModel(bytes, 'memory');
    const top1 = (await ctx.evaluate(back.model)).top1;
    const size = modelSize(totalParams, res.layers.map((l) => l.size));
    back.model.dispose();
    res.model.dispose();
    model.dispose();
    const cell = `K=${k} block=${block} p=${p}`;
    ctx.info(`${cell}: ${(size.compressedBytes / 1024).toFixed(1)} KiB (×${size.ratio.toFixed(1)}), top-1 ${(100 * top1).toFixed(2)}%`);
    rows.push([k, block, p, pct(top1), size.fp32Bytes, size.compressedBytes, bytes.length, +size.ratio.toFixed(2), bitsByGroup(res.layers)]);
    points.push({ kb: size.compressedBytes / 1024, top1: pct(top1), cell, series: p > 0 ? `Quant-Noise p=${p}` : 'no noise' });
    tradeoff.push({ technique: `PQ block ${block}`, setting: `K=${k}${p > 0 ? `, Quant-Noise p=${p}` : ''}`, top1: pct(top1), bytes: bytes.length, flops });
  }
  return {
    summary: { cells: rows.length, floatTop1: pct(floatTop1), bestTop1: rows.length ? Math.max(...rows.map((r) => Number(r[3]))) : null },
    table: { title: 'PQ sweep (top-1 % of the decoded file; sizes in bytes: fp32, accounted, file)', columns: ['K', 'block', 'noise p', 'top-1', 'fp32 bytes', 'compressed bytes', 'file bytes', 'ratio', 'index bits per layer group'], rows },
    points,
    chart: { kind: 'scatter', title: 'Accuracy vs compressed size (PQ)', x: 'kb', y: 'top1', series: 'series', label: 'cell', logX: true },
    tradeoff,
  };
});

/**
 * Index bits per layer, grouped by the first dotted name component (iPQ's default stages):
 * "conv1 3 · stage1 6 · stage2 7–8 · stage3 8 · fc 4". Bits vary where K is clamped on small layers.
 */
function bitsByGroup(layers: Array<{ plan: { layer: string }; size: { bitsPerIndex: number } }>): string {
  const groups = new Map<string, number[]>();
  for (const l of layers) {
    const g = l.plan.layer.split('.')[0];
    groups.set(g, [...(groups.get(g) ?? []), l.size.bitsPerIndex]);
  }
  return [...groups].map(([g, b]) => {
    const lo = Math.min(...b);
    const hi = Math.max(...b);
    return `${g} ${lo === hi ? lo : `${lo}–${hi}`}`;
  }).join(' · ');
}
