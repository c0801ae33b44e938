/**
 * Range observers (methods.md §4.2 step 2 and quirk (d)): each `update` sees the current tensor and
 * returns the range the quantiser should use until the next update.
 * - `minmax`: min/max of the current tensor (fairseq `tensor`/`channel` methods build a fresh
 *   MinMaxObserver per update, so nothing is carried over between updates).
 * - `ema`: exponential moving average of min/max — the paper's QAT baseline (absent from fairseq's code,
 *   issue #2383). First update initialises; then range ← m·range + (1 − m)·current.
 * - `histogram`: range minimising the L2 quantisation error of the current tensor's histogram
 *   (histogram.ts describes the search) — the paper's Quant-Noise choice.
 * All are per tensor or per channel; state is plain JSON.
 */
import type { ObserverSpec } from './config.js';
import { minMaxOf, splitChannels, type Range } from './quantizer.js';
import { searchRanges } from './histogram.js';

export interface ObserverState {
  kind: ObserverSpec['kind'];
  range: Range | null;
  updates: number;
}

export interface Observer {
  readonly spec: ObserverSpec;
  /** Observes `data` (row-major with `shape`) and returns the range to use. */
  update(data: ArrayLike<number>, shape: readonly number[]): Range;
  range(): Range | null;
  state(): ObserverState;
  loadState(s: ObserverState): void;
}

export interface ObserverContext {
  bits: number;
  symmetric: boolean;
  /** Channel axis, or null for per-tensor. */
  axis: number | null;
}

abstract class BaseObserver implements Observer {
  protected current: Range | null = null;
  protected updates = 0;
  constructor(
    readonly spec: ObserverSpec,
    protected readonly ctx: ObserverContext,
  ) {}
  abstract observe(data: ArrayLike<number>, shape: readonly number[]): Range;
  update(data: ArrayLike<number>, shape: readonly number[]): Range {
    this.current = this.observe(data, shape);
    this.updates++;
    return this.current;
  }
  range(): Range | null {
    return this.current;
  }
  state(): ObserverState {
    return { kind: this.spec.kind, range: this.current && { min: [...this.current.min], max: [...this.current.max] }, updates: this.updates };
  }
  loadState(s: ObserverState): void {
    if (s.kind !== this.spec.kind) throw new Error(`observer state is for "${s.kind}", this observer is "${this.spec.kind}"`);
    this.current = s.range && { min: [...s.range.min], max: [...s.range.max] };
    this.updates = s.updates;
  }
}

class MinMaxObserver extends BaseObserver {
  observe(data: ArrayLike<number>, shape: readonly number[]): Range {
    return minMaxOf(data, shape, this.ctx.axis);
  }
}

class EmaObserver extends BaseObserver {
  observe(data: ArrayLike<number>, shape: readonly number[]): Range {
    const now = minMaxOf(data, shape, this.ctx.axis);
    const prev = this.current;
    if (!prev) return now;
    const m = this.spec.momentum;
    return {
      min: prev.min.map((v, i) => m * v + (1 - m) * now.min[i]),
      max: prev.max.map((v, i) => m * v + (1 - m) * now.max[i]),
    };
  }
}

class HistogramObserver extends BaseObserver {
  observe(data: ArrayLike<number>, shape: readonly number[]): Range {
    const channels = splitChannels(data, shape, this.ctx.axis);
    return searchRanges(channels, { bits: this.ctx.bits, symmetric: this.ctx.symmetric, bins: this.spec.bins });
  }
}

export function createObserver(spec: ObserverSpec, ctx: ObserverContext): Observer {
  switch (spec.kind) {
    case 'minmax':
      return new MinMaxObserver(spec, ctx);
    case 'ema':
      return new EmaObserver(spec, ctx);
    case 'histogram':
      return new HistogramObserver(spec, ctx);
  }
}
