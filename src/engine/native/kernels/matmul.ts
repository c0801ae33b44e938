/** BatchMatMul / _FusedMatMul (bias + ReLU) through dnnl_sgemm. */
import { tf } from '../../tf.js';
import { sizeOf, type NativeArgs, type NativeKernel } from './types.js';

function matmul({ inputs, attrs, backend }: NativeArgs, fused: boolean): tf.TensorInfo | undefined {
  const { a, b, bias } = inputs;
  if (!a || !b || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const act = fused ? ((attrs.activation as string | undefined) ?? 'linear') : 'linear';
  if (act !== 'linear' && act !== 'relu') return undefined;
  if (fused && inputs.preluActivationWeights) return undefined;
  const ta = Boolean(attrs.transposeA);
  const tb = Boolean(attrs.transposeB);
  const av = backend.f32(a);
  const bv = backend.f32(b);
  if (!av || !bv) return undefined;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = ta ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = ta ? a.shape[ra - 2] : a.shape[ra - 1];
  const k2 = tb ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = tb ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== k2 || m === 0 || n === 0) return undefined;
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  let outBatch: number[];
  try {
    outBatch = tf.backend_util.assertAndGetBroadcastShape(batchA, batchB);
  } catch {
    return undefined;
  }
  const batch = sizeOf(outBatch);
  const na = sizeOf(batchA);
  const nb = sizeOf(batchB);
  if ((na !== 1 && na !== batch) || (nb !== 1 && nb !== batch)) return undefined;
  let biasV: Float32Array | null = null;
  if (bias) {
    const bb = backend.f32(bias);
    if (!bb || sizeOf(bias.shape) !== n || (bias.shape.length > 0 && bias.shape[bias.shape.length - 1] !== n)) return undefined;
    biasV = bb;
  }
  const outShape = [...outBatch, m, n];
  const out = backend.pool.alloc(sizeOf(outShape));
  if (k === 0) {
    out.fill(0);
  } else {
    backend.addon.gemm(ta, tb, batch, m, n, k, av, na === 1 ? 0 : m * k, bv, nb === 1 ? 0 : k * n, out, biasV, act === 'relu' ? 1 : 0);
    return backend.output(outShape, out);
  }
  if (biasV || act === 'relu') return undefined;
  return backend.output(outShape, out);
}

export const batchMatMul: NativeKernel = (a) => matmul(a, false);
export const fusedMatMul: NativeKernel = (a) => matmul(a, true);
