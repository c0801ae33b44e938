/** Shared setup for the native-backend tests: whether the addon loads, and a cpu-vs-native runner. */
import { tf } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';

let reason: string | undefined;
let checked = false;

/** Undefined when the native backend is usable, else why the native tests skip. */
export async function nativeSkipReason(): Promise<string | undefined> {
  if (!checked) {
    checked = true;
    try {
      await initBackend('native');
    } catch (e) {
      reason = `native backend unavailable: ${(e as Error).message}`;
    }
  }
  return reason;
}

/** Runs `fn` on cpu and on native; returns the flattened outputs of each. */
export async function onBoth(fn: () => tf.Tensor | tf.Tensor[]): Promise<{ cpu: Float32Array[]; native: Float32Array[]; shapes: number[][] }> {
  const run = async (name: 'cpu' | 'native'): Promise<{ vals: Float32Array[]; shapes: number[][] }> => {
    await initBackend(name);
    const out = tf.tidy(fn);
    const list = Array.isArray(out) ? out : [out];
    const vals = list.map((t) => Float32Array.from(t.dataSync() as Float32Array));
    const shapes = list.map((t) => t.shape);
    tf.dispose(list);
    return { vals, shapes };
  };
  const c = await run('cpu');
  const n = await run('native');
  for (let i = 0; i < c.shapes.length; i++) {
    if (c.shapes[i].join(',') !== n.shapes[i].join(',')) throw new Error(`shape mismatch ${c.shapes[i]} vs ${n.shapes[i]}`);
  }
  return { cpu: c.vals, native: n.vals, shapes: c.shapes };
}
