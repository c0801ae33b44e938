/**
 * Generator of the two bring-your-own test graphs, built with stock tfjs-layers only and seeded weights:
 * - a MobileNetV2-style net: Rescaling, ZeroPadding2D + strided valid Conv2D, BN, ReLU6 (ReLU max_value 6
 *   and Activation relu6), inverted residual blocks (1×1 expand, DepthwiseConv2D, 1×1 project, Add), a
 *   squeeze-excite Multiply (GAP → Reshape → 1×1 convs → sigmoid), GAP, Dropout, Dense;
 * - an Inception-style net: branches joined by Concatenate (1×1; 1×1 → 3×3; 3×3 max-pool → 1×1;
 *   'same' average pool → 1×1), SeparableConv2D, MaxPooling2D, Flatten, Dense.
 * `saveLikeTfjs` writes a model as tfjs `model.save('file://dir')` does (model.json + weights.bin).
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tf, tfl } from '../../src/engine/tf.js';
import { Rng } from '../../src/core/rng.js';

type Sym = tfl.SymbolicTensor;
const L = tfl.layers;

function bnRelu6(x: Sym, name: string, viaActivation = false): Sym {
  const y = L.batchNormalization({ name: `${name}_bn`, epsilon: 1e-3 }).apply(x) as Sym;
  return (viaActivation ? L.activation({ activation: 'relu6', name: `${name}_relu6` }) : L.reLU({ maxValue: 6, name: `${name}_relu6` })).apply(y) as Sym;
}

function invertedResidual(x: Sym, name: string, cin: number, cout: number, stride: number, expand: number): Sym {
  let y = L.conv2d({ filters: cin * expand, kernelSize: 1, useBias: false, name: `${name}_expand` }).apply(x) as Sym;
  y = bnRelu6(y, `${name}_expand`);
  y = L.depthwiseConv2d({ kernelSize: 3, strides: stride, padding: 'same', useBias: false, name: `${name}_depthwise` }).apply(y) as Sym;
  y = bnRelu6(y, `${name}_depthwise`, true);
  y = L.conv2d({ filters: cout, kernelSize: 1, useBias: false, name: `${name}_project` }).apply(y) as Sym;
  y = L.batchNormalization({ name: `${name}_project_bn`, epsilon: 1e-3 }).apply(y) as Sym;
  return stride === 1 && cin === cout ? (L.add({ name: `${name}_add` }).apply([x, y]) as Sym) : y;
}

export function mobileNetV2Style(): tfl.LayersModel {
  const input = tfl.input({ shape: [16, 16, 3], name: 'image' });
  let x = L.rescaling({ scale: 1 / 127.5, offset: -1, name: 'rescale' }).apply(input) as Sym;
  x = L.zeroPadding2d({ padding: [[0, 1], [0, 1]], name: 'stem_pad' }).apply(x) as Sym;
  x = L.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'valid', useBias: false, name: 'stem_conv' }).apply(x) as Sym;
  x = bnRelu6(x, 'stem');
  x = invertedResidual(x, 'block1', 8, 8, 1, 2);
  x = invertedResidual(x, 'block2', 8, 12, 2, 3);
  x = invertedResidual(x, 'block3', 12, 12, 1, 3);
  const se = L.globalAveragePooling2d({ name: 'se_pool' }).apply(x) as Sym;
  let s = L.reshape({ targetShape: [1, 1, 12], name: 'se_reshape' }).apply(se) as Sym;
  s = L.conv2d({ filters: 4, kernelSize: 1, activation: 'relu', name: 'se_reduce' }).apply(s) as Sym;
  s = L.conv2d({ filters: 12, kernelSize: 1, activation: 'sigmoid', name: 'se_expand' }).apply(s) as Sym;
  x = L.multiply({ name: 'se_scale' }).apply([x, s]) as Sym;
  x = L.conv2d({ filters: 16, kernelSize: 1, useBias: false, name: 'head_conv' }).apply(x) as Sym;
  x = bnRelu6(x, 'head');
  x = L.globalAveragePooling2d({ name: 'pool' }).apply(x) as Sym;
  x = L.dropout({ rate: 0.2, name: 'dropout' }).apply(x) as Sym;
  const out = L.dense({ units: 5, name: 'logits' }).apply(x) as Sym;
  return seeded(tfl.model({ inputs: input, outputs: out, name: 'mobilenetv2_style' }), 1);
}

function convBnRelu(x: Sym, filters: number, k: number, name: string): Sym {
  const y = L.conv2d({ filters, kernelSize: k, padding: 'same', useBias: false, name }).apply(x) as Sym;
  const b = L.batchNormalization({ name: `${name}_bn`, scale: false, epsilon: 1e-3 }).apply(y) as Sym;
  return L.activation({ activation: 'relu', name: `${name}_relu` }).apply(b) as Sym;
}

function inceptionBlock(x: Sym, name: string, f: number): Sym {
  const b1 = convBnRelu(x, f, 1, `${name}_b1`);
  const b2 = convBnRelu(convBnRelu(x, f, 1, `${name}_b2a`), f + 2, 3, `${name}_b2b`);
  const p3 = L.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same', name: `${name}_b3pool` }).apply(x) as Sym;
  const b3 = convBnRelu(p3, f, 1, `${name}_b3`);
  const p4 = L.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same', name: `${name}_b4pool` }).apply(x) as Sym;
  const b4 = convBnRelu(p4, f - 1, 1, `${name}_b4`);
  return L.concatenate({ axis: -1, name: `${name}_concat` }).apply([b1, b2, b3, b4]) as Sym;
}

export function inceptionStyle(): tfl.LayersModel {
  const input = tfl.input({ shape: [12, 12, 3], name: 'image' });
  let x = convBnRelu(input, 8, 3, 'stem');
  x = inceptionBlock(x, 'mixed1', 4);
  x = L.maxPooling2d({ poolSize: 2, name: 'pool1' }).apply(x) as Sym;
  x = inceptionBlock(x, 'mixed2', 6);
  x = L.separableConv2d({ filters: 10, kernelSize: 3, padding: 'same', activation: 'relu', name: 'sep' }).apply(x) as Sym;
  x = L.averagePooling2d({ poolSize: 2, name: 'pool2' }).apply(x) as Sym;
  x = L.flatten({ name: 'flatten' }).apply(x) as Sym;
  const out = L.dense({ units: 4, name: 'logits' }).apply(x) as Sym;
  return seeded(tfl.model({ inputs: input, outputs: out, name: 'inception_style' }), 2);
}

/** Fills every weight from a seeded normal draw (BN variances positive, around 1). */
function seeded(model: tfl.LayersModel, seed: number): tfl.LayersModel {
  const rng = new Rng(seed);
  for (const layer of model.layers) {
    const values = layer.weights.map((w) => {
      const shape = w.shape as number[];
      const n = shape.reduce((a, b) => a * b, 1);
      const d = rng.fillNormal(new Float32Array(n), 0, w.originalName.endsWith('kernel') ? 0.4 : 0.2);
      if (w.originalName.endsWith('moving_variance')) for (let i = 0; i < n; i++) d[i] = 0.5 + Math.abs(d[i]);
      if (w.originalName.endsWith('gamma')) for (let i = 0; i < n; i++) d[i] += 1;
      return tf.tensor(d, shape);
    });
    if (values.length) layer.setWeights(values);
    tf.dispose(values);
  }
  return model;
}

/** What tfjs `model.save('file://dir')` writes: model.json (topology + weightsManifest) and weights.bin. */
export async function saveLikeTfjs(model: tfl.LayersModel, dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (a) => {
    const data = new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData!));
    writeFileSync(join(dir, 'weights.bin'), data);
    const json = { modelTopology: a.modelTopology, format: a.format, generatedBy: a.generatedBy, convertedBy: a.convertedBy, weightsManifest: [{ paths: ['./weights.bin'], weights: a.weightSpecs }] };
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return join(dir, 'model.json');
}
