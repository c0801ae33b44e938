/** Shared shape of a native kernel: it returns undefined to fall back to the cpu backend's kernel. */
import type { tf } from '../../tf.js';
import type { NativeBackend } from '../backend.js';

export interface NativeArgs {
  inputs: Record<string, tf.TensorInfo | undefined>;
  attrs: Record<string, unknown>;
  backend: NativeBackend;
}
export type NativeKernel = (args: NativeArgs) => tf.TensorInfo | tf.TensorInfo[] | undefined;

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
