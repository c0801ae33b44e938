/**
 * Runs exported models with stock TensorFlow.js only (tfjs-core, tfjs-backend-cpu, tfjs-layers; nothing
 * of Whittle is imported), loading them the way a browser does: `tf.loadLayersModel` over HTTP, which
 * reads model.json, its weightsManifest and the shards. Usage: node stock-tfjs-run.mjs ROOT JOBS.json
 * where each job is { model: "sub/dir/model.json", input: "x.f32", shape: [n, h, w, c], output: "y.f32" }
 * (paths relative to ROOT). Writes each model's outputs as raw float32; a job with expectError: true writes
 * the error message of a load that must fail (or "loaded").
 */
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';
import process from 'node:process';
import { URL } from 'node:url';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, normalize } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';

const [root, jobsFile] = process.argv.slice(2);
const server = createServer((req, res) => {
  const rel = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^\/+/, '');
  try {
    const body = readFileSync(join(root, rel));
    // No keep-alive: a socket idle through a long predict() would be reset under fetch's feet.
    res.writeHead(200, { Connection: 'close' });
    res.end(body);
  } catch {
    res.writeHead(404);
    res.end();
  }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const port = server.address().port;
await tf.setBackend('cpu');
try {
  for (const job of JSON.parse(readFileSync(jobsFile, 'utf8'))) {
    process.stderr.write(`loading ${job.model}\n`);
    if (job.expectError) {
      // A model that must not load: record what stock tfjs says.
      const message = await tfl.loadLayersModel(`http://127.0.0.1:${port}/${job.model}`).then(() => 'loaded', (e) => String(e.message));
      writeFileSync(join(root, job.output), message);
      continue;
    }
    const model = await tfl.loadLayersModel(`http://127.0.0.1:${port}/${job.model}`);
    const buf = readFileSync(join(root, job.input));
    const x = tf.tensor(new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4), job.shape);
    const y = model.predict(x);
    writeFileSync(join(root, job.output), Buffer.from((await y.data()).buffer));
    tf.dispose([x, y]);
    model.dispose();
  }
} finally {
  server.close();
}
