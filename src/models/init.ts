/**
 * Seeded weight initialisation, one scheme per reference implementation. Every parameter draws from
 * its own stream `Rng.derive(seed, paramKey)`, so the values depend only on (seed, key, shape): they are
 * bit-identical on every backend (drawn in JS, float64 rounded to float32) and unaffected by adding or
 * reordering other layers. Conv kernels are HWIO here and OIHW in PyTorch; the draws are i.i.d., so the
 * distribution is the same (the exact values are not, PyTorch's generator being different).
 *
 * Schemes (fan_in = kh·kw·in, fan_out = kh·kw·out for conv; in for dense):
 * - `pytorch-default` (vanilla; siahuat0727/RePr uses PyTorch's defaults): conv and dense weights
 *   kaiming_uniform(a=√5) = U(±1/√fan_in); biases U(±1/√fan_in).
 * - `sfp-resnet` (CIFAR ResNets; he-y/soft-filter-pruning models/resnet.py): conv N(0, √(2/fan_out))
 *   (`normal_(0, sqrt(2/n))`, n = k·k·out_channels); BN γ=1, β=0; Linear `init.kaiming_normal`
 *   (fan_in, gain √2) = N(0, √(2/fan_in)), bias 0.
 * - `torchvision-vgg` (vgg16; torchvision VGG `_initialize_weights`, the usual PyTorch CIFAR VGG recipe,
 *   ENC's own VGG-16 being a pretrained Caffe ImageNet model): conv kaiming_normal(fan_out, relu) =
 *   N(0, √(2/fan_out)), conv bias 0; BN γ=1, β=0; Linear N(0, 0.01), bias 0.
 * BatchNorm moving mean 0 and moving variance 1 in every scheme (PyTorch's running stats).
 */
import { tf, tfl } from '../engine/tf.js';
import { Rng } from '../core/rng.js';
import { modelParams, type ModelParam } from './params.js';

export type InitScheme = 'pytorch-default' | 'sfp-resnet' | 'torchvision-vgg';
export const INIT_SCHEMES: readonly InitScheme[] = ['pytorch-default', 'sfp-resnet', 'torchvision-vgg'];

type Dist = { kind: 'uniform'; bound: number } | { kind: 'normal'; std: number } | { kind: 'const'; value: number };

function fans(layer: tfl.layers.Layer, kernelShape: number[]): { fanIn: number; fanOut: number } {
  if (kernelShape.length === 4) {
    const [kh, kw, ci, co] = kernelShape;
    return { fanIn: kh * kw * ci, fanOut: kh * kw * co };
  }
  if (kernelShape.length === 2) return { fanIn: kernelShape[0], fanOut: kernelShape[1] };
  throw new Error(`init: layer ${layer.name} has a kernel of unsupported rank ${kernelShape.length}`);
}

/** The distribution of one parameter under a scheme. */
function distFor(scheme: InitScheme, p: ModelParam, kernelShape: number[] | undefined): Dist {
  const cls = p.layer.getClassName();
  const w = p.key.slice(p.key.lastIndexOf('/') + 1);
  if (cls === 'BatchNormalization') {
    if (w === 'gamma' || w === 'moving_variance') return { kind: 'const', value: 1 };
    if (w === 'beta' || w === 'moving_mean') return { kind: 'const', value: 0 };
  }
  if ((cls === 'Conv2D' || cls === 'Dense') && kernelShape && (w === 'kernel' || w === 'bias')) {
    const { fanIn, fanOut } = fans(p.layer, kernelShape);
    const conv = cls === 'Conv2D';
    if (scheme === 'pytorch-default') return { kind: 'uniform', bound: 1 / Math.sqrt(fanIn) };
    if (w === 'bias') return { kind: 'const', value: 0 };
    if (conv) return { kind: 'normal', std: Math.sqrt(2 / fanOut) };
    if (scheme === 'sfp-resnet') return { kind: 'normal', std: Math.sqrt(2 / fanIn) };
    return { kind: 'normal', std: 0.01 };
  }
  throw new Error(`init: no rule in scheme "${scheme}" for parameter ${p.key} of a ${cls} layer`);
}

/** Fills `out` from the parameter's own stream. */
function draw(dist: Dist, seed: number, key: string, out: Float32Array): Float32Array {
  if (dist.kind === 'const') return out.fill(dist.value);
  const rng = Rng.derive(seed, key);
  return dist.kind === 'uniform' ? rng.fillUniform(out, -dist.bound, dist.bound) : rng.fillNormal(out, 0, dist.std);
}

/**
 * Initialises every weight of `model` in place (trainable and BN statistics) under `scheme`.
 * Throws for a layer type the scheme has no rule for, naming the parameter.
 * @example initModel(model, 'sfp-resnet', 42) // re-draw every weight of a built model from seed 42
 */
export function initModel(model: tfl.LayersModel, scheme: InitScheme, seed: number): void {
  if (!INIT_SCHEMES.includes(scheme)) throw new Error(`init: unknown scheme "${scheme}" (expected ${INIT_SCHEMES.join(', ')})`);
  const params = modelParams(model);
  const kernelShapes = new Map<tfl.layers.Layer, number[]>();
  for (const p of params) if (p.key.endsWith('/kernel')) kernelShapes.set(p.layer, p.variable.shape);
  for (const p of params) {
    const dist = distFor(scheme, p, kernelShapes.get(p.layer));
    const values = draw(dist, seed >>> 0, p.key, new Float32Array(p.variable.size));
    const t = tf.tensor(values, p.variable.shape, 'float32');
    p.variable.assign(t);
    t.dispose();
  }
}
