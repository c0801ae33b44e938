/**
 * Iterative PQ (methods.md §5.4–§5.5): quantise the model group by group, fine-tuning in between.
 * Each stage k-means-quantises the *current* float kernels of its layers (so they see the fine-tuning
 * of earlier stages), swaps them for PQConv2D/PQDense, then calls `finetune` on the new model, where the
 * centroids of every quantised layer so far (and all remaining float weights) train. A new model object
 * is built per stage, so the caller must build a fresh optimizer each stage (fairseq's
 * `trainer.reinitialize()`).
 * Default order: groups by the first dotted name component in model order (conv1, stage1, stage2, …, fc),
 * i.e. bottom-up like kill-the-bits; fairseq uses an explicit ordered regex list, which `stages` takes.
 */
import { tfl } from '../../engine/tf.js';
import { ConfigError } from '../../core/errors.js';
import { Rng, type RngState } from '../../core/rng.js';
import type { TrainHook } from '../../train/hooks.js';
import { geomOf } from './blocks.js';
import { parsePQConfig, planLayer, type LayerPlan, type PQConfig, type PQConfigInput } from './config.js';
import { quantizableLayers, toPQModel } from './convert.js';
import { isPQLayer } from './layers.js';
import { stripBlockNoise } from './noise-layers.js';
import { quantizeKernel, type QuantizedKernel } from './quantize.js';
import { quantLayerSize, type QuantLayerSize } from './size.js';

export interface StageInfo {
  index: number;
  pattern: string;
  layers: string[];
  stages: number;
}

export interface IPQOptions {
  config?: PQConfigInput | PQConfig;
  /** Ordered regexes; stage i quantises the not-yet-quantised selected layers matching stages[i]. */
  stages?: string[];
  /** Quant-Noise rate for PQ layers during fine-tuning (methods.md §4.3; 0 = off). */
  noiseRate?: number;
  /** Fine-tunes the stage's model in place (e.g. with src/train `train`). Omit to quantise only. */
  finetune?: (model: tfl.LayersModel, stage: StageInfo) => Promise<void>;
  log?: (line: string) => void;
}

export interface QuantizedLayerReport {
  plan: LayerPlan;
  size: QuantLayerSize;
  /** k-means objective (first, last). */
  objective: [number, number];
  relativeError: number;
  emptyClusterError?: string;
}

export interface IPQResult {
  model: tfl.LayersModel;
  layers: QuantizedLayerReport[];
  stages: StageInfo[];
}

/** Default stage patterns: the first name component of each quantisable layer, in model order. */
export function defaultStages(model: tfl.LayersModel): string[] {
  const seen: string[] = [];
  for (const l of quantizableLayers(model)) {
    const head = l.name.split('.')[0];
    if (!seen.includes(head)) seen.push(head);
  }
  return seen.map((h) => `^${h.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\.|$)`);
}

/** Plans for every selected quantisable layer of `model` (throws on a non-divisible block size). */
export function planModel(model: tfl.LayersModel, cfg: PQConfig): LayerPlan[] {
  const out: LayerPlan[] = [];
  for (const l of quantizableLayers(model)) {
    const p = planLayer(cfg, l.name, geomOf(l.shape), l.isDense);
    if (p) out.push(p);
  }
  return out;
}

/** k-means-quantises the named float layers of `model` (nothing is changed in the model). */
export function quantizeLayers(model: tfl.LayersModel, plans: LayerPlan[], cfg: PQConfig): { quantized: Map<string, QuantizedKernel>; reports: QuantizedLayerReport[] } {
  const quantized = new Map<string, QuantizedKernel>();
  const reports: QuantizedLayerReport[] = [];
  for (const plan of plans) {
    const layer = model.getLayer(plan.layer);
    const kernel = layer.getWeights()[0];
    const w = kernel.dataSync() as Float32Array;
    const q = quantizeKernel(w, kernel.shape, {
      blockSize: plan.blockSize, k: plan.k, subspaces: plan.subspaces, iterations: cfg.iterations,
      maxTentatives: cfg.maxTentatives, eps: cfg.eps, rng: Rng.derive(cfg.seed, `pq/${plan.layer}`), layer: plan.layer,
    });
    quantized.set(plan.layer, q);
    let ss = 0;
    for (const v of w) ss += v * v;
    const last = q.objective[q.objective.length - 1];
    reports.push({
      plan,
      size: quantLayerSize(plan.layer, w.length, plan.blockSize, plan.k, { subspaces: plan.subspaces, centroidBytes: cfg.centroidDtype === 'F16' ? 2 : 4 }),
      objective: [q.objective[0], last],
      relativeError: ss === 0 ? last : last / ss,
      emptyClusterError: q.emptyClusterError,
    });
  }
  return { quantized, reports };
}

