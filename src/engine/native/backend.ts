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
interface Entry {
  values?: unknown;
  dtype: tf.DataType;
  refCount: number;
}

interface Pending {
  run: () => void;
  deps: DataId[];
  buf: Float32Array;
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
  /** Kernel-private derived copies of a tensor's data (e.g. a conv input in oneDNN's blocked layout, kept
   * from the forward pass for backward-weights), freed with the data. */
  private derived = new Map<DataId, Float32Array>();

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
      this.pool.recycle(d);
    }
  }

  /** Attaches a pooled derived copy to a tensor's data (see `derived`); replaces (recycles) an older one. */
  setDerived(t: tf.TensorInfo, buf: Float32Array): void {
    const old = this.derived.get(t.dataId);
    if (old && old !== buf) this.pool.recycle(old);
    this.derived.set(t.dataId, buf);
  }

  /** The derived copy attached to a tensor's data, if any. */
  getDerived(t: tf.TensorInfo): Float32Array | undefined {
    return this.derived.get(t.dataId);
  }

  /**
   * A float32 output whose values `run` computes into `buf` only when something reads them (a kernel,
   * readSync, dataSync). If the tensor is disposed unread, the work is skipped: tfjs's fused-conv
   * gradient eagerly computes dx even for the network input, which nothing ever reads. `deps` stay
   * alive (backend refcount) until then.
   */
  lazyOutput(shape: number[], buf: Float32Array, deps: tf.TensorInfo[], run: () => void, tag?: LazyTag): tf.TensorInfo {
    const info = this.makeTensorInfo(shape, 'float32', buf);
    for (const d of deps) this.incRef(d.dataId);
    const p: Pending = { run, deps: deps.map((d) => d.dataId), buf, done: false, tag };
    this.pending.set(info.dataId, p);
    const entry = this.data.get(info.dataId) as unknown as Record<string, unknown>;
    let current: unknown = buf;
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
      if (compute) p.run();
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
