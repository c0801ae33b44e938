/**
 * The model zoo by name. `createModel` returns a functional `tfl.LayersModel` whose output is logits,
 * initialised from `opts.seed` with the scheme of the model's reference code (see init.ts), and tags the
 * model's user-defined metadata with `{ whittle: { model, init, seed, inputShape, numClasses } }`.
 */
import { tfl } from '../engine/tf.js';
import { WhittleError } from '../core/errors.js';
import { resolveOptions, type ModelOptions } from './common.js';
import type { InitScheme } from './init.js';
import { createResNetCifar } from './resnet-cifar.js';
import { createVanilla } from './vanilla.js';
import { createVgg16 } from './vgg.js';

export type { ModelOptions } from './common.js';

export interface ModelEntry {
  description: string;
  init: InitScheme;
  build: (opts: ModelOptions) => tfl.LayersModel;
}

const MODELS: Record<string, ModelEntry> = {
  vanilla: { description: 'RePr vanilla CNN: 3 conv3x3(32) + ReLU, no BN/pooling, dense', init: 'pytorch-default', build: createVanilla },
  resnet20: { description: 'CIFAR ResNet-20, option-A shortcuts (0.27 M params)', init: 'sfp-resnet', build: (o) => createResNetCifar(20, o) },
  resnet32: { description: 'CIFAR ResNet-32, option-A shortcuts (0.46 M params)', init: 'sfp-resnet', build: (o) => createResNetCifar(32, o) },
  resnet56: { description: 'CIFAR ResNet-56, option-A shortcuts (0.85 M params)', init: 'sfp-resnet', build: (o) => createResNetCifar(56, o) },
  resnet110: { description: 'CIFAR ResNet-110, option-A shortcuts (1.7 M params)', init: 'sfp-resnet', build: (o) => createResNetCifar(110, o) },
  vgg16: { description: 'VGG-16 with BN for CIFAR, classifier 512 → classes (14.7 M params)', init: 'torchvision-vgg', build: createVgg16 },
};

export class UnknownModelError extends WhittleError {
  constructor(readonly model: string) {
    super(`unknown model "${model}" (valid models: ${listModels().join(', ')})`);
    this.name = 'UnknownModelError';
  }
}

/** Names accepted by `createModel`, in registry order. */
export function listModels(): string[] {
  return Object.keys(MODELS);
}

export function modelEntry(name: string): ModelEntry {
  const e = Object.prototype.hasOwnProperty.call(MODELS, name) ? MODELS[name] : undefined;
  if (!e) throw new UnknownModelError(name);
  return e;
}

/**
 * Builds a zoo model.
 * @example const m = createModel('resnet56', { seed: 1 }); // input [B,32,32,3] → logits [B,10]
 */
export function createModel(name: string, opts: ModelOptions = {}): tfl.LayersModel {
  const entry = modelEntry(name);
  const resolved = resolveOptions(opts);
  const model = entry.build(resolved);
  model.setUserDefinedMetadata({ whittle: { model: name, init: entry.init, ...resolved } });
  return model;
}
