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

export class NativeBackend extends MathBackendCPU {
  readonly pool: BufferPool;

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
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const e = this.entry(dataId);
    const done = super.disposeData(dataId, force);
    if (e?.values && !this.data.has(dataId)) this.pool.release(e.values);
    return done;
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
