/**
 * Quant-Noise for iPQ on *float* layers (methods.md §4.3, fairseq `quant_noise`): training a model so that
 * it later survives PQ. During training forwards every block (the §5.2 PQ block of `blockSize` values;
 * bs 9 on a 3×3 conv = one whole kernel, as fairseq's k×k case) is dropped with probability p and the
 * kept blocks are scaled by 1/(1 − p). The mask multiplies a temporary: the stored kernel is never
 * written (fairseq writes `weight.data` in a pre-forward hook, so its drops are permanent and the
 * rescale compounds — issues #3783/#3195). Dropped blocks get zero gradient (no STE for proxy noise).
 * Weights are named `kernel`/`bias` like Conv2D/Dense, so parameter keys and checkpoints are shared.
 */
import { tf, tfl } from '../../engine/tf.js';
import { Rng, type RngState } from '../../core/rng.js';
import { blocksToKernel } from './blocks.js';
import { topologyOf } from './convert.js';
import { rebuildModel } from '../quant/clone.js';

export interface BlockNoiseArgs {
  name?: string;
  trainable?: boolean;
  kernelShape: number[];
  blockSize: number;
  noiseRate: number;
  noiseSeed?: number;
  useBias?: boolean;
  activation?: 'linear' | 'relu';
  strides?: number[];
  padding?: 'same' | 'valid';
  dilationRate?: number[];
}

/** The HWIO keep-mask (0 or 1/(1−p) per value) for one forward; blocks as blocks.ts. */
export function blockNoiseMask(kernelShape: number[], bs: number, p: number, rng: Rng): Float32Array {
  const [kh, kw, cin, cout] = kernelShape;
  const nb = ((cin * kh * kw) / bs) * cout;
  const rows = new Float32Array(nb * bs);
  const s = 1 / (1 - p);
  for (let b = 0; b < nb; b++) if (!(rng.next() < p)) rows.fill(s, b * bs, (b + 1) * bs);
  return blocksToKernel(rows, kernelShape, bs);
}

export class BlockNoiseConv2D extends tfl.layers.Layer {
  static className = 'WhittleBlockNoiseConv2D';
  readonly args: Required<Omit<BlockNoiseArgs, 'name' | 'trainable'>>;
  private rng: Rng;
  private kW?: tfl.LayerVariable;
  private bW?: tfl.LayerVariable;

  constructor(a: BlockNoiseArgs) {
    super({ name: a.name, trainable: a.trainable });
    this.args = {
      kernelShape: [...a.kernelShape], blockSize: a.blockSize, noiseRate: a.noiseRate, noiseSeed: a.noiseSeed ?? 0,
      useBias: a.useBias ?? true, activation: a.activation ?? 'linear', strides: a.strides ?? [1, 1], padding: a.padding ?? 'valid',
      dilationRate: a.dilationRate ?? [1, 1],
    };
    const [kh, kw, cin] = this.args.kernelShape;
    if ((cin * kh * kw) % this.args.blockSize !== 0) throw new Error(`${this.name}: block size ${this.args.blockSize} does not divide ${cin}·${kh}·${kw}`);
    if (!(this.args.noiseRate >= 0 && this.args.noiseRate < 1)) throw new Error(`${this.name}: noise rate ${this.args.noiseRate} not in [0, 1)`);
    this.rng = Rng.derive(this.args.noiseSeed, `pq-block-noise/${this.name}`);
  }

  protected isDense(): boolean {
    return false;
  }

  /** Noise RNG state, for checkpoints (noise-technique.ts blockNoiseHook). */
  noiseState(): RngState {
    return this.rng.getState();
  }
  setNoiseState(s: RngState): void {
    this.rng.setState(s);
  }

  override build(): void {
    const ks = this.args.kernelShape;
    this.kW = this.addWeight('kernel', this.isDense() ? [ks[2], ks[3]] : ks, 'float32', tfl.initializers.zeros(), undefined, true);
    if (this.args.useBias) this.bW = this.addWeight('bias', [ks[3]], 'float32', tfl.initializers.zeros(), undefined, true);
    this.built = true;
  }

  override computeOutputShape(inputShape: (number | null)[] | (number | null)[][]): (number | null)[] {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as (number | null)[];
    const { kernelShape: [kh, kw, , cout], strides, padding, dilationRate } = this.args;
    if (this.isDense()) return [...s.slice(0, -1), cout];
    const dim = (n: number | null, k: number, st: number, dl: number) =>
      n === null ? null : padding === 'same' ? Math.ceil(n / st) : Math.ceil((n - (k - 1) * dl) / st);
    return [s[0], dim(s[1], kh, strides[0], dilationRate[0]), dim(s[2], kw, strides[1], dilationRate[1]), cout];
  }

