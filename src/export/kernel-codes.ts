/**
 * The learned integer codes of a QAT/int8 model's kernels (as the model evaluates them), shared by the
 * tfjs manifest (per-tensor uint8 entries) and ONNX (uint8 + DequantizeLinear) exports.
 */
import type { tfl } from '../engine/tf.js';
import { quantLayers } from '../techniques/quant/model.js';
import { quantizeCodes } from '../techniques/quant/quantizer.js';

export interface KernelCodes {
  /** Codes in the kernel's own order (HWIO / [in, out]). */
  codes: Uint8Array;
  scale: Float32Array;
  zeroPoint: Float32Array;
  /** Per output channel (true) or per tensor. */
  perChannel: boolean;
}

/** By layer name. */
export function kernelCodes(model: tfl.LayersModel): Map<string, KernelCodes> {
  const out = new Map<string, KernelCodes>();
  for (const l of quantLayers(model)) {
    const k = l.floatKernel();
    const data = k.dataSync() as Float32Array;
    const qp = l.quantizer().ensureWeights(() => data);
    out.set(l.name, { codes: quantizeCodes(data, k.shape, qp), scale: qp.scale, zeroPoint: qp.zeroPoint, perChannel: qp.axis !== null });
  }
  return out;
}
