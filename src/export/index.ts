/**
 * `whittle export`: any Whittle model (zoo, pruned, factorised, quantised, PQ, gated) as files other
 * runtimes load. `--format tfjs` → stock TF.js Layers model (tfjs.ts); `--format onnx` → model.onnx
 * (onnx/index.ts).
 */
import { join } from 'node:path';
import { tfl } from '../engine/tf.js';
import { writeFileAtomic } from '../io/atomic.js';
import { toOnnx } from './onnx/index.js';
import { kernelCodes } from './kernel-codes.js';
import { toStockModel } from './stock-model.js';
import { writeTfjsModel, type TfjsWriteReport } from './tfjs.js';
import { learnedUint8, type EncodedWeight, type ManifestQuantization } from './tfjs-quantize.js';

export { toStockModel, assertStock, isStockClass, shortcutKernel } from './stock-model.js';
export { writeTfjsModel, SHARD_BYTES, type TfjsWriteReport, type TfjsWriteOptions } from './tfjs.js';
export { quantizeAffine, quantizeFloat16, toFloat16Bits, type ManifestQuantization } from './tfjs-quantize.js';

export { toOnnx, OPSET, type OnnxExport } from './onnx/index.js';

export const EXPORT_FORMATS = ['tfjs', 'onnx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface TfjsExportReport extends TfjsWriteReport {
  /** Kernels written with their own int8/QAT codes and scale instead of the generic quantisation. */
  learnedScales: string[];
}

/**
 * The per-tensor quantised kernels (b ≤ 8 bits) of a QAT/int8 model as uint8 manifest entries with the
 * layer's own scale and zero point: decoding gives exactly the codes the model evaluates with.
 * Per-channel layers have no per-tensor form in the manifest and take the generic quantisation.
 */
export function learnedKernelCodes(model: tfl.LayersModel): Map<string, EncodedWeight> {
  const out = new Map<string, EncodedWeight>();
  for (const [layer, k] of kernelCodes(model)) if (!k.perChannel) out.set(`${layer}/kernel`, learnedUint8(k.codes, k.scale[0], k.zeroPoint[0]));
  return out;
}

/** Writes `model` as a stock TF.js Layers model into `dir`. The model is not modified. */
export async function exportTfjs(model: tfl.LayersModel, dir: string, opts: { quantize?: ManifestQuantization } = {}): Promise<TfjsExportReport> {
  const stock = await toStockModel(model);
  try {
    const encoded = opts.quantize ? learnedKernelCodes(model) : new Map<string, EncodedWeight>();
    const report = await writeTfjsModel(stock, dir, { quantize: opts.quantize, encoded });
    return { ...report, learnedScales: [...encoded.keys()] };
  } finally {
    stock.dispose();
  }
}

/** Writes `model` as `<dir>/model.onnx`. The model is not modified. */
export async function exportOnnx(model: tfl.LayersModel, dir: string): Promise<{ file: string; bytes: number; opset: number; quantizedKernels: string[] }> {
  const r = await toOnnx(model);
  const file = join(dir, 'model.onnx');
  writeFileAtomic(file, r.bytes);
  return { file, bytes: r.bytes.length, opset: r.opset, quantizedKernels: r.quantizedKernels };
}
