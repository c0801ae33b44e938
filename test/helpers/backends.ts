/**
 * Runs a computation on several backends and returns plain arrays, in the style of tfjs-layers'
 * describeMathCPUAndGPU: every kernel Whittle ships is checked against the cpu backend.
 */
import { tf } from '../../src/engine/tf.js';
import { initBackend, type BackendName } from '../../src/engine/backend.js';

export async function onBackend<T>(name: BackendName, fn: () => T): Promise<T> {
  await initBackend(name);
  return fn();
}

/** max |a − b| / max(|b|) — relative error against a reference. */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return den === 0 ? num : num / den;
}

/** Deterministic uniform(-1,1) data from a tiny LCG, so both backends see the same bytes. */
export function randomArray(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

export { tf };