  /** Kernel for this forward: the stored one, or a noised temporary in training. */
  protected kernelFor(training: boolean): tf.Tensor {
    const k = this.kW!.read();
    const p = this.args.noiseRate;
    if (!training || p <= 0) return k;
    const mask = blockNoiseMask(this.args.kernelShape, this.args.blockSize, p, this.rng);
    return tf.mul(k, tf.tensor(mask, k.shape));
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const k = this.kernelFor(kwargs?.training === true);
      const a = this.args;
      let y = this.isDense()
        ? tf.matMul(x as tf.Tensor2D, k as tf.Tensor2D)
        : tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, a.strides as [number, number], a.padding, 'NHWC', a.dilationRate as [number, number]);
      if (this.bW) y = tf.add(y, this.bW.read());
      return a.activation === 'relu' ? tf.relu(y) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...this.args };
  }
}

export class BlockNoiseDense extends BlockNoiseConv2D {
  static override className = 'WhittleBlockNoiseDense';
  protected override isDense(): boolean {
    return true;
  }
}

tf.serialization.registerClass(BlockNoiseConv2D);
tf.serialization.registerClass(BlockNoiseDense);

type LayerJson = { name: string; class_name: string; config: Record<string, unknown> };

/**
 * A copy of `model` whose Conv2D/Dense layers named in `blockSizes` train with block noise at rate p
 * (weights copied; same parameter keys). `withoutBlockNoise` turns such a model back into plain layers.
 */
export async function withBlockNoise(model: tfl.LayersModel, blockSizes: Map<string, number>, p: number, seed = 0): Promise<tfl.LayersModel> {
  return swap(model, (l) => {
    const bs = blockSizes.get(l.name);
    if (bs === undefined || (l.class_name !== 'Conv2D' && l.class_name !== 'Dense')) return l;
    const c = l.config;
    const layer = model.getLayer(l.name);
    const shape = layer.getWeights()[0].shape;
    const dense = l.class_name === 'Dense';
    const config: Record<string, unknown> = {
      name: c.name, trainable: c.trainable, kernel_shape: dense ? [1, 1, ...shape] : shape, block_size: bs, noise_rate: p, noise_seed: seed,
      use_bias: c.use_bias, activation: c.activation, batch_input_shape: c.batch_input_shape,
    };
    if (!dense) Object.assign(config, { strides: c.strides, padding: c.padding, dilation_rate: c.dilation_rate });
    return { ...l, class_name: dense ? BlockNoiseDense.className : BlockNoiseConv2D.className, config };
  });
}

export async function withoutBlockNoise(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  return swap(model, (l) => {
    if (l.class_name !== BlockNoiseConv2D.className && l.class_name !== BlockNoiseDense.className) return l;
    const c = l.config;
    const ks = c.kernel_shape as number[];
    const base = { name: c.name, trainable: c.trainable, use_bias: c.use_bias, activation: c.activation, batch_input_shape: c.batch_input_shape };
    return l.class_name === BlockNoiseDense.className
      ? { ...l, class_name: 'Dense', config: { ...base, units: ks[3] } }
      : { ...l, class_name: 'Conv2D', config: { ...base, filters: ks[3], kernel_size: [ks[0], ks[1]], strides: c.strides, padding: c.padding, dilation_rate: c.dilation_rate, data_format: 'channels_last' } };
  });
}

async function swap(model: tfl.LayersModel, f: (l: LayerJson) => LayerJson): Promise<tfl.LayersModel> {
  const topology = structuredClone(topologyOf(model));
  const layers = (topology.config as { layers: LayerJson[] }).layers;
  for (let i = 0; i < layers.length; i++) {
    layers[i] = f(layers[i]);
    if (layers[i].config.batch_input_shape === undefined) delete layers[i].config.batch_input_shape;
  }
  const out = await tfl.models.modelFromJSON({ modelTopology: topology as tf.io.ModelJSON['modelTopology'] });
  const meta = model.getUserDefinedMetadata();
  if (meta) out.setUserDefinedMetadata(meta);
  for (const l of out.layers) if (l.weights.length) l.setWeights(model.getLayer(l.name).getWeights());
  return out;
}

export const isBlockNoiseLayer = (l: tfl.layers.Layer): l is BlockNoiseConv2D => l instanceof BlockNoiseConv2D;

/** A plain Conv2D/Dense copy of a model trained with `pqNoise` (weights kept). Synchronous. */
export function stripBlockNoise(model: tfl.LayersModel): tfl.LayersModel {
  if (!model.layers.some(isBlockNoiseLayer)) return model;
  return rebuildModel(model, (l) => {
    if (!isBlockNoiseLayer(l)) return null;
    const a = l.args;
    const [kh, kw, , cout] = a.kernelShape;
    const base = { name: l.name, trainable: l.trainable, useBias: a.useBias, activation: a.activation };
    return l instanceof BlockNoiseDense
      ? { className: 'Dense', config: { ...base, units: cout } }
      : { className: 'Conv2D', config: { ...base, filters: cout, kernelSize: [kh, kw], strides: a.strides, padding: a.padding, dilationRate: a.dilationRate, dataFormat: 'channelsLast' } };
  });
}
