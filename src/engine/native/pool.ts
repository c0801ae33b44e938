/**
 * Buffer pool owned by the native backend. Only arrays the pool allocated are ever recycled, and only
 * when (1) every tensor-data entry holding them (or a view of their ArrayBuffer, e.g. a cpu `Slice`
 * subarray) has been disposed, and (2) no `readSync`/`dataSync` handed them out ("escaped"): an escaped
 * array belongs to the caller for good and is left to the garbage collector.
 */
interface Rec {
  holders: number;
  escaped: boolean;
  arr: Float32Array;
}

export interface PoolStats {
  allocated: number;
  reused: number;
  freeBytes: number;
  recycled: number;
  escaped: number;
}

export class BufferPool {
  /** Arrays smaller than this are not pooled (cheap to allocate). */
  readonly minElements: number;
  readonly maxFreeBytes: number;
  private free = new Map<number, Float32Array[]>();
  private recs = new WeakMap<ArrayBufferLike, Rec>();
  private freeBytes = 0;
  readonly stats: PoolStats = { allocated: 0, reused: 0, freeBytes: 0, recycled: 0, escaped: 0 };

  constructor(opts: { minElements?: number; maxFreeBytes?: number } = {}) {
    this.minElements = opts.minElements ?? 4096;
    this.maxFreeBytes = opts.maxFreeBytes ?? 1536 * 2 ** 20;
  }

  /** A Float32Array of `n` elements with unspecified contents, owned by the pool until written to a tensor. */
  alloc(n: number): Float32Array {
    if (n < this.minElements) return new Float32Array(n);
    const list = this.free.get(n);
    let arr = list?.pop();
    if (arr) {
      this.freeBytes -= arr.byteLength;
      this.stats.reused++;
    } else {
      arr = new Float32Array(n);
      this.stats.allocated++;
    }
    this.recs.set(arr.buffer, { holders: 0, escaped: false, arr });
    return arr;
  }

  /** A data entry now holds `values` (called for every write/move into the backend's storage). */
  hold(values: unknown): void {
    const rec = this.rec(values);
    if (rec) rec.holders++;
  }

  /** A data entry holding `values` was deleted. Recycles the buffer when nothing else holds it. */
  release(values: unknown): void {
    const rec = this.rec(values);
    if (!rec) return;
    if (--rec.holders > 0) return;
    this.recs.delete(rec.arr.buffer);
    if (rec.escaped) return;
    this.giveBack(rec.arr);
  }

  /** Returns a scratch array that never reached a tensor (kernel-internal temporaries). */
  recycle(arr: Float32Array): void {
    const rec = this.rec(arr);
    if (!rec || rec.holders > 0 || rec.escaped) return;
    this.recs.delete(arr.buffer);
    this.giveBack(arr);
  }

  /** `values` was handed to user code (dataSync/readSync): never recycle it. */
  escape(values: unknown): void {
    const rec = this.rec(values);
    if (rec && !rec.escaped) {
      rec.escaped = true;
      this.stats.escaped++;
    }
  }

  /** Drops every pooled buffer (e.g. between benchmarks). */
  clear(): void {
    this.free.clear();
    this.freeBytes = 0;
    this.stats.freeBytes = 0;
  }

  private giveBack(arr: Float32Array): void {
    if (this.freeBytes + arr.byteLength > this.maxFreeBytes) return;
    let list = this.free.get(arr.length);
    if (!list) this.free.set(arr.length, (list = []));
    list.push(arr);
    this.freeBytes += arr.byteLength;
    this.stats.freeBytes = this.freeBytes;
    this.stats.recycled++;
  }

  private rec(values: unknown): Rec | undefined {
    if (!(values instanceof Float32Array) && !ArrayBuffer.isView(values)) return undefined;
    return this.recs.get((values as ArrayBufferView).buffer);
  }
}
