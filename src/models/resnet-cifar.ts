/**
 * CIFAR ResNets (He et al. 2016, §4.2) as he-y/soft-filter-pruning models/resnet.py builds them
 * (methods.md §2.2): conv3x3(16)-BN-ReLU stem, three stages of n = (depth−2)/6 BasicBlocks with 16/32/64
 * filters (first block of stages 2 and 3 has stride 2), block = conv3x3-BN-ReLU-conv3x3-BN, shortcut =
 * identity or option A (`ShortcutA`: subsample + zero channels, no parameters), ReLU after the add,
 * global average pool, dense to logits. Convs have no bias. Init: `sfp-resnet` (init.ts).
 *
 * Layer names (what technique configs select by pattern):
 *   conv1, bn1, relu1,
 *   stage{s}.block{b}.conv1 (+ `.conv1_pad` before a stride-2 conv), .bn1, .relu1, .conv2, .bn2,
 *   stage{s}.block{b}.shortcut (option A only), .add (inputs: [shortcut or block input, branch]), .relu,
 *   pool, fc.       s = 1..3, b = 0..n−1.
 *
 * Residual structure: `describeResidualBlocks(model)` (residual.ts) recovers every block — its branch
 * layers, shortcut, add and the channels tied through the additions — from these names and the graph,
 * so it also works on a model loaded from disk. Stochastic depth can pass `wrapBranch` here to insert
 * its gate between the branch output and the add (name the inserted layers `${block}.<something>`).
 */
import { tfl } from '../engine/tf.js';
import { batchNorm, conv3x3, dense, relu, resolveOptions, type ModelOptions, type Sym } from './common.js';
import { initModel } from './init.js';
import { ShortcutA } from './layers.js';

export const RESNET_CIFAR_DEPTHS = [20, 32, 56, 110] as const;
export type ResNetCifarDepth = (typeof RESNET_CIFAR_DEPTHS)[number];

/** What a `wrapBranch` callback learns about the block whose branch output it receives. */
export interface BranchContext {
  /** `stage{s}.block{b}` — prefix for the names of any layers the callback creates. */
  block: string;
  stage: number;
  blockIndex: number;
  /** 0-based position among all blocks of the network, and the block count (for depth-dependent rules). */
  globalIndex: number;
  numBlocks: number;
}

export interface ResNetCifarOptions extends ModelOptions {
  /** Returns the tensor that is added to the shortcut in place of the branch output `branch`. */
  wrapBranch?: (branch: Sym, ctx: BranchContext) => Sym;
}

function basicBlock(x: Sym, ctx: BranchContext, inC: number, outC: number, stride: number, wrap: ResNetCifarOptions['wrapBranch']): Sym {
  const p = ctx.block;
  let y = relu(batchNorm(`${p}.bn1`).apply(conv3x3(x, `${p}.conv1`, outC, stride, false)) as Sym, `${p}.relu1`);
  y = batchNorm(`${p}.bn2`).apply(conv3x3(y, `${p}.conv2`, outC, 1, false)) as Sym;
  if (wrap) y = wrap(y, ctx);
  const shortcut = stride !== 1 || inC !== outC ? (new ShortcutA({ outChannels: outC, stride, name: `${p}.shortcut` }).apply(x) as Sym) : x;
  const sum = tfl.layers.add({ name: `${p}.add` }).apply([shortcut, y]) as Sym;
  return relu(sum, `${p}.relu`);
}

/** Builds resnet{depth}; depth must be 6n+2 (20, 32, 56, 110 are the published ones). */
export function createResNetCifar(depth: number, opts: ResNetCifarOptions = {}): tfl.LayersModel {
  if (!Number.isInteger(depth) || depth < 8 || (depth - 2) % 6 !== 0) {
    throw new Error(`resnet depth must be 6n+2 (e.g. ${RESNET_CIFAR_DEPTHS.join(', ')}), got ${depth}`);
  }
  const { inputShape, numClasses, seed } = resolveOptions(opts);
  const n = (depth - 2) / 6;
  const input = tfl.input({ shape: inputShape, name: 'input' });
  let x = relu(batchNorm('bn1').apply(conv3x3(input, 'conv1', 16, 1, false)) as Sym, 'relu1');
  let inC = 16;
  let globalIndex = 0;
  [16, 32, 64].forEach((outC, s) => {
    for (let b = 0; b < n; b++) {
      const stride = s > 0 && b === 0 ? 2 : 1;
      const ctx: BranchContext = { block: `stage${s + 1}.block${b}`, stage: s + 1, blockIndex: b, globalIndex, numBlocks: 3 * n };
      x = basicBlock(x, ctx, inC, outC, stride, opts.wrapBranch);
      inC = outC;
      globalIndex++;
    }
  });
  x = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as Sym;
  const model = tfl.model({ inputs: input, outputs: dense(x, numClasses, 'fc'), name: `resnet${depth}` });
  initModel(model, 'sfp-resnet', seed);
  return model;
}

export { describeResidualBlocks, residualStreams, type ResidualBlockInfo, type ResidualStream } from './residual.js';
