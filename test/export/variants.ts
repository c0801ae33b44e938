/**
 * The models every export test runs: each zoo model, and ResNet-20 after each technique (pruned, ENC
 * low-rank, PQ, 8-bit QAT, Quant-Noise block noise, stochastic depth). Batch-norm statistics are
 * perturbed so BN folding and running statistics really matter.
 */
import { tf, tfl } from '../../src/engine/tf.js';
import { createModel } from '../../src/models/registry.js';
import { SfpHook } from '../../src/techniques/sfp/hook.js';
import { planRemoval } from '../../src/techniques/prune-export/plan.js';
import { applyChannelMask, exportPrunedWithWeights } from '../../src/techniques/prune-export/export.js';
import { analyseModel } from '../../src/techniques/enc/analyse.js';
import { buildFactorisedModel } from '../../src/techniques/enc/build.js';
import { quantizeKernel } from '../../src/techniques/pq/quantize.js';
import { quantizableLayers, toPQModel } from '../../src/techniques/pq/convert.js';
import { withBlockNoise } from '../../src/techniques/pq/noise-layers.js';
import { quantizeModel } from '../../src/techniques/quant/model.js';
import { createStochasticDepthResNet } from '../../src/techniques/stochastic-depth/model.js';

export interface Variant {
  name: string;
  inputShape: [number, number, number];
  build: () => Promise<tfl.LayersModel>;
}

const SMALL: [number, number, number] = [16, 16, 3];

export function perturbBatchNorm(model: tfl.LayersModel): tfl.LayersModel {
  tf.tidy(() => {
    model.layers.forEach((l, i) => {
      if (l.getClassName() !== 'BatchNormalization') return;
      const [g, b, m, v] = l.getWeights();
      const c = g.shape[0];
      const wave = (a: number, o: number) => tf.add(tf.mul(tf.sin(tf.add(tf.range(0, c), i + o)), a), 0);
      l.setWeights([tf.add(g, wave(0.3, 1)), tf.add(b, wave(0.1, 2)), tf.add(m, wave(0.05, 3)), tf.add(v, tf.abs(wave(0.5, 4)))]);
    });
  });
  return model;
}

function resnet20(seed = 3): tfl.LayersModel {
  return perturbBatchNorm(createModel('resnet20', { inputShape: SMALL, seed }));
}

async function pruned(): Promise<tfl.LayersModel> {
  const model = resnet20();
  new SfpHook({ keepRate: 0.6 }).mask({ model, log: () => {} }, 'test', 0);
  const plan = planRemoval(model);
  applyChannelMask(model, plan);
  return exportPrunedWithWeights(model, plan);
}

async function lowRank(): Promise<tfl.LayersModel> {
  const model = resnet20();
  const a = analyseModel(model, { includeDense: true });
  const ranks = Object.fromEntries(a.layers.map((l) => [l.spec.name, Math.max(1, Math.floor(l.rMax / 2))]));
  return buildFactorisedModel(model, a.layers, ranks);
}

async function productQuantised(): Promise<tfl.LayersModel> {
  const model = resnet20();
  const q = new Map(quantizableLayers(model).filter((l) => l.name !== 'conv1').map((l) => {
    const w = l.layer.getWeights()[0].dataSync() as Float32Array;
    return [l.name, quantizeKernel(w, l.shape, { blockSize: l.isDense ? 4 : 9, k: 8, subspaces: 1, seed: 1 })] as const;
  }));
  return toPQModel(model, q);
}

export const ZOO_VARIANTS: Variant[] = [
  ...(['vanilla', 'resnet20', 'resnet32', 'resnet56', 'resnet110'] as const).map((name) => ({
    name, inputShape: SMALL, build: async () => perturbBatchNorm(createModel(name, { inputShape: SMALL, seed: 1 })),
  })),
  { name: 'vgg16', inputShape: [32, 32, 3], build: async () => perturbBatchNorm(createModel('vgg16', { seed: 1 })) },
];

export const TECHNIQUE_VARIANTS: Variant[] = [
  { name: 'resnet20+prune', inputShape: SMALL, build: pruned },
  { name: 'resnet20+enc', inputShape: SMALL, build: lowRank },
  { name: 'resnet20+pq', inputShape: SMALL, build: productQuantised },
  { name: 'resnet20+qat8', inputShape: SMALL, build: async () => quantizeModel(resnet20(), { bits: 8, observer: { kind: 'minmax' } }) },
  { name: 'resnet20+qat4-per-channel', inputShape: SMALL, build: async () => quantizeModel(resnet20(), { bits: 4, perChannel: true, observer: { kind: 'minmax' } }) },
  {
    name: 'resnet20+block-noise', inputShape: SMALL,
    build: async () => {
      const m = resnet20();
      const sizes = new Map(quantizableLayers(m).map((l) => [l.name, l.isDense ? 4 : 9]));
      return withBlockNoise(m, sizes, 0.2, 1);
    },
  },
  {
    name: 'resnet20+stochastic-depth', inputShape: SMALL,
    build: async () => perturbBatchNorm(createStochasticDepthResNet('resnet20', { inputShape: SMALL, seed: 2 }, { rule: { rule: 'linear', pL: 0.5 } })),
  },
];
