/**
 * Shared pieces of the zoo's builders: options, PyTorch-semantics BatchNorm, conv helpers.
 * Builders create layers with zero initialisers (no unseeded tfjs randomness, no wasted draws);
 * `initModel` (init.ts) then fills every weight from the seed.
 */
import { tfl } from '../engine/tf.js';

export interface ModelOptions {
  /** [height, width, channels]; default [32, 32, 3] (CIFAR). */
  inputShape?: [number, number, number];
  numClasses?: number;
  /** Initialisation seed; default 0. */
  seed?: number;
}

export type Sym = tfl.SymbolicTensor;

export const DEFAULT_INPUT_SHAPE: [number, number, number] = [32, 32, 3];

export function resolveOptions(opts: ModelOptions = {}): Required<ModelOptions> {
  const inputShape = opts.inputShape ?? DEFAULT_INPUT_SHAPE;
  if (inputShape.length !== 3 || inputShape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new Error(`model option inputShape must be [h, w, c] positive integers, got ${JSON.stringify(inputShape)}`);
  }
  const numClasses = opts.numClasses ?? 10;
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`model option numClasses must be a positive integer, got ${numClasses}`);
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed)) throw new Error(`model option seed must be an integer, got ${seed}`);
  return { inputShape: [...inputShape] as [number, number, number], numClasses, seed };
}

/**
 * BatchNorm with PyTorch's defaults: momentum 0.1 (tfjs 0.9) and epsilon 1e-5. Known difference: tfjs
 * folds the biased batch variance into the moving variance, PyTorch the unbiased one (×n/(n−1), n =
 * batch·H·W ≥ 2048 at CIFAR batch sizes ⇒ < 0.05 % on the running variance; training outputs identical).
 */
export function batchNorm(name: string): tfl.layers.Layer {
  return tfl.layers.batchNormalization({ axis: -1, momentum: 0.9, epsilon: 1e-5, name });
}

/**
 * 3x3 conv with PyTorch's `padding=1`. Stride 1 uses 'same' (identical). Stride 2 gets an explicit
 * ZeroPadding2D + 'valid' conv, because tfjs 'same' pads bottom/right only and would shift the
 * sampling grid by one pixel against PyTorch (and against the option-A shortcut's x[::2]).
 */
export function conv3x3(x: Sym, name: string, filters: number, stride: number, useBias: boolean): Sym {
  let y = x;
  if (stride !== 1) {
    y = tfl.layers.zeroPadding2d({ padding: [[1, 1], [1, 1]], name: `${name}_pad` }).apply(y) as Sym;
  }
  return tfl.layers
    .conv2d({
      filters,
      kernelSize: 3,
      strides: stride,
      padding: stride === 1 ? 'same' : 'valid',
      useBias,
      kernelInitializer: 'zeros',
      name,
    })
    .apply(y) as Sym;
}

export function relu(x: Sym, name: string): Sym {
  return tfl.layers.reLU({ name }).apply(x) as Sym;
}

export function dense(x: Sym, units: number, name: string): Sym {
  return tfl.layers.dense({ units, kernelInitializer: 'zeros', name }).apply(x) as Sym;
}

/** The layers feeding `layer` inside `model` (a layer may also be wired into other models). */
export function inboundLayers(layer: tfl.layers.Layer, model: tfl.LayersModel, inModel = new Set(model.layers)): tfl.layers.Layer[] {
  const node = layer.inboundNodes.find((n) => n.inboundLayers.every((l) => inModel.has(l)));
  return node ? node.inboundLayers : [];
}
