/**
 * Post-training steps of an experiment variant (prune export, ENC, quantisation, PQ, ...), by name.
 * A step gets the trained checkpoint, the run's data and helpers to evaluate and fine-tune, and returns
 * a summary row (and optionally a table and chart points) that the report shows.
 */
import { tfl } from '../engine/tf.js';
import type { Budget, PostStep } from './schema.js';
import type { PlannedRun } from './plan.js';
import type { LoadedDataset } from '../data/index.js';
import type { Batch, BatchSource, EvalMetrics, LogEvent } from '../train/index.js';
import type { Row } from '../report/charts.js';

export interface FinetuneOptions {
  epochs: number;
  /** Default: a tenth of the run's learning rate, constant. */
  lr?: number;
  hooks?: import('../train/hooks.js').TrainHook[];
  forward?: import('../train/loop.js').TrainOptions['forward'];
}

export interface PostStepContext {
  run: PlannedRun;
  budget: Budget;
  /** The trained checkpoint directory. */
  checkpoint: string;
  /** Directory for this step's outputs (exported models, logs). */
  dir: string;
  data: LoadedDataset;
  /** Training batches (the run's augmentation and normalisation) and validation batches. */
  trainSource: BatchSource;
  valBatches: () => Iterable<Batch>;
  /** A fresh copy of the trained model. */
  loadModel(): Promise<tfl.LayersModel>;
  evaluate(model: tfl.LayersModel): Promise<EvalMetrics>;
  finetune(model: tfl.LayersModel, opts: FinetuneOptions): Promise<EvalMetrics | undefined>;
  log(e: LogEvent): void;
  info(line: string): void;
  /**
   * Aborted on Ctrl-C: `finetune` then stops at the next step, and a step with a loop (a sweep's cells)
   * should return early. A step that returns after the abort is not recorded; it reruns on resume.
   */
  signal?: AbortSignal;
}

/**
 * One compressed (or float) model for the cross-technique accuracy vs size / FLOPs chart. `bytes` is the
 * stored size: the exported file for quantised / PQ models, 4 bytes per weight (BN statistics included)
 * for models stored as float32; `flops` are conv + dense multiply-accumulates (models/stats.ts).
 */
export interface TradeoffPoint {
  /** 'float' marks the uncompressed reference (drawn as a line). */
  technique: string;
  setting: string;
  /** Validation top-1 in percent. */
  top1: number | null;
  bytes: number;
  flops: number;
}

export interface PostStepResult {
  /** One row for the experiment's results table (numbers, strings; accuracies in percent). */
  summary: Record<string, number | string | null>;
  /** Detail table (e.g. per-layer ranks, a sweep's cells). */
  table?: { title: string; columns: string[]; rows: Array<Array<string | number | null>> };
  /** Chart points (e.g. accuracy vs size) with the fields named in `chart`. */
  points?: Row[];
  chart?: { kind: 'scatter' | 'bar'; title: string; x: string; y: string; series?: string; label?: string; logX?: boolean };
  /** Points for the report's accuracy vs size / FLOPs chart across techniques. */
  tradeoff?: TradeoffPoint[];
}

export type PostStepFn = (step: PostStep, ctx: PostStepContext) => Promise<PostStepResult>;

const registry = new Map<string, PostStepFn>();

export function registerPostStep(name: string, fn: PostStepFn): void {
  registry.set(name, fn);
}

export function postStep(name: string): PostStepFn {
  const f = registry.get(name);
  if (!f) throw new Error(`unknown post step "${name}" (known: ${[...registry.keys()].sort().join(', ') || 'none'})`);
  return f;
}

export function postStepNames(): string[] {
  return [...registry.keys()].sort();
}

/** A post-step parameter that may differ per budget: `5` or `{ quick: 1, full: 10 }`. */
export function budgetValue<T>(v: unknown, budget: Budget, fallback: T): T {
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'object' && !Array.isArray(v) && (budget in (v as object))) return (v as Record<string, T>)[budget];
  return v as T;
}
