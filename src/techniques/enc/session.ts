/**
 * One ENC compression session on a trained model: analysis (factorise every selected layer at R_max),
 * the searched-layer problem and its cost model, the layer metrics, and the R_max model used to score
 * rank configurations without rebuilding (methods.md §3.1–3.3).
 */
import { tfl } from '../../engine/tf.js';
import { analyseModel, type AnalysedLayer, type Analysis, type SelectOptions } from './analyse.js';
import { buildFactorisedModel, effectiveStrideMode, maskRanks } from './build.js';
import { macsPerRank, originalMacs, roundHalfEven, type CostModel, type StrideMode } from './cost.js';
import { accuracyCurve, energyCurve, sampleRanks, type LayerCurve } from './metrics.js';
import type { SearchProblem } from './map.js';

/** How the first conv is treated (the reference's `Sel_conv1`): 2 = 'fixed', 1 = 'half', 0 = 'search'. */
export type Conv1Mode = 'fixed' | 'half' | 'search';

/** Top-1 accuracy of a model on the validation data used for ENC's metrics. */
export type Evaluator = (model: tfl.LayersModel) => Promise<number>;

export interface SessionOptions extends SelectOptions {
  conv1?: Conv1Mode;
  strideMode?: StrideMode;
  /**
   * Sample ranks of the validation metric: 'vbmf' (reference: from the EVBMF rank) or 'fixed' (the same
   * rule with the VBMF rank replaced by R_max: R_max/10, ~R_max/6, R_max/4, R_max/2). EVBMF can collapse
   * all samples to round(R_max/10) on briefly trained nets; 'fixed' keeps 4 samples per layer.
   */
  samples?: 'vbmf' | 'fixed';
  log?: (msg: string) => void;
}

export interface EncSession {
  model: tfl.LayersModel;
  analysis: Analysis;
  /** Searched layers, aligned with `problem`. */
  searched: AnalysedLayer[];
  /** Factorised but not searched (conv1 at half rank): name → rank. */
  pinned: Record<string, number>;
  problem: SearchProblem;
  energy: LayerCurve[];
  accuracy?: LayerCurve[];
  strideMode: StrideMode;
  conv1: Conv1Mode;
  /** Validation top-1 with every factorised layer at R_max (the normalisation of A_l). */
  baseline?: number;
  /** Validation passes spent on the layer-wise accuracy metric. */
  metricEvaluations: number;
  metricSeconds: number;
  rmaxModel?: tfl.LayersModel;
  /** Ranks the R_max model currently holds (see `maskRanks`). */
  held: Record<string, number>;
  samples: 'vbmf' | 'fixed';
  log?: (msg: string) => void;
}

export function createSession(model: tfl.LayersModel, opts: SessionOptions = {}): EncSession {
  const strideMode = opts.strideMode ?? 'exact';
  const conv1 = opts.conv1 ?? 'fixed';
  const analysis = analyseModel(model, opts);
  const searched: AnalysedLayer[] = [];
  const pinned: Record<string, number> = {};
  // Complexity = conv MACs (`Sel_comp = 0`, methods.md §3.3), plus every Dense layer's MACs when dense
  // layers are candidates, so that C/C_orig is what countFlops reports for the built model.
  let fixedMacs = analysis.untouchedConvMacs + (analysis.includeDense ? analysis.untouchedDenseMacs : 0);
  const origMacs = analysis.convMacs + (analysis.includeDense ? analysis.denseMacs : 0);
  for (const l of analysis.layers) {
    const c = macsPerRank(l.spec, effectiveStrideMode(l, strideMode));
    if (l.first && conv1 === 'fixed') fixedMacs += originalMacs(l.spec);
    else if (l.first && conv1 === 'half') {
      pinned[l.spec.name] = Math.max(1, roundHalfEven(l.rMax / 2));
      fixedMacs += pinned[l.spec.name] * c;
    } else searched.push(l);
  }
  const cost: CostModel = { c: searched.map((l) => macsPerRank(l.spec, effectiveStrideMode(l, strideMode))), fixedMacs, origMacs };
  const problem: SearchProblem = { names: searched.map((l) => l.spec.name), rMax: searched.map((l) => l.rMax), cost };
  opts.log?.(`ENC: ${analysis.layers.length} layers factorised at R_max in ${analysis.seconds.toFixed(1)} s; ${searched.length} searched; conv1 ${conv1}`);
  return {
    model, analysis, searched, pinned, problem, strideMode, conv1,
    energy: searched.map((l) => energyCurve(l.energy)),
    metricEvaluations: 0, metricSeconds: 0, held: {}, samples: opts.samples ?? 'vbmf', log: opts.log,
  };
}

/** Full rank assignment (searched + pinned) by layer name. */
export function fullRanks(s: EncSession, ranks: ArrayLike<number>): Record<string, number> {
  const out: Record<string, number> = { ...s.pinned };
  s.searched.forEach((l, i) => (out[l.spec.name] = ranks[i]));
  return out;
}

/** The model with every factorised layer at R_max (conv1 per the session's mode), built once. */
export async function rmaxModel(s: EncSession): Promise<tfl.LayersModel> {
  if (!s.rmaxModel) {
    const ranks = fullRanks(s, s.searched.map((l) => l.rMax));
    for (const l of s.analysis.layers) if (ranks[l.spec.name] !== undefined) ranks[l.spec.name] = l.rMax;
    s.rmaxModel = await buildFactorisedModel(s.model, s.analysis.layers, ranks, { strideMode: s.strideMode });
    s.held = { ...ranks };
  }
  return s.rmaxModel;
}

/** Validation accuracy of a rank configuration without fine-tuning (rank-sliced weights). */
export async function accuracyAt(s: EncSession, ranks: Record<string, number>, evaluate: Evaluator): Promise<number> {
  const fm = await rmaxModel(s);
  const layers = s.analysis.layers.filter((l) => s.held[l.spec.name] !== undefined);
  maskRanks(fm, layers, ranks, s.held);
  return evaluate(fm);
}

/**
 * The validation-accuracy layer metric (methods.md §3.2): baseline with every layer at R_max (conv1 as
 * configured), then each searched layer alone at its sample ranks, normalised by the baseline.
 */
export async function measureAccuracyCurves(s: EncSession, evaluate: Evaluator): Promise<LayerCurve[]> {
  if (s.accuracy) return s.accuracy;
  const t0 = performance.now();
  const base = fullRanks(s, s.searched.map((l) => l.rMax));
  s.baseline = await accuracyAt(s, base, evaluate);
  s.metricEvaluations = 1;
  const curves: LayerCurve[] = [];
  for (const l of s.searched) {
    const ranks = sampleRanks(l.rMax, s.samples === 'fixed' ? l.rMax : l.vbmf);
    const values: number[] = [];
    for (const r of ranks) {
      const acc = await accuracyAt(s, { ...base, [l.spec.name]: r }, evaluate);
      values.push(s.baseline > 0 ? acc / s.baseline : 0);
      s.metricEvaluations++;
    }
    curves.push(accuracyCurve({ ranks, values }, l.rMax));
    s.log?.(`  ${l.spec.name}: ranks ${ranks.join(',')} → ${values.map((v) => v.toFixed(3)).join(',')}`);
  }
  maskRanks(await rmaxModel(s), s.analysis.layers.filter((l) => s.held[l.spec.name] !== undefined), base, s.held);
  s.accuracy = curves;
  s.metricSeconds = (performance.now() - t0) / 1000;
  return curves;
}
