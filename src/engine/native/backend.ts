/**
 * The `native` tfjs backend: tfjs's cpu backend (so every kernel exists) whose hot kernels run in the
 * oneDNN addon, with a buffer pool it owns (pool.ts). Data entries are tracked on write/move/dispose so
 * that a buffer is recycled only when no tensor and no escaped `dataSync()` array can still see it.
 */
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { tf } from '../tf.js';
import type { NativeAddon } from './addon.js';
import { BufferPool } from './pool.js';

type DataId = object;
/** Values of a lazy output whose buffer is not allocated yet (never handed out: reads compute first). */
const NOT_YET = new Float32Array(0);
interface Entry {
  values?: unknown;
  dtype: tf.DataType;
  refCount: number;
}

interface Pending {
  run: (out: Float32Array) => void;
  deps: DataId[];
  /** The output buffer; allocated (pooled) only when the values are computed, unless given up front. */
  buf?: Float32Array;
  size: number;
  /** Makes `buf` the entry's values. */
  attach: (buf: Float32Array) => void;
  done: boolean;
  /** What the pending output will be (e.g. a sum of two tensors), for consumers that fuse it in. */
  tag?: LazyTag;
}

/** A pending `a + b` (same shapes, float32): a consumer may read a and b instead of the sum. */
export interface LazyTag { op: 'add'; a: tf.TensorInfo; b: tf.TensorInfo }

export class NativeBackend extends MathBackendCPU {
  readonly pool: BufferPool;
  /** Outputs computed on first read of their values (see `lazyOutput`). */
  private pending = new Map<DataId, Pending>();
  /** Kernel-private derived copies of a tensor's data, freed with the data: its values in oneDNN's blocked
   * layout nChw16c (see `blocked16`). `make` fills a copy not computed yet. */
  private derived = new Map<DataId, { buf: Float32Array; make?: () => void }>();
  /** Per-channel batch mean and biased variance of a tensor, where the kernel that made it computed them on
   * the way (see `batchStats`). */
  private stats = new WeakMap<DataId, { mean: Float32Array; variance: Float32Array }>();
  /** Copies of a weight tensor in a kernel's preferred layout, by layout key, freed with the data (see
   * `preparedCopy`). */
  private prepared = new Map<DataId, Map<string, Float32Array>>();

  constructor(readonly addon: NativeAddon, pool?: BufferPool) {
    super();
    this.pool = pool ?? new BufferPool();
    // The cpu backend prints a "use tfjs-node" banner on first write; this backend is the fast path.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  private entry(dataId: DataId): Entry | undefined {
    return this.data.has(dataId) ? (this.data.get(dataId) as unknown as Entry) : undefined;
  }

