/**
 * The drop-path gate on a residual branch, placed before the addition (ReLU comes after the add).
 * - mode 'batch': one Bernoulli per block per mini-batch (the authors' Torch code); the lazy executor
 *   (executor.ts) asks `decide()` first and, when the block is dropped, never computes the branch — no
 *   gradient, no BN statistics update, the paper's speed-up.
 * - mode 'sample': one Bernoulli per sample (timm `drop_path`, torchvision "row").
 * - scaling 'test-multiply' (paper: inference output ·p) or 'train-divide' (timm/torchvision: training
 *   output /p, identity at inference). Both are equal in expectation (methods.md §6.2).
 */
import { tf, tfl } from '../../engine/tf.js';
import { Rng, type RngState } from '../../core/rng.js';

export type GateMode = 'batch' | 'sample';
export type GateScaling = 'test-multiply' | 'train-divide';

export interface GateConfig {
  survival: number;
  mode: GateMode;
  scaling: GateScaling;
  seed: number;
  name?: string;
  trainable?: boolean;
}

export class StochasticDepthGate extends tfl.layers.Layer {
  static className = 'WhittleStochasticDepthGate';
  readonly survival: number;
  readonly mode: GateMode;
  readonly scaling: GateScaling;
  readonly seed: number;
  rng: Rng;
  /** Decision for the current training step in batch mode (true = branch kept). */
  private pending: boolean | undefined;
  /** Counts for statistics and logging. */
  kept = 0;
  dropped = 0;

  constructor(cfg: GateConfig) {
    super({ name: cfg.name, trainable: false });
    if (!(cfg.survival > 0 && cfg.survival <= 1)) throw new RangeError(`survival must be in (0, 1], got ${cfg.survival}`);
    this.survival = cfg.survival;
    this.mode = cfg.mode;
    this.scaling = cfg.scaling;
    this.seed = cfg.seed;
    this.rng = Rng.derive(cfg.seed, cfg.name ?? 'gate');
  }

  /** Batch mode: draws (once per step) whether the branch survives. */
  decide(): boolean {
    if (this.pending === undefined) {
      this.pending = this.survival >= 1 || this.rng.next() < this.survival;
      if (this.pending) this.kept++;
      else this.dropped++;
    }
    return this.pending;
  }

  /** Ends the current step's batch decision. */
  endStep(): void {
    this.pending = undefined;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const training = kwargs.training === true;
    const p = this.survival;
    return tf.tidy(() => {
      if (!training) return this.scaling === 'test-multiply' && p < 1 ? tf.mul(x, p) : tf.clone(x);
      const scale = this.scaling === 'train-divide' ? 1 / p : 1;
      if (this.mode === 'batch') {
        const keep = this.decide();
        return keep ? (scale === 1 ? tf.clone(x) : tf.mul(x, scale)) : tf.zerosLike(x);
      }
      const n = x.shape[0] as number;
      const m = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const keep = this.rng.next() < p;
        m[i] = keep ? scale : 0;
        if (keep) this.kept++;
        else this.dropped++;
      }
      const shape = [n, ...new Array(x.shape.length - 1).fill(1)];
      return tf.mul(x, tf.tensor(m, shape));
    });
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), survival: this.survival, mode: this.mode, scaling: this.scaling, seed: this.seed };
  }

  rngState(): RngState {
    return this.rng.getState();
  }
}
tf.serialization.registerClass(StochasticDepthGate);

/** All gates of a model, in layer order. */
export function findGates(model: tfl.LayersModel): StochasticDepthGate[] {
  return model.layers.filter((l): l is StochasticDepthGate => l instanceof StochasticDepthGate);
}
