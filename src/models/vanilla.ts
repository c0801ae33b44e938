/**
 * `vanilla`: the RePr paper's small net (methods.md §1.5, siahuat0727/RePr models/vanilla.py):
 * three conv3x3 layers of 32 filters (stride 1, padding 1, with bias) each followed by ReLU, no BN, no
 * pooling, then flatten (32·32·32 = 32768 features for CIFAR) and one dense layer to the logits.
 * Layers: input, conv1, relu1, conv2, relu2, conv3, relu3, flatten, fc. Init: `pytorch-default`.
 * Flatten is NHWC (h, w, c order) where PyTorch's is (c, h, w): importing a PyTorch `fc.weight` needs
 * its columns permuted accordingly.
 */
import { tfl } from '../engine/tf.js';
import { conv3x3, dense, relu, resolveOptions, type ModelOptions, type Sym } from './common.js';
import { initModel } from './init.js';

export function createVanilla(opts: ModelOptions = {}): tfl.LayersModel {
  const { inputShape, numClasses, seed } = resolveOptions(opts);
  const input = tfl.input({ shape: inputShape, name: 'input' });
  let x: Sym = input;
  for (let i = 1; i <= 3; i++) x = relu(conv3x3(x, `conv${i}`, 32, 1, true), `relu${i}`);
  x = tfl.layers.flatten({ name: 'flatten' }).apply(x) as Sym;
  const model = tfl.model({ inputs: input, outputs: dense(x, numClasses, 'fc'), name: 'vanilla' });
  initModel(model, 'pytorch-default', seed);
  return model;
}
