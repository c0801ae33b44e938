/**
 * CLIP weights as tf tensors, keyed by openai/CLIP state-dict names. Converts layouts once at load:
 * conv [out, in, kh, kw] → HWIO, linear [out, in] → [in, out], BatchNorm → per-channel scale/shift
 * (PyTorch's inference form: scale = γ / sqrt(var + eps), shift = β − mean · scale).
 */
import { tf } from '../../engine/tf.js';
import { ShapeError } from '../../core/errors.js';

export interface RawTensor {
  shape: number[];
  data: Float32Array | Int32Array;
}
export type StateDict = Map<string, RawTensor>;

export class ClipWeights {
  private readonly cache = new Map<string, tf.Tensor>();
  constructor(readonly sd: StateDict) {}

  has(key: string): boolean {
    return this.sd.has(key);
  }
  raw(key: string): RawTensor {
    const t = this.sd.get(key);
    if (!t) throw new ShapeError(`CLIP state dict has no "${key}"`);
    return t;
  }
  shape(key: string): number[] {
    return this.raw(key).shape;
  }
  private memo(id: string, make: () => tf.Tensor): tf.Tensor {
    let t = this.cache.get(id);
    if (!t) {
      t = tf.keep(make());
      this.cache.set(id, t);
    }
    return t;
  }
  private f32(key: string): Float32Array {
    const d = this.raw(key).data;
    return d instanceof Float32Array ? d : Float32Array.from(d);
  }
  /** As stored. */
  tensor(key: string): tf.Tensor {
    return this.memo(key, () => tf.tensor(this.f32(key), this.shape(key), 'float32'));
  }
  /** Linear weight [out, in] → [in, out]. */
  linear(key: string): tf.Tensor2D {
    return this.memo(`${key}#T`, () => tf.tidy(() => tf.transpose(this.tensor(key) as tf.Tensor2D))) as tf.Tensor2D;
  }
  /** Conv weight [out, in, kh, kw] → [kh, kw, in, out]. */
  conv(key: string): tf.Tensor4D {
    return this.memo(`${key}#hwio`, () => tf.tidy(() => tf.transpose(this.tensor(key), [2, 3, 1, 0]))) as tf.Tensor4D;
  }
  /** BatchNorm (eval) folded to [scale, shift] over channels; eps 1e-5. */
  batchNorm(prefix: string): [tf.Tensor1D, tf.Tensor1D] {
    const scale = this.memo(`${prefix}#scale`, () => {
      const g = this.f32(`${prefix}.weight`);
      const v = this.f32(`${prefix}.running_var`);
      return tf.tensor1d(g.map((x, i) => x * Math.fround(1 / Math.sqrt(Math.fround(v[i] + 1e-5)))));
    }) as tf.Tensor1D;
    const shift = this.memo(`${prefix}#shift`, () => {
      const s = scale.dataSync();
      const b = this.f32(`${prefix}.bias`);
      const m = this.f32(`${prefix}.running_mean`);
      return tf.tensor1d(b.map((x, i) => Math.fround(x - Math.fround(m[i] * s[i]))));
    }) as tf.Tensor1D;
    return [scale, shift];
  }
  /** Conv followed by eval BatchNorm, folded: HWIO filter · scale (per output channel) and the shift as a bias. */
  convBn(convKey: string, bnPrefix: string): [tf.Tensor4D, tf.Tensor1D] {
    const [scale, shift] = this.batchNorm(bnPrefix);
    const filter = this.memo(`${convKey}#hwio*${bnPrefix}`, () =>
      tf.tidy(() => tf.mul(tf.transpose(tf.tensor(this.f32(convKey), this.shape(convKey), 'float32'), [2, 3, 1, 0]), scale)),
    ) as tf.Tensor4D;
    return [filter, shift];
  }
  dispose(): void {
    for (const t of this.cache.values()) t.dispose();
    this.cache.clear();
  }
}
