/**
 * Centroid fine-tuning layers (methods.md §5.5): PQConv2D / PQDense hold `centroids` (trainable, (m·K) × d),
 * `assignments` (global codebook row per sub-vector, s·K + code, stored float32 so it checkpoints and
 * serialises with the other weights; exact for < 2^24 rows) and `counts` (sub-vectors per centroid),
 * and rebuild the dense kernel on every forward by gathering centroid rows (blocks.ts layout).
 *
 * Centroid gradient = the *average* over the blocks assigned to it, for every layer type (fairseq
 * averages only in PQConv2d; PQLinear/PQEmbedding sum — §5.5 — not copied). Done with tf.customGrad:
 * segment-sum of the block gradients divided by the counts.
 *
 * Quant-Noise for PQ (§4.3) in training: each block is dropped with probability p and kept blocks are
 * scaled by 1/(1 − p), on the rebuilt kernel — a temporary used only for this forward. Centroids are
 * never written (fairseq's hook writes into `weight.data`, making drops permanent; not copied). The mask
 * comes from a seeded Rng owned by the layer (architecture.md: no unseeded tfjs randomness).
 */
import { tf, tfl } from '../../engine/tf.js';
import { Rng, type RngState } from '../../core/rng.js';
import { registerSegmentSumKernels } from './segment-sum-kernels.js';

registerSegmentSumKernels(); // gather's gradient: missing on wasm, O(segments·size) on cpu

export interface PQLayerArgs {
  name?: string;
  trainable?: boolean;
  /** HWIO kernel shape ([1, 1, in, out] for dense). */
  kernelShape: number[];
  blockSize: number;
  k: number;
  subspaces?: number;
  useBias?: boolean;
  activation?: 'linear' | 'relu';
  /** Conv only. */
  strides?: number[];
  padding?: 'same' | 'valid';
  dilationRate?: number[];
  /** Quant-Noise block drop rate during training (0 = off). */
  noiseRate?: number;
  noiseSeed?: number;
}

type Shape = (number | null)[];

/** Rebuilds the HWIO kernel from centroids with the averaged-gradient rule. Exposed for tests. */
export function rebuildKernel(
  centroids: tf.Tensor2D,
  assignments: tf.Tensor1D,
  counts: tf.Tensor1D,
  kernelShape: number[],
  blockSize: number,
  blockMask?: tf.Tensor,
): tf.Tensor4D {
  const [kh, kw, cin, cout] = kernelShape;
  const idx = tf.cast(assignments, 'int32');
  const rows = centroids.shape[0];
  const inv = tf.reshape(tf.div(1, tf.maximum(counts, 1)), [rows, 1]);
  // idx/inv go through `save`: the engine keeps saved tensors alive until the backward pass, while
  // tensors merely captured by the closure would be freed by the caller's tidy first.
  const gathered = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [c, ix, iv, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([ix, iv]);
    return {
      value: tf.gather(c, ix),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => [
        tf.mul(tf.unsortedSegmentSum(dy as tf.Tensor, saved[0] as tf.Tensor1D, rows), saved[1]), tf.zerosLike(saved[0]), tf.zerosLike(saved[1]),
      ],
    };
  })(centroids, idx, inv);
  const nbf = (cin * kh * kw) / blockSize;
  let blocks = tf.reshape(gathered, [nbf, cout, blockSize]); // row j·cout + o (blocks.ts)
  if (blockMask) blocks = tf.mul(blocks, tf.reshape(blockMask, [nbf, cout, 1]));
  const filters = tf.reshape(tf.transpose(blocks, [1, 0, 2]), [cout, cin, kh, kw]); // (in, kh, kw) order
  return tf.transpose(filters, [2, 3, 1, 0]) as tf.Tensor4D;
}

abstract class PQBase extends tfl.layers.Layer {
  readonly kernelShape: number[];
  readonly blockSize: number;
  readonly k: number;
  readonly subspaces: number;
  readonly useBias: boolean;
  readonly activation: 'linear' | 'relu';
  noiseRate: number;
  readonly noiseSeed: number;
  private rng: Rng;
  private cW?: tfl.LayerVariable;
  private aW?: tfl.LayerVariable;
  private nW?: tfl.LayerVariable;
  private bW?: tfl.LayerVariable;

  constructor(args: PQLayerArgs) {
    super({ name: args.name, trainable: args.trainable });
    this.kernelShape = [...args.kernelShape];
    this.blockSize = args.blockSize;
    this.k = args.k;
    this.subspaces = args.subspaces ?? 1;
    this.useBias = args.useBias ?? true;
    this.activation = args.activation ?? 'linear';
    if (this.activation !== 'linear' && this.activation !== 'relu') {
      throw new Error(`${this.getClassName()} ${this.name}: activation "${String(this.activation)}" not supported (linear|relu)`);
    }
    this.noiseRate = args.noiseRate ?? 0;
    this.noiseSeed = args.noiseSeed ?? 0;
    this.rng = Rng.derive(this.noiseSeed, `pq-noise/${this.name}`);
    const [kh, kw, cin] = this.kernelShape;
    if ((cin * kh * kw) % this.blockSize !== 0 || this.blockSize % this.subspaces !== 0) {
      throw new Error(`${this.getClassName()} ${this.name}: block size ${this.blockSize} does not divide ${cin}·${kh}·${kw} or into ${this.subspaces} sub-vectors`);
    }
  }

