/**
 * `whittle export --format onnx`: the stock-layer form of a model (stock-model.ts) as an ONNX graph,
 * opset 13, written with onnx-proto. The graph's input keeps the tfjs layout (NHWC float32, named
 * "input") and its output is "output", so the same arrays go into onnxruntime and tfjs. Quantised
 * (int8/QAT) kernels are stored as uint8 codes + DequantizeLinear with the learned scale and zero point.
 */
import { tfl } from '../../engine/tf.js';
import { WhittleError } from '../../core/errors.js';
import { kernelCodes } from '../kernel-codes.js';
import { toStockModel } from '../stock-model.js';
import { OnnxGraph, OPSET } from './graph.js';
import { CONVERTERS, toNchw, toNhwc } from './ops.js';
import type { Shape } from './layout.js';

export { OPSET } from './graph.js';

export interface OnnxExport {
  bytes: Uint8Array;
  opset: number;
  /** Layers whose kernels are stored as uint8 codes + DequantizeLinear. */
  quantizedKernels: string[];
}

export async function toOnnx(model: tfl.LayersModel): Promise<OnnxExport> {
  const codes = kernelCodes(model);
  const stock = await toStockModel(model);
  try {
    const g = new OnnxGraph();
    const values = new Map<string, { name: string; shape: Shape }>();
    const inputShapes = new Map(stock.inputs.map((t) => [t.sourceLayer.name, t.shape as Shape]));
    for (const layer of stock.layers) {
      const cls = layer.getClassName();
      if (cls === 'InputLayer') {
        const shape = inputShapes.get(layer.name)!;
        const x = g.input(values.size === 0 ? 'input' : `input_${values.size}`, shape);
        values.set(layer.name, { name: toNchw(g, x, shape.length, layer.name), shape });
        continue;
      }
      const convert = CONVERTERS[cls];
      if (!convert) throw new WhittleError(`ONNX export: layer "${layer.name}" (${cls}) has no ONNX converter (supported: ${Object.keys(CONVERTERS).join(', ')})`);
      const inputs = layer.inboundNodes[0].inboundLayers.map((il) => values.get(il.name)!);
      const weights = layer.getWeights().map((w) => ({ data: w.dataSync() as Float32Array, shape: w.shape as number[] }));
      const name = convert({ g, name: layer.name, className: cls, config: layer.getConfig() as Record<string, unknown>, inputs, outputShape: layer.outputShape as Shape, weights, kernelCodes: codes.get(layer.name) });
      values.set(layer.name, { name, shape: layer.outputShape as Shape });
    }
    stock.outputs.forEach((t, i) => {
      const v = values.get(t.sourceLayer.name)!;
      const out = g.node('Identity', [toNhwc(g, v.name, v.shape.length, 'output')], stock.outputs.length === 1 ? 'output' : `output_${i}`);
      g.output(out, v.shape);
    });
    return { bytes: g.encode(model.name, 'exported by Whittle from a TF.js Layers model'), opset: OPSET, quantizedKernels: [...codes.keys()] };
  } finally {
    stock.dispose();
  }
}