/** Runs iPQ; returns the final model (all selected layers PQ) and per-layer reports. */
export async function runIPQ(trained: tfl.LayersModel, opts: IPQOptions = {}): Promise<IPQResult> {
  const model = stripBlockNoise(trained); // a model trained with Quant-Noise (pqNoise) → plain Conv2D/Dense
  const cfg = parsePQConfig(opts.config as PQConfigInput);
  const plans = planModel(model, cfg);
  const patterns = opts.stages ?? defaultStages(model);
  const done = new Set<string>();
  const reports: QuantizedLayerReport[] = [];
  const stages: StageInfo[] = [];
  let current = model;
  for (let i = 0; i < patterns.length; i++) {
    let re: RegExp;
    try {
      re = new RegExp(patterns[i]);
    } catch (e) {
      throw new ConfigError(`pq.stages[${i}]`, `invalid regex ${patterns[i]}: ${(e as Error).message}`);
    }
    const todo = plans.filter((p) => !done.has(p.layer) && re.test(p.layer));
    if (todo.length === 0) continue;
    const { quantized, reports: r } = quantizeLayers(current, todo, cfg);
    reports.push(...r);
    const next = await toPQModel(current, quantized, { noiseRate: opts.noiseRate ?? 0, noiseSeed: cfg.seed });
    // Layers quantised in earlier stages are rebuilt too: continue their noise streams, do not replay them.
    for (const l of current.layers.filter(isPQLayer)) {
      const n = next.getLayer(l.name);
      if (isPQLayer(n)) n.setNoiseState(l.noiseState());
    }
    if (current !== trained) current.dispose(); // never the caller's model
    current = next;
    todo.forEach((p) => done.add(p.layer));
    const info: StageInfo = { index: stages.length, pattern: patterns[i], layers: todo.map((p) => p.layer), stages: patterns.length };
    stages.push(info);
    opts.log?.(`stage ${info.index + 1}/${patterns.length} (${patterns[i]}): quantised ${info.layers.join(', ')}`);
    if (opts.finetune) await opts.finetune(current, info);
  }
  const missed = plans.filter((p) => !done.has(p.layer)).map((p) => p.layer);
  if (missed.length) opts.log?.(`warning: no stage matched ${missed.join(', ')}; left in fp32`);
  return { model: current, layers: reports, stages };
}

/** Layers that draw noise from their own RNG stream (PQ layers, block-noise layers). */
export interface NoisyLayer {
  name: string;
  noiseState(): RngState;
  setNoiseState(s: RngState): void;
}

/** A TrainHook named `name` that checkpoints the noise RNG streams of `layers()` (exact resume). */
export function noiseStateHook(name: string, layers: () => NoisyLayer[]): TrainHook {
  return {
    name,
    state: () => ({ json: Object.fromEntries(layers().map((l) => [l.name, l.noiseState()])) }),
    loadState: (s) => {
      const st = (s.json ?? {}) as Record<string, RngState>;
      for (const l of layers()) if (st[l.name]) l.setNoiseState(st[l.name]);
    },
  };
}

/** A TrainHook that checkpoints the PQ layers' noise RNG streams (exact resume of noisy fine-tuning). */
export function pqNoiseHook(model: tfl.LayersModel): TrainHook {
  return noiseStateHook('pq-noise', () => model.layers.filter(isPQLayer));
}
