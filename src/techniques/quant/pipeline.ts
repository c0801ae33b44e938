/**
 * Quant-Noise / QAT fine-tuning of a float model, end to end: accuracy of the float model, of plain
 * post-training quantisation (the observers' range, no training), after fine-tuning with the noise,
 * and of the exported integer file loaded back into a plain model; sizes before and after.
 * Used by `whittle quant` and by the sweep (sweep.ts). Data comes in as a BatchSource, so this file
 * does not depend on how the CLI or an experiment loads datasets.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tfl } from '../../engine/tf.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { evaluate } from '../../train/evaluate.js';
import { train } from '../../train/loop.js';
import { Sgd } from '../../train/optim/sgd.js';
import type { Batch, BatchSource } from '../../train/types.js';
import { FormatError } from '../../core/errors.js';
import { parseQuantConfig, type QuantConfig, type QuantConfigInput } from './config.js';
import { exportQuantized, loadQuantizedInto, type SizeReport } from './export.js';
import { quantNoiseHook } from './hook.js';
import { quantizeModel, stripQuantization } from './model.js';

export const QUANTIZED_FORMAT = 'whittle-quantized';

export interface QuantRunOptions {
  /** The float model (weights loaded); left unchanged. */
  model: tfl.LayersModel;
  config: QuantConfigInput | QuantConfig;
  train?: BatchSource;
  val?: () => Iterable<Batch>;
  epochs: number;
  /** SGD fine-tuning: lr (default 0.01), momentum (0.9), weight decay (0). */
  lr?: number;
  momentum?: number;
  weightDecay?: number;
  seed?: number;
  /** Directory for checkpoints/, model.json, weights.safetensors and report.json. */
  out?: string;
  /** Stored in model.json (e.g. the source checkpoint's model name and options). */
  meta?: Record<string, unknown>;
  log?: (line: string) => void;
  /** Stop fine-tuning after this many steps (quick runs, tests). */
  maxIterations?: number;
  /** Stop fine-tuning at the next step once aborted (Ctrl-C in an experiment's post step). */
  signal?: AbortSignal;
}

export interface QuantRunReport {
  config: QuantConfig;
  /** Top-1 on the validation batches (undefined without validation data). */
  accuracy: { float?: number; ptq?: number; finetuned?: number; exported?: number };
  size: SizeReport;
  epochs: number;
  iterations: number;
  seconds: number;
  files?: { model: string; weights: string; report: string };
  notes: string[];
}

const top1 = async (m: tfl.LayersModel, val?: () => Iterable<Batch>) => (val ? (await evaluate(m, val())).top1 : undefined);

export async function runQuant(o: QuantRunOptions): Promise<QuantRunReport & { model: tfl.LayersModel }> {
  const t0 = Date.now();
  const log = o.log ?? (() => undefined);
  const cfg = parseQuantConfig(o.config);
  const notes: string[] = [];
  const accuracy: QuantRunReport['accuracy'] = {};
  accuracy.float = await top1(o.model, o.val);
  const qm = quantizeModel(o.model, cfg);
  accuracy.ptq = await top1(qm, o.val);
  log(`int${cfg.bits} ${cfg.observer.kind} p=${cfg.noiseRate}: float ${fmt(accuracy.float)}, post-training quantised ${fmt(accuracy.ptq)}`);
  let iterations = 0;
  if (o.epochs > 0) {
    if (!o.train) throw new FormatError('quant', 'fine-tuning (epochs > 0) needs training data');
    const optimizer = new Sgd({ momentum: o.momentum ?? 0.9, weightDecay: o.weightDecay ?? 0 });
    const r = await train({
      model: qm,
      data: o.train,
      evalData: o.val,
      epochs: o.epochs,
      optimizer,
      lr: o.lr ?? 0.01,
      seed: o.seed ?? 0,
      hooks: [quantNoiseHook(qm)],
      checkpoint: o.out ? { dir: join(o.out, 'checkpoints') } : undefined,
      meta: { ...o.meta, quant: cfg },
      config: { quant: cfg, lr: o.lr, epochs: o.epochs },
      maxIterations: o.maxIterations,
      signal: o.signal,
    }).finally(() => optimizer.dispose()); // its momentum slots: one sweep runs many cells
    iterations = r.iteration;
    accuracy.finetuned = r.final?.top1 ?? (await top1(qm, o.val));
    log(`  fine-tuned ${o.epochs} epoch(s), ${iterations} steps: ${fmt(accuracy.finetuned)}`);
  }
  const { bytes, report: size } = exportQuantized(qm, new Map(), { format: QUANTIZED_FORMAT });
  const plain = stripQuantization(qm);
  loadQuantizedInto(plain, bytes);
  accuracy.exported = await top1(plain, o.val);
  if (cfg.activation) notes.push('activation quantisation is simulated in training/evaluation only; the exported file stores weights, so the exported model runs float activations');
  log(`  exported: ${fmt(accuracy.exported)}, ${size.floatBytes} B float → ${size.fileBytes} B (${size.ratio.toFixed(2)}×)`);
  const report: QuantRunReport = { config: cfg, accuracy, size, epochs: o.epochs, iterations, seconds: (Date.now() - t0) / 1000, notes };
  if (o.out) {
    const files = { model: join(o.out, 'model.json'), weights: join(o.out, 'weights.safetensors'), report: join(o.out, 'report.json') };
    writeFileAtomic(files.weights, bytes);
    writeFileAtomic(files.model, JSON.stringify({ format: QUANTIZED_FORMAT, version: 1, whittle: { ...o.meta, quant: cfg }, modelTopology: plain.toJSON(null, false) }) + '\n');
    report.files = files;
    writeFileAtomic(files.report, JSON.stringify(report, null, 2) + '\n');
  }
  plain.dispose();
  return { ...report, model: qm };
}

/** Loads a `runQuant` output directory as a plain float model holding the dequantised weights. */
export async function loadQuantizedModel(dir: string): Promise<{ model: tfl.LayersModel; meta: Record<string, unknown> }> {
  const modelFile = join(dir, 'model.json');
  const j = JSON.parse(readFileSync(modelFile, 'utf8')) as { format?: string; whittle?: Record<string, unknown>; modelTopology?: unknown };
  if (j.format !== QUANTIZED_FORMAT || !j.modelTopology) throw new FormatError(modelFile, `is not a ${QUANTIZED_FORMAT} model (format ${String(j.format)})`);
  const model = await tfl.models.modelFromJSON({ modelTopology: j.modelTopology as never });
  const wFile = join(dir, 'weights.safetensors');
  const b = readFileSync(wFile);
  loadQuantizedInto(model, new Uint8Array(b.buffer, b.byteOffset, b.byteLength), wFile);
  return { model, meta: j.whittle ?? {} };
}

function fmt(v: number | undefined): string {
  return v === undefined ? 'n/a' : `${(100 * v).toFixed(2)} %`;
}
