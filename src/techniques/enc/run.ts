/**
 * Runs the ENC rank-selection methods on a session and applies the result (methods.md §3.4):
 * Uniform, ENC-Map, ENC-Model (best candidate by the network metric), ENC-Inf (best validation accuracy
 * among the top N candidates, no fine-tuning). Layer metric for ENC-Map and network metric for
 * ENC-Model/Inf follow `metric`: pca → E_l / A_p, val → A_l / A_m, combined → A_l / A_c.
 */
import { tfl } from '../../engine/tf.js';
import { ConfigError } from '../../core/errors.js';
import { encMap, uniformSearch } from './map.js';
import { buildSpace, type SpaceOptions } from './space.js';
import { divideAndConquerSearch, type Candidate } from './search.js';
import { complexity } from './cost.js';
import { networkMetrics, type NetworkMetric } from './metrics.js';
import { buildFactorisedModel } from './build.js';
import { accuracyAt, fullRanks, measureAccuracyCurves, type EncSession, type Evaluator } from './session.js';

export type EncMethod = 'uniform' | 'map' | 'model' | 'inf';
export const ENC_METHODS: readonly EncMethod[] = ['uniform', 'map', 'model', 'inf'];
export type EncMetric = 'pca' | 'val' | 'combined';

export interface SelectOptions extends SpaceOptions {
  metric?: EncMetric;
  /** ENC-Inf: candidates evaluated on validation (`Sel_top`: 20 res56, 40 vgg16). */
  topN?: number;
}

export interface Selection {
  method: EncMethod;
  metric: EncMetric;
  /** Ranks of every factorised layer by name (pinned conv1 included). */
  ranks: Record<string, number>;
  target: number;
  /** Remaining conv MACs fraction by the search's cost model. */
  complexity: number;
  Ap: number;
  Am: number;
  Ac: number;
  /** Validation accuracy without fine-tuning when the method measured it (ENC-Inf). */
  accuracy?: number;
  candidates?: number;
  /** Rank selection time (the validation metric's passes are reported by the session). */
  searchSeconds: number;
  note?: string;
}

const NETWORK: Record<EncMetric, NetworkMetric> = { pca: 'Ap', val: 'Am', combined: 'Ac' };

/** Selects ranks with one method. `evaluate` is needed for metric val/combined and for ENC-Inf. */
export async function selectRanks(s: EncSession, method: EncMethod, target: number, opts: SelectOptions = {}, evaluate?: Evaluator): Promise<Selection> {
  if (!(target > 0 && target <= 1)) throw new ConfigError('target', `remaining-FLOPs fraction must be in (0, 1], got ${target}`);
  const metric = opts.metric ?? 'pca';
  if ((metric !== 'pca' || method === 'inf') && !evaluate) throw new ConfigError('metric', `ENC ${method} with metric ${metric} needs validation data`);
  const accuracy = metric === 'pca' ? undefined : await measureAccuracyCurves(s, evaluate as Evaluator);
  const layerCurves = metric === 'pca' ? s.energy : (accuracy as NonNullable<typeof accuracy>);
  const t0 = performance.now();
  const score = (ranks: number[]) => networkMetrics({ energy: s.energy, accuracy }, ranks, complexity(s.problem.cost, ranks));
  const done = (ranks: number[], extra: Partial<Selection> = {}): Selection => ({
    method, metric, ranks: fullRanks(s, ranks), target, complexity: complexity(s.problem.cost, ranks),
    ...score(ranks), searchSeconds: (performance.now() - t0) / 1000, ...extra,
  });
  if (method === 'uniform') {
    const u = uniformSearch(s.problem, target);
    return done(u.ranks, { note: `ratio ${u.ratio.toFixed(4)} of R_max` });
  }
  if (method === 'map') {
    const m = encMap(s.problem, layerCurves, target);
    return done(m.ranks, { note: `level a* = ${m.level.toFixed(4)} (${m.how})` });
  }
  const space = buildSpace(s.problem, layerCurves, target, opts);
  const ctx = { energy: s.energy, accuracy, metric: NETWORK[metric], cost: s.problem.cost };
  const topN = method === 'inf' ? (opts.topN ?? 20) : 1;
  const cands: Candidate[] = divideAndConquerSearch(space, ctx, { topN });
  if (cands.length === 0) {
    // No grid point meets the ±margin budget: fall back to ENC-Map (documented in the report).
    const m = encMap(s.problem, layerCurves, target);
    return done(m.ranks, { note: 'no candidate within the budget margin: ENC-Map ranks' });
  }
  if (method === 'model') return done(cands[0].ranks, { candidates: cands.length });
  let best = cands[0];
  let bestAcc = -Infinity;
  for (const c of cands) {
    const acc = await accuracyAt(s, fullRanks(s, c.ranks), evaluate as Evaluator);
    if (acc > bestAcc) {
      bestAcc = acc;
      best = c;
    }
  }
  return done(best.ranks, { accuracy: bestAcc, candidates: cands.length, note: `best of top ${cands.length} by ${NETWORK[metric]}` });
}

/** The factorised model of a selection (plain tfjs layers, `<name>.a` → `<name>.b`). */
export function applySelection(s: EncSession, sel: Selection): Promise<tfl.LayersModel> {
  return buildFactorisedModel(s.model, s.analysis.layers, sel.ranks, { strideMode: s.strideMode });
}