  override write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): DataId {
    const id = super.write(values, shape, dtype);
    this.pool.hold(values);
    return id;
  }

  override move(dataId: DataId, values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType, refCount: number): void {
    const old = this.entry(dataId);
    super.move(dataId, values, shape, dtype, refCount);
    this.pool.hold(values);
    if (old?.values) this.pool.release(old.values);
    this.dropDerived(dataId); // new values: a derived copy of the old ones is stale
    this.stats.delete(dataId);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const e = this.entry(dataId);
    const p = this.pending.get(dataId);
    const values = p ? p.buf : e?.values; // reading a pending entry's values would compute it
    const done = super.disposeData(dataId, force);
    if (e && !this.data.has(dataId)) {
      if (p) this.settle(dataId, p, false);
      if (values) this.pool.release(values);
      this.dropDerived(dataId);
    }
    return done;
  }

  private dropDerived(dataId: DataId): void {
    const d = this.derived.get(dataId);
    if (d) {
      this.derived.delete(dataId);
      this.pool.recycle(d.buf);
    }
    const p = this.prepared.get(dataId);
    if (p) {
      this.prepared.delete(dataId);
      for (const b of p.values()) this.pool.recycle(b);
    }
  }

  /**
   * A kernel-private copy of t's values in another layout (e.g. conv weights as a oneDNN primitive wants
   * them), kept while t's data lives: `filled` is false when it was just allocated and must be written.
   */
  preparedCopy(t: tf.TensorInfo, key: string, size: number): { buf: Float32Array; filled: boolean } {
    let m = this.prepared.get(t.dataId);
    if (!m) this.prepared.set(t.dataId, (m = new Map()));
    const have = m.get(key);
    if (have) return { buf: have, filled: true };
    const buf = this.pool.alloc(size);
    m.set(key, buf);
    return { buf, filled: false };
  }

  /** How many prepared copies are held (all tensors). */
  preparedCount(): number {
    let n = 0;
    for (const m of this.prepared.values()) n += m.size;
    return n;
  }

  /** Drops a prepared copy (e.g. the kernel that was to fill it failed). */
  forgetPrepared(t: tf.TensorInfo, key: string): void {
    const m = this.prepared.get(t.dataId);
    const b = m?.get(key);
    if (!m || !b) return;
    m.delete(key);
    this.pool.recycle(b);
  }

  /** Records the per-channel batch mean and biased variance of t's values (over all axes but the last). */
  setBatchStats(t: tf.TensorInfo, mean: Float32Array, variance: Float32Array): void {
    this.stats.set(t.dataId, { mean, variance });
  }

  /** t's per-channel batch mean and biased variance if its kernel recorded them, else undefined. */
  batchStats(t: tf.TensorInfo): { mean: Float32Array; variance: Float32Array } | undefined {
    return this.stats.get(t.dataId);
  }

  /** Attaches a pooled nChw16c copy of a tensor's values (replacing, recycling, an older one). */
  setBlocked16(t: tf.TensorInfo, buf: Float32Array, make?: () => void): void {
    const old = this.derived.get(t.dataId);
    if (old && old.buf !== buf) this.pool.recycle(old.buf);
    this.derived.set(t.dataId, { buf, make });
  }

  /** The tensor's values in nChw16c (filled now if pending), if a kernel attached them; else undefined. */
  blocked16(t: tf.TensorInfo): Float32Array | undefined {
    const d = this.derived.get(t.dataId);
    if (!d) return undefined;
    if (d.make) {
      const make = d.make;
      d.make = undefined;
      make();
    }
    return d.buf;
  }

  /**
   * The tensor's values in nChw16c: its attached copy, or one converted now from NHWC (and attached), for a
   * float32 [n, h, w, c] tensor with c a multiple of 16; else undefined.
   */
  toBlocked16(t: tf.TensorInfo): Float32Array | undefined {
    const have = this.blocked16(t);
    if (have) return have;
    const [n, h, w, c] = t.shape;
    if (t.shape.length !== 4 || c % 16 !== 0) return undefined;
    const v = this.f32(t);
    if (!v || v.length === 0) return undefined;
    const b = this.pool.alloc(v.length);
    this.addon.toBlocked16(v, n, h * w, c, b);
    this.setBlocked16(t, b);
    return b;
  }

  /**
   * An NHWC float32 output [n, h, w, c] known in nChw16c (`b16`, pooled): the NHWC values are computed from
   * it when something reads them. With `make`, b16 itself is filled on first use (by `blocked16` or the
   * NHWC read) and `deps` stay alive until the NHWC values exist or the output is disposed.
   */
  blockedOutput(shape: number[], b16: Float32Array, deps: tf.TensorInfo[] = [], make?: () => void): tf.TensorInfo {
    const [n, h, w, c] = shape;
    const info: tf.TensorInfo = this.lazyOutput(shape, b16.length, deps, (nhwc) => {
      this.addon.fromBlocked16(this.blocked16(info)!, n, h * w, c, nhwc);
    });
    this.setBlocked16(info, b16, make);
    return info;
  }

  /** Replaces the computation of a pending lazy output (e.g. dx, now from a blocked copy). */
  replaceLazyRun(t: tf.TensorInfo, run: (out: Float32Array) => void): boolean {
    const p = this.pending.get(t.dataId);
    if (!p || p.done) return false;
    p.run = run;
    return true;
  }

  /**
   * A float32 output whose values `run` computes into its buffer only when something reads them (a kernel,
   * readSync, dataSync). If the tensor is disposed unread, the work is skipped: tfjs's fused-conv
   * gradient eagerly computes dx even for the network input, which nothing ever reads. `deps` stay
   * alive (backend refcount) until then. `buf`: the output buffer, or its size to allocate it (pooled)
   * only when needed: a blocked activation's NHWC form is often never read.
   */
  lazyOutput(shape: number[], buf: Float32Array | number, deps: tf.TensorInfo[], run: (out: Float32Array) => void, tag?: LazyTag): tf.TensorInfo {
    const given = typeof buf === 'number' ? undefined : buf;
    const info = this.makeTensorInfo(shape, 'float32', given ?? NOT_YET);
    for (const d of deps) this.incRef(d.dataId);
    let current: unknown = given ?? NOT_YET;
    const p: Pending = {
      run, deps: deps.map((d) => d.dataId), buf: given, size: given ? given.length : (buf as number), done: false, tag,
      attach: (b) => {
        current = b;
      },
    };
    this.pending.set(info.dataId, p);
    const entry = this.data.get(info.dataId) as unknown as Record<string, unknown>;
    Object.defineProperty(entry, 'values', {
      configurable: true,
      enumerable: true,
      get: () => {
        if (!p.done) this.settle(info.dataId, p, true);
        return current;
      },
      set: (v: unknown) => {
        current = v;
      },
    });
    return info;
  }

  /** The buffer of a pending lazy output, allocated now if it was deferred; undefined if not pending. */
  lazyBuffer(t: tf.TensorInfo): Float32Array | undefined {
    const p = this.pending.get(t.dataId);
    return p && !p.done ? this.bufferOf(p) : undefined;
  }

  private bufferOf(p: Pending): Float32Array {
    if (!p.buf) {
      p.buf = this.pool.alloc(p.size);
      this.pool.hold(p.buf);
      p.attach(p.buf);
    }
    return p.buf;
  }

  /**
   * Marks a pending lazy output as computed by another kernel, which wrote its buffer (e.g. both conv
   * backward passes in one call). False if it is not pending (already computed or disposed).
   */
  completeLazy(t: tf.TensorInfo): boolean {
    const p = this.pending.get(t.dataId);
    if (!p || p.done) return false;
    this.settle(t.dataId, p, false);
    return true;
  }

  /** Whether a lazy output has not been computed yet (and is not disposed). */
  isPending(t: tf.TensorInfo): boolean {
    const p = this.pending.get(t.dataId);
    return !!p && !p.done;
  }

  /** The tag of a still-pending lazy output (its deps are alive until it settles), else undefined. */
  pendingTag(t: tf.TensorInfo): LazyTag | undefined {
    const p = this.pending.get(t.dataId);
    return p && !p.done ? p.tag : undefined;
  }

  private settle(dataId: DataId, p: Pending, compute: boolean): void {
    if (p.done) return;
    p.done = true;
    this.pending.delete(dataId);
    try {
      if (compute) p.run(this.bufferOf(p));
    } finally {
      for (const d of p.deps) this.disposeData(d);
    }
  }

  override readSync(dataId: DataId): tf.backend_util.BackendValues {
    const e = this.entry(dataId);
    if (e?.values) this.pool.escape(e.values);
    return super.readSync(dataId);
  }

  /** Float32 values of a tensor in this backend, or undefined when it is not plain float32 data. */
  f32(t: tf.TensorInfo): Float32Array | undefined {
    if (t.dtype !== 'float32') return undefined;
    const v = this.entry(t.dataId)?.values;
    return v instanceof Float32Array ? v : undefined;
  }

  /** A float32 output from a pooled array. */
  output(shape: number[], values: Float32Array): tf.TensorInfo {
    return this.makeTensorInfo(shape, 'float32', values);
  }
}
