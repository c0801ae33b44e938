/**
 * Browser entry for Whittle's compressed (PQ) model files: no Node APIs (no fs, Buffer, path) — pass the
 * file's bytes as an ArrayBuffer (e.g. from `fetch(url).then(r => r.arrayBuffer())`).
 * Bundle it with tfjs, e.g. `esbuild src/browser/pq-decoder.ts --bundle --format=esm --platform=browser`.
 *
 * @example
 *   import { loadPQModel, tf } from './pq-decoder.js';
 *   const { model } = await loadPQModel(await (await fetch('model.pq')).arrayBuffer());
 *   const logits = model.predict(tf.zeros([1, 32, 32, 3]));
 */
import '@tensorflow/tfjs-backend-cpu';
import { tf, tfl } from '../engine/tf.js';
import { decodePQModel, type DecodedPQFile, type PQLayerMeta } from '../techniques/pq/format.js';

export { tf, tfl, decodePQModel };
export type { DecodedPQFile, PQLayerMeta };

/**
 * Decodes a whittle-pq file into a runnable tfjs model. Uses the current tfjs backend, or `backend`
 * when given ('cpu' is always bundled; register 'webgl'/'wasm' yourself to use them).
 */
export async function loadPQModel(data: ArrayBuffer | Uint8Array, opts: { backend?: string } = {}): Promise<DecodedPQFile> {
  if (opts.backend) await tf.setBackend(opts.backend);
  await tf.ready();
  return decodePQModel(data, 'model.pq');
}