  get nBlocks(): number {
    const [kh, kw, cin, cout] = this.kernelShape;
    return ((cin * kh * kw) / this.blockSize) * cout;
  }

  override build(_inputShape?: Shape | Shape[]): void {
    const m = this.subspaces;
    const d = this.blockSize / m;
    this.cW = this.addWeight('centroids', [m * this.k, d], 'float32', tfl.initializers.zeros(), undefined, true);
    this.aW = this.addWeight('assignments', [this.nBlocks * m], 'float32', tfl.initializers.zeros(), undefined, false);
    this.nW = this.addWeight('counts', [m * this.k], 'float32', tfl.initializers.ones(), undefined, false);
    if (this.useBias) this.bW = this.addWeight('bias', [this.kernelShape[3]], 'float32', tfl.initializers.zeros(), undefined, true);
    this.built = true;
  }

  /** Current weights by role (tfjs orders `weights` trainable first: centroids, bias, assignments, counts). */
  pqTensors(): { centroids: tf.Tensor2D; assignments: tf.Tensor1D; counts: tf.Tensor1D; bias?: tf.Tensor1D } {
    if (!this.cW || !this.aW || !this.nW) throw new Error(`${this.name}: layer not built`);
    return {
      centroids: this.cW.read() as tf.Tensor2D, assignments: this.aW.read() as tf.Tensor1D, counts: this.nW.read() as tf.Tensor1D,
      bias: this.bW?.read() as tf.Tensor1D | undefined,
    };
  }

  /** Noise RNG state, for checkpoints. */
  noiseState(): RngState {
    return this.rng.getState();
  }
  setNoiseState(s: RngState): void {
    this.rng.setState(s);
  }

  /** Block keep-mask scaled by 1/(1 − p) (Quant-Noise for PQ); undefined outside training or at p = 0. */
  private noiseMask(training: boolean): tf.Tensor | undefined {
    const p = this.noiseRate;
    if (!training || !(p > 0)) return undefined;
    if (p >= 1) throw new Error(`${this.name}: noise rate ${p} must be < 1`);
    const mask = new Float32Array(this.nBlocks);
    const s = 1 / (1 - p);
    for (let i = 0; i < mask.length; i++) mask[i] = this.rng.next() < p ? 0 : s;
    return tf.tensor1d(mask);
  }

  /** The kernel used by this forward (noised when training with p > 0). */
  kernel(training = false): tf.Tensor4D {
    return rebuildKernel(
      this.cW!.read() as tf.Tensor2D, this.aW!.read() as tf.Tensor1D, this.nW!.read() as tf.Tensor1D,
      this.kernelShape, this.blockSize, this.noiseMask(training),
    );
  }

  protected finish(y: tf.Tensor): tf.Tensor {
    let out = y;
    if (this.bW) out = tf.add(out, this.bW.read());
    return this.activation === 'relu' ? tf.relu(out) : out;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      kernelShape: this.kernelShape, blockSize: this.blockSize, k: this.k, subspaces: this.subspaces,
      useBias: this.useBias, activation: this.activation, noiseRate: this.noiseRate, noiseSeed: this.noiseSeed,
    };
  }
}

export class PQConv2D extends PQBase {
  static className = 'WhittlePQConv2D';
  readonly strides: number[];
  readonly padding: 'same' | 'valid';
  readonly dilationRate: number[];

  constructor(args: PQLayerArgs) {
    super(args);
    this.strides = args.strides ?? [1, 1];
    this.padding = args.padding ?? 'valid';
    this.dilationRate = args.dilationRate ?? [1, 1];
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const [kh, kw, , cout] = this.kernelShape;
    const dim = (n: number | null, k: number, st: number, dl: number): number | null => {
      if (n === null) return null;
      const ek = (k - 1) * dl + 1;
      return this.padding === 'same' ? Math.ceil(n / st) : Math.ceil((n - ek + 1) / st);
    };
    return [s[0], dim(s[1], kh, this.strides[0], this.dilationRate[0]), dim(s[2], kw, this.strides[1], this.dilationRate[1]), cout];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const w = this.kernel(kwargs?.training === true);
      const y = tf.conv2d(x, w, this.strides as [number, number], this.padding, 'NHWC', this.dilationRate as [number, number]);
      return this.finish(y);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), strides: this.strides, padding: this.padding, dilationRate: this.dilationRate };
  }
}

export class PQDense extends PQBase {
  static className = 'WhittlePQDense';

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    return [...s.slice(0, -1), this.kernelShape[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D;
      const [, , cin, cout] = this.kernelShape;
      const w = tf.reshape(this.kernel(kwargs?.training === true), [cin, cout]) as tf.Tensor2D;
      return this.finish(tf.matMul(x, w));
    });
  }
}

tf.serialization.registerClass(PQConv2D);
tf.serialization.registerClass(PQDense);

export function isPQLayer(l: tfl.layers.Layer): l is PQConv2D | PQDense {
  return l instanceof PQConv2D || l instanceof PQDense;
}
