/**
 * Conv / dense layers by registered class name: the plain tfjs layers and the techniques' stand-ins for
 * them (listed in each technique descriptor's `layers`). By name so that models/ and the pruning code
 * need not import the techniques' layer modules. The sets are built on first use: the registry imports
 * modules that import this one.
 */
import type { LayerClassSpec } from '../techniques/descriptor.js';
import { techniqueLayers } from '../techniques/registry.js';

const BASE: readonly LayerClassSpec[] = [
  { className: 'Conv2D', kind: 'conv', kernelVariable: true },
  { className: 'Dense', kind: 'dense', kernelVariable: true },
];

/** A read-only set whose members are computed the first time it is used. */
class LazyClassSet implements ReadonlySet<string> {
  #set: Set<string> | undefined;
  constructor(private readonly pick: (l: LayerClassSpec) => boolean) {}
  private get set(): Set<string> {
    return (this.#set ??= new Set([...BASE, ...techniqueLayers()].filter(this.pick).map((l) => l.className)));
  }
  get size(): number {
    return this.set.size;
  }
  has(v: string): boolean {
    return this.set.has(v);
  }
  forEach(cb: (v: string, k: string, s: ReadonlySet<string>) => void, thisArg?: unknown): void {
    this.set.forEach((v) => cb.call(thisArg, v, v, this));
  }
  entries(): SetIterator<[string, string]> {
    return this.set.entries();
  }
  keys(): SetIterator<string> {
    return this.set.keys();
  }
  values(): SetIterator<string> {
    return this.set.values();
  }
  [Symbol.iterator](): SetIterator<string> {
    return this.set.values();
  }
}

/** Every conv-like class (FLOPs). PQ/block-noise configs carry `kernelShape` [kh, kw, in, out]. */
export const CONV_CLASSES: ReadonlySet<string> = new LazyClassSet((l) => l.kind === 'conv');
export const DENSE_CLASSES: ReadonlySet<string> = new LazyClassSet((l) => l.kind === 'dense');

/**
 * Conv classes whose first weight is a trainable HWIO `kernel` variable, which filter masking (SFP,
 * RePr) can zero and re-initialise. PQ layers hold centroids instead and are left out.
 */
export const KERNEL_CONV_CLASSES: ReadonlySet<string> = new LazyClassSet((l) => l.kind === 'conv' && l.kernelVariable);

/** Dense classes whose first weight is the `[in, out]` kernel variable. */
export const KERNEL_DENSE_CLASSES: ReadonlySet<string> = new LazyClassSet((l) => l.kind === 'dense' && l.kernelVariable);
