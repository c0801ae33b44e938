/**
 * `whittle prune --export` as a function: plan (zeroed filters by default), mask exactly, remove,
 * measure before and after. Evaluation is passed in so this stays independent of data loading.
 */
import { tfl } from '../../engine/tf.js';
import { planRemoval, zeroedFilters, type RemovalPlan } from './plan.js';
import { applyChannelMask, exportPrunedWithWeights } from './export.js';
import { measureModel, type ModelMeasure } from './measure.js';
import { criterionScores } from '../filter-mask/criteria.js';
import { selectFilters } from '../filter-mask/select.js';
import { convLayers, readKernel } from '../filter-mask/conv-layers.js';

export { planRemoval, zeroedFilters, channelPath, type RemovalPlan } from './plan.js';
export { applyChannelMask, exportPrunedWithWeights, gatherAxis } from './export.js';
export { measureModel, type ModelMeasure } from './measure.js';

export type Selection = { kind: 'zeroed' } | { kind: 'l1' | 'l2'; fraction: number };

/** Parses `zeroed`, `l2:0.3`, `l1:0.25`. */
export function parseSelection(s: string): Selection {
  if (s === 'zeroed') return { kind: 'zeroed' };
  const m = /^(l1|l2):([0-9.]+)$/.exec(s);
  if (!m || !(Number(m[2]) >= 0 && Number(m[2]) < 1)) throw new Error(`--select: expected zeroed, l1:FRACTION or l2:FRACTION with FRACTION in [0, 1), got "${s}"`);
  return { kind: m[1] as 'l1' | 'l2', fraction: Number(m[2]) };
}

export function selectForRemoval(model: tfl.LayersModel, sel: Selection): Map<string, number[]> {
  if (sel.kind === 'zeroed') return zeroedFilters(model);
  const convs = convLayers(model);
  return selectFilters(convs.map((c) => ({ layer: c.name, scores: criterionScores(sel.kind, readKernel(c)) })), {
    fraction: sel.fraction, scope: 'perLayer', higherIsWorse: false, rounding: 'floor',
  }).dropped;
}

export interface PruneExportResult {
  plan: RemovalPlan;
  small: tfl.LayersModel;
  before: ModelMeasure & { top1?: number };
  masked: { top1?: number };
  after: ModelMeasure & { top1?: number };
}

/** Masks `model` in place (exact channel silencing), exports the smaller model and measures both. */
export async function pruneExport(
  model: tfl.LayersModel,
  sel: Selection,
  evaluate?: (m: tfl.LayersModel) => Promise<number>,
  opts: { latencyBatch?: number; latencyRuns?: number } = {},
): Promise<PruneExportResult> {
  const mopts = { batch: opts.latencyBatch, runs: opts.latencyRuns };
  const plan = planRemoval(model, selectForRemoval(model, sel));
  const before = { ...measureModel(model, mopts), top1: evaluate ? await evaluate(model) : undefined };
  applyChannelMask(model, plan);
  const masked = { top1: evaluate ? await evaluate(model) : undefined };
  const small = await exportPrunedWithWeights(model, plan);
  const after = { ...measureModel(small, mopts), top1: evaluate ? await evaluate(small) : undefined };
  return { plan, small, before, masked, after };
}
