/**
 * `vgg16`: VGG-16 with BatchNorm for CIFAR — torchvision's `vgg16_bn` feature stack (13 conv3x3 with
 * bias, each followed by BN and ReLU; 2x2 max-pool after each group: 64,64,M,128,128,M,256×3,M,512×3,M,
 * 512×3,M) and a single dense classifier 512 → numClasses.
 *
 * Classifier choice: after five pools a 32x32 input is 1x1x512, so the ImageNet head (two 4096-wide FC
 * layers, 7x7 input) does not apply. ENC (methods.md §3) compresses conv layers only (`Sel_comp = 0`,
 * complexity = conv MACs) and its VGG-16 results are on ImageNet with a pretrained Caffe model, so the
 * head plays no part in the method; we use the common CIFAR head Linear(512, 10) (kuangliu/pytorch-cifar,
 * 14.73 M parameters) that keeps the net conv-dominated, as ENC assumes.
 *
 * Pools use ceil mode, so any input size works (CIFAR's 32x32 is unaffected; tests train on 4x4).
 *
 * Layer names follow the Caffe VGG-16 prototxt that ENC's scripts refer to: conv{g}_{i}, bn{g}_{i},
 * relu{g}_{i} (g = 1..5), pool{g}, flatten, fc. Init: `torchvision-vgg` (init.ts).
 */
import { tfl } from '../engine/tf.js';
import { batchNorm, conv3x3, dense, relu, resolveOptions, type ModelOptions, type Sym } from './common.js';
import { initModel } from './init.js';

/** Filters per conv, grouped; a max-pool follows each group. */
export const VGG16_GROUPS: readonly (readonly number[])[] = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]];

export function createVgg16(opts: ModelOptions = {}): tfl.LayersModel {
  const { inputShape, numClasses, seed } = resolveOptions(opts);
  const input = tfl.input({ shape: inputShape, name: 'input' });
  let x: Sym = input;
  VGG16_GROUPS.forEach((group, g) => {
    group.forEach((filters, i) => {
      const id = `${g + 1}_${i + 1}`;
      x = relu(batchNorm(`bn${id}`).apply(conv3x3(x, `conv${id}`, filters, 1, true)) as Sym, `relu${id}`);
    });
    // 'same' = PyTorch ceil_mode=True: identical for sides divisible by 32, and small inputs still work.
    x = tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: 'same', name: `pool${g + 1}` }).apply(x) as Sym;
  });
  x = tfl.layers.flatten({ name: 'flatten' }).apply(x) as Sym;
  const model = tfl.model({ inputs: input, outputs: dense(x, numClasses, 'fc'), name: 'vgg16' });
  initModel(model, 'torchvision-vgg', seed);
  return model;
}
