/**
 * Optimizer contract shared by SGD and Adam. Unlike tfjs' optimizers, the per-parameter state (momentum
 * buffers, Adam moments) is keyed by Whittle's stable param keys, exposed to hooks (RePr masks
 * momentum) and serialisable for checkpoints.
 *
 * Freeze masks: `apply` takes optional 0/1 masks per key, broadcastable to the param. Where the mask is
 * 0 the entry does not move at all in that step: no gradient, no weight decay, and its optimizer state
 * is reset to 0. So a weight zeroed by a hook and then masked stays EXACTLY 0 with momentum and decay.
 */
import { tf } from '../../engine/tf.js';
import { ShapeError, WhittleError } from '../../core/errors.js';
import type { NamedArray } from '../types.js';

export interface OptimizerState {
  kind: string;
  config: Record<string, unknown>;
  /** Updates applied so far, per param key (PyTorch keeps a per-param step too). */
  steps: Record<string, number>;
  /** slots[paramKey][slotName] */
  slots: Record<string, Record<string, NamedArray>>;
}

export interface Optimizer {
  readonly kind: string;
  readonly config: Readonly<Record<string, unknown>>;
  /**
   * One update of every param that has a gradient (params without one are skipped entirely, as in
   * PyTorch). `lr` comes from the schedule. Runs its own tidy; grads/masks are not disposed.
   */
  apply(
    params: ReadonlyMap<string, tf.Variable>,
    grads: ReadonlyMap<string, tf.Tensor>,
    lr: number,
    masks?: ReadonlyMap<string, tf.Tensor>,
  ): void;
  /** The live state variables of one param (e.g. `{ momentum }`), undefined before its first update. */
  state(key: string): Readonly<Record<string, tf.Variable>> | undefined;
  /** Keys that have state. */
  keys(): string[];
  getState(): OptimizerState;
  setState(s: OptimizerState): void;
  dispose(): void;
}

/** Base with slot bookkeeping; subclasses implement the per-tensor update rule. */
export abstract class SlotOptimizer implements Optimizer {
  abstract readonly kind: string;
  abstract readonly config: Readonly<Record<string, unknown>>;
  protected abstract readonly slotNames: readonly string[];
  private readonly slots = new Map<string, Record<string, tf.Variable>>();
  private readonly steps = new Map<string, number>();

  /** Update one param in place. `step` is 1 on its first update. Called inside tidy. */
  protected abstract update(
    key: string,
    p: tf.Variable,
    g: tf.Tensor,
    slots: Record<string, tf.Variable>,
    lr: number,
    mask: tf.Tensor | undefined,
    step: number,
  ): void;

  apply(
    params: ReadonlyMap<string, tf.Variable>,
    grads: ReadonlyMap<string, tf.Tensor>,
    lr: number,
    masks?: ReadonlyMap<string, tf.Tensor>,
  ): void {
    if (!Number.isFinite(lr)) throw new WhittleError(`optimizer: learning rate ${lr} is not finite`);
    tf.tidy(() => {
      for (const [key, g] of grads) {
        const p = params.get(key);
        if (!p) throw new WhittleError(`optimizer: gradient for unknown param "${key}"`);
        if (!sameShape(g.shape, p.shape)) {
          throw new ShapeError(`optimizer: gradient of "${key}" has shape [${g.shape}], param has [${p.shape}]`);
        }
        const mask = masks?.get(key);
        if (mask) checkBroadcast(key, mask.shape, p.shape);
        const step = (this.steps.get(key) ?? 0) + 1;
        this.update(key, p, g, this.slotsFor(key, p), lr, mask, step);
        this.steps.set(key, step);
      }
    });
  }

  private slotsFor(key: string, p: tf.Variable): Record<string, tf.Variable> {
    let s = this.slots.get(key);
    if (!s) {
      s = {};
      for (const name of this.slotNames) s[name] = tf.variable(tf.zeros(p.shape, 'float32'), false);
      this.slots.set(key, s);
    }
    for (const [name, v] of Object.entries(s)) {
      if (!sameShape(v.shape, p.shape)) {
        throw new ShapeError(`optimizer: state "${key}#${name}" has shape [${v.shape}], param has [${p.shape}]`);
      }
    }
    return s;
  }

  state(key: string): Readonly<Record<string, tf.Variable>> | undefined {
    return this.slots.get(key);
  }

  keys(): string[] {
    return [...this.slots.keys()];
  }

  getState(): OptimizerState {
    const slots: OptimizerState['slots'] = {};
    for (const [key, s] of this.slots) {
      slots[key] = {};
      for (const [name, v] of Object.entries(s)) {
        slots[key][name] = { shape: [...v.shape], data: (v.dataSync() as Float32Array).slice() };
      }
    }
    return { kind: this.kind, config: { ...this.config }, steps: Object.fromEntries(this.steps), slots };
  }

  setState(st: OptimizerState): void {
    if (st.kind !== this.kind) throw new WhittleError(`optimizer state is for "${st.kind}", this optimizer is "${this.kind}"`);
    this.dispose();
    for (const [key, n] of Object.entries(st.steps)) this.steps.set(key, n);
    for (const [key, rec] of Object.entries(st.slots)) {
      const s: Record<string, tf.Variable> = {};
      for (const name of this.slotNames) {
        const a = rec[name];
        if (!a) throw new WhittleError(`optimizer state for "${key}" lacks slot "${name}"`);
        const n = a.shape.reduce((x, y) => x * y, 1);
        if (a.data.length !== n) throw new ShapeError(`optimizer state "${key}#${name}": ${a.data.length} values for shape [${a.shape}]`);
        const t = tf.tensor(a.data, a.shape, 'float32');
        s[name] = tf.variable(t, false);
        t.dispose();
      }
      this.slots.set(key, s);
    }
  }

  dispose(): void {
    for (const s of this.slots.values()) for (const v of Object.values(s)) v.dispose();
    this.slots.clear();
    this.steps.clear();
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** A mask must broadcast to the param without growing it (numpy rules, right-aligned). */
function checkBroadcast(key: string, m: readonly number[], p: readonly number[]): void {
  const ok = m.length <= p.length && m.every((d, i) => d === 1 || d === p[p.length - m.length + i]);
  if (!ok) throw new ShapeError(`freeze mask for "${key}" has shape [${m}], not broadcastable to the param's [${p}]`);
}

/** Multiply by a 0/1 mask when there is one. */
export function masked(t: tf.Tensor, mask: tf.Tensor | undefined): tf.Tensor {
  return mask ? tf.mul(t, mask) : t;
}
