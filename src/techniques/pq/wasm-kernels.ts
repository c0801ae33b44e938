/**
 * tfjs-backend-wasm 4.22 has no `UnsortedSegmentSum`, which the gradient of `gather` needs — and so
 * PQ centroid fine-tuning (layers.ts) on wasm. This registers a plain-JS one for wasm when missing:
 * out[s, …] = Σ_{i: ids[i] = s} x[i, …], 1-D segment ids over the first axis (the only form `gather`'s
 * gradient and layers.ts produce). Idempotent; a no-op where the kernel exists.
 */
import { tf } from '../../engine/tf.js';

interface WasmLike {
  readSync(dataId: object): ArrayLike<number>;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: Float32Array): tf.TensorInfo;
}

export function registerPQWasmKernels(): void {
  if (tf.getKernel('UnsortedSegmentSum', 'wasm')) return;
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const x = inputs.x as tf.TensorInfo;
      const ids = inputs.segmentIds as tf.TensorInfo;
      const numSegments = attrs?.numSegments as number;
      if (ids.shape.length !== 1 || ids.shape[0] !== x.shape[0] || x.dtype !== 'float32') {
        throw new Error(`UnsortedSegmentSum (Whittle wasm): needs float32 x and 1-D segment ids over axis 0, got x [${x.shape}] ${x.dtype}, ids [${ids.shape}]`);
      }
      const b = backend as unknown as WasmLike;
      const xv = b.readSync(x.dataId);
      const iv = b.readSync(ids.dataId);
      const inner = x.shape.slice(1).reduce((a, c) => a * c, 1);
      const out = new Float32Array(numSegments * inner);
      for (let i = 0; i < iv.length; i++) {
        const s = iv[i];
        if (s < 0 || s >= numSegments) continue; // TF semantics: out-of-range ids are dropped
        const o = s * inner;
        const xo = i * inner;
        for (let t = 0; t < inner; t++) out[o + t] += xv[xo + t];
      }
      return b.makeOutput([numSegments, ...x.shape.slice(1)], 'float32', undefined, out);
    },
  });
}
