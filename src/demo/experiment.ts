/**
 * The demo: a small experiment that trains a ResNet-20 on whatever data is present (CIFAR-10 when its
 * files are found, else the built-in procedural shapes), applies RePr, SFP with real filter removal,
 * stochastic depth, and post-training ENC, Quant-Noise and PQ, then writes the report.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultCifar10Dir } from '../data/paths.js';
import { parseExperiment } from '../experiments/load.js';
import { postStepNames } from '../experiments/post-steps.js';
import type { Experiment } from '../experiments/schema.js';

export interface DemoOptions {
  /** CIFAR-10 folder; default the shared/cached location when it exists, else the shapes set. */
  dataDir?: string;
  /** Force the procedural dataset. */
  shapes?: boolean;
  epochs?: number;
  trainImages?: number;
  valImages?: number;
  backend?: string;
}

export function cifarAvailable(dir: string): boolean {
  return existsSync(join(dir, 'data_batch_1.bin')) && existsSync(join(dir, 'data_batch_5.bin'));
}

export function demoExperiment(o: DemoOptions = {}): { experiment: Experiment; dataName: string } {
  const dir = o.dataDir ?? defaultCifar10Dir();
  const cifar = !o.shapes && cifarAvailable(dir);
  const train = o.trainImages ?? 3000;
  const val = o.valImages ?? 1000;
  const epochs = o.epochs ?? 3;
  const data = cifar
    ? { name: 'cifar10', dir, trainSubset: train, valSubset: val }
    : { name: 'shapes', shapesTrain: train, shapesVal: val };
  const known = new Set(postStepNames());
  const post = (steps: Array<Record<string, unknown>>) => steps.filter((s) => known.has(String(s.step)));
  const experiment = parseExperiment({
    name: 'demo',
    title: 'Whittle demo: train, prune, compress',
    description: `ResNet-20 on ${cifar ? 'CIFAR-10' : 'the procedural shapes set'} (${train} training / ${val} validation images, ${epochs} epochs)`,
    base: {
      model: { name: 'resnet20' },
      data,
      train: { epochs, batchSize: 64, lr: 0.05, optimizer: { type: 'sgd', momentum: 0.9, weightDecay: 0.0005 }, schedule: { type: 'cosine' }, logEvery: 0 },
      ...(o.backend ? { backend: o.backend } : {}),
    },
    budgetNotes: { quick: `${train} / ${val} images, ${epochs} epochs per variant — a smoke-scale run, not a reproduction` },
    variants: [
      {
        name: 'baseline',
        post: post([
          { step: 'measure' }, // the float reference of the accuracy vs size / FLOPs chart
          { step: 'enc', target: 0.5, methods: ['uniform', 'map'], metric: 'pca', finetuneEpochs: 1 },
          { step: 'quant-sweep', bits: [8, 4], rates: [0.1], observers: ['histogram'], finetuneEpochs: 1 },
          { step: 'pq-sweep', ks: [64], blocks: [9], noiseRates: [0], stages: ['.*'], finetuneEpochs: 1 }, // one iPQ stage + one centroid fine-tuning epoch
        ]),
      },
      { name: 'repr', config: { repr: { unit: 'epoch', s1: 1, s2: 1, cycles: 1, scope: 'perLayer', dropFraction: 0.3 } } },
      { name: 'sfp', config: { sfp: { keepRate: 0.7 } }, post: [{ step: 'prune-export', technique: 'SFP + removal' }] },
      { name: 'stochastic-depth', config: { stochasticDepth: { rule: 'linear:0.5', mode: 'batch' } } },
    ],
  }, 'demo');
  return { experiment, dataName: cifar ? 'cifar10' : 'shapes' };
}
