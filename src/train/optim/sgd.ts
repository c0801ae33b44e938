/**
 * SGD with PyTorch's semantics (torch.optim.SGD): d = g + wd·p; buf = μ·buf + (1−dampening)·d (buf = d on
 * a param's first step); d = d + μ·buf (Nesterov) or buf; p = p − lr·d.
 */
import { tf } from '../../engine/tf.js';
import { ConfigError } from '../../core/errors.js';
import { SlotOptimizer, masked } from './optimizer.js';

export interface SgdOptions {
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
  /** Which params get weight decay (default: all, as PyTorch). */
  decay?: (key: string) => boolean;
}

export class Sgd extends SlotOptimizer {
  readonly kind = 'sgd';
  readonly config: Readonly<Record<string, unknown>>;
  protected readonly slotNames: readonly string[];
  private readonly momentum: number;
  private readonly dampening: number;
  private readonly nesterov: boolean;
  private readonly weightDecay: number;
  private readonly decay: (key: string) => boolean;

  constructor(opts: SgdOptions = {}) {
    super();
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.nesterov = opts.nesterov ?? false;
    this.weightDecay = opts.weightDecay ?? 0;
    this.decay = opts.decay ?? (() => true);
    if (this.momentum < 0) throw new ConfigError('optimizer.momentum', `must be >= 0, got ${this.momentum}`);
    if (this.weightDecay < 0) throw new ConfigError('optimizer.weightDecay', `must be >= 0, got ${this.weightDecay}`);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new ConfigError('optimizer.nesterov', 'Nesterov momentum requires momentum > 0 and dampening 0');
    }
    this.slotNames = this.momentum !== 0 ? ['momentum'] : [];
    this.config = { momentum: this.momentum, dampening: this.dampening, nesterov: this.nesterov, weightDecay: this.weightDecay };
  }

  protected update(
    key: string,
    p: tf.Variable,
    g: tf.Tensor,
    slots: Record<string, tf.Variable>,
    lr: number,
    mask: tf.Tensor | undefined,
    step: number,
  ): void {
    let d = g;
    if (this.weightDecay !== 0 && this.decay(key)) d = tf.add(d, tf.mul(p, this.weightDecay));
    d = masked(d, mask);
    if (this.momentum !== 0) {
      const buf = slots.momentum;
      let nb: tf.Tensor;
      if (step === 1) nb = d;
      else {
        const scaled = this.dampening !== 0 ? tf.mul(d, 1 - this.dampening) : d;
        nb = masked(tf.add(tf.mul(buf, this.momentum), scaled), mask);
      }
      buf.assign(nb);
      d = this.nesterov ? tf.add(d, tf.mul(nb, this.momentum)) : nb;
    }
    p.assign(tf.sub(p, tf.mul(d, lr)));
  }
}
