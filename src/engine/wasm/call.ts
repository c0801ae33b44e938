/**
 * Calls another registered kernel of the same backend directly, so composed kernels create only
 * backend-level TensorInfos that they free themselves (tf.tidy inside a kernel leaks: ecosystem.md §2.4.2).
 */
import { tf } from '../tf.js';

type Backend = { disposeData(dataId: object): boolean };
export type Info = tf.TensorInfo;

export function callKernel(
  name: string,
  backendName: string,
  backend: unknown,
  inputs: Record<string, Info>,
  attrs: Record<string, unknown> = {},
): Info {
  const k = tf.getKernel(name, backendName);
  if (!k) throw new Error(`kernel ${name} is not registered for backend ${backendName}`);
  const out = k.kernelFunc({ inputs, attrs: attrs as tf.NamedAttrMap, backend: backend as tf.KernelBackend });
  return Array.isArray(out) ? out[0] : out;
}

/** Frees intermediate TensorInfos created by `callKernel`. */
export function release(backend: unknown, ...infos: Info[]): void {
  for (const t of infos) (backend as Backend).disposeData(t.dataId);
}

/** Resolved 2-D padding: [top, bottom, left, right]. Supports 'same', 'valid' and a uniform number. */
export function resolvePads(
  pad: unknown,
  inH: number,
  inW: number,
  kh: number,
  kw: number,
  sh: number,
  sw: number,
  kernelName: string,
): [number, number, number, number] {
  if (pad === 'valid') return [0, 0, 0, 0];
  if (typeof pad === 'number') return [pad, pad, pad, pad];
  if (pad === 'same') {
    const outH = Math.ceil(inH / sh);
    const outW = Math.ceil(inW / sw);
    const ph = Math.max((outH - 1) * sh + kh - inH, 0);
    const pw = Math.max((outW - 1) * sw + kw - inW, 0);
    const top = Math.floor(ph / 2);
    const left = Math.floor(pw / 2);
    return [top, ph - top, left, pw - left];
  }
  throw new Error(`${kernelName} (Whittle wasm kernel): unsupported padding ${JSON.stringify(pad)}`);
}

export function pair(v: unknown): [number, number] {
  if (typeof v === 'number') return [v, v];
  const a = v as number[];
  return [a[0], a[1]];
}
