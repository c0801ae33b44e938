/**
 * Adam with PyTorch's semantics (torch.optim.Adam / AdamW, amsgrad off):
 * Adam: g = g + wd·p. AdamW (decoupled): p = p·(1 − lr·wd). Then m = β1·m + (1−β1)·g,
 * v = β2·v + (1−β2)·g², p = p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε), t counted per param.
 */
import { tf } from '../../engine/tf.js';
import { ConfigError } from '../../core/errors.js';
import { SlotOptimizer, masked } from './optimizer.js';

export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** AdamW: decay the weights directly instead of adding wd·p to the gradient. */
  decoupled?: boolean;
  decay?: (key: string) => boolean;
}

export class Adam extends SlotOptimizer {
  readonly kind: string;
  readonly config: Readonly<Record<string, unknown>>;
  protected readonly slotNames = ['m', 'v'] as const;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly weightDecay: number;
  private readonly decoupled: boolean;
  private readonly decay: (key: string) => boolean;

  constructor(opts: AdamOptions = {}) {
    super();
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    this.decoupled = opts.decoupled ?? false;
    this.decay = opts.decay ?? (() => true);
    for (const [f, v] of [['beta1', this.beta1], ['beta2', this.beta2]] as const) {
      if (!(v >= 0 && v < 1)) throw new ConfigError(`optimizer.${f}`, `must be in [0, 1), got ${v}`);
    }
    if (this.weightDecay < 0) throw new ConfigError('optimizer.weightDecay', `must be >= 0, got ${this.weightDecay}`);
    this.kind = this.decoupled ? 'adamw' : 'adam';
    this.config = { beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay, decoupled: this.decoupled };
  }

  protected update(
    key: string,
    p: tf.Variable,
    g0: tf.Tensor,
    slots: Record<string, tf.Variable>,
    lr: number,
    mask: tf.Tensor | undefined,
    step: number,
  ): void {
    const wd = this.decay(key) ? this.weightDecay : 0;
    let g = g0;
    let p1: tf.Tensor = p;
    if (wd !== 0 && this.decoupled) {
      const decayed = tf.mul(p, 1 - lr * wd);
      // where() rather than arithmetic on the mask, so frozen entries are bit-for-bit unchanged.
      p1 = mask ? tf.where(tf.broadcastTo(tf.greater(mask, 0), p.shape), decayed, p) : decayed;
    } else if (wd !== 0) {
      g = tf.add(g, tf.mul(p, wd));
    }
    g = masked(g, mask);
    const m = masked(tf.add(tf.mul(slots.m, this.beta1), tf.mul(g, 1 - this.beta1)), mask);
    const v = masked(tf.add(tf.mul(slots.v, this.beta2), tf.mul(tf.mul(g, g), 1 - this.beta2)), mask);
    slots.m.assign(m);
    slots.v.assign(v);
    const stepSize = lr / (1 - this.beta1 ** step);
    const bc2Sqrt = Math.sqrt(1 - this.beta2 ** step);
    const denom = tf.add(tf.div(tf.sqrt(v), bc2Sqrt), this.eps);
    p.assign(tf.sub(p1, masked(tf.mul(tf.div(m, denom), stepSize), mask)));
  }
}
