/** Shared helpers for the CLIP tests: fixture paths, golden tensors, capture of batch item 0. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../../src/engine/tf.js';

export const FIX = join(import.meta.dirname, '..', 'fixtures', 'clip');
export const SHARED = join(import.meta.dirname, '..', '..', '..', 'shared', 'clip');

export interface GoldenTensor { shape: number[]; data: number[] }

export function readJson<T = Record<string, unknown>>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - Math.fround(b[i])));
  return m;
}

export function tokenRows(t: GoldenTensor): Int32Array[] {
  const [n, l] = t.shape;
  return Array.from({ length: n }, (_, i) => Int32Array.from(t.data.slice(i * l, (i + 1) * l)));
}

/** A capture callback that keeps batch item 0 of every named activation (NHWC conv maps → CHW). */
export function captureItem0(): { capture: (name: string, t: tf.Tensor) => void; got: Map<string, Float32Array> } {
  const got = new Map<string, Float32Array>();
  const capture = (name: string, t: tf.Tensor) => {
    const first = tf.tidy(() => {
      const one = tf.gather(t, [0]);
      const item = tf.reshape(one, t.shape.slice(1));
      return item.rank === 3 && name.startsWith('visual.') && !name.includes('transformer') && name !== 'visual.ln_pre'
        ? tf.transpose(item, [2, 0, 1])
        : item;
    });
    got.set(name, first.dataSync() as Float32Array);
    first.dispose();
  };
  return { capture, got };
}
