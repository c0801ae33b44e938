import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { attention, type AttnProj } from '../../src/clip/model/layers.js';
import { readClipWeights } from '../../src/clip/load.js';
import { ClipModel } from '../../src/clip/model/clip.js';
import { loadTokenizer } from '../../src/clip/tokenizer/index.js';
import { zeroShotClassifier, zeroShotLogits, IMAGENET_TEMPLATES_7 } from '../../src/clip/zero-shot.js';
import { randomArray } from '../helpers/backends.js';
import { SHARED } from './helpers.js';

/** Reference multi-head attention in plain loops (nn.MultiheadAttention math). */
function naive(xq: number[][], xkv: number[][], W: Record<string, number[][]>, B: Record<string, number[]>, heads: number, causal: boolean) {
  const lin = (x: number[], w: number[][], b: number[]) => w[0].map((_, j) => x.reduce((s, v, i) => s + v * w[i][j], b[j]));
  const q = xq.map((x) => lin(x, W.q, B.q));
  const k = xkv.map((x) => lin(x, W.k, B.k));
  const v = xkv.map((x) => lin(x, W.v, B.v));
  const width = q[0].length;
  const d = width / heads;
  const out = q.map(() => new Array<number>(width).fill(0));
  for (let h = 0; h < heads; h++) {
    q.forEach((qi, i) => {
      const s = k.map((kj, j) => (causal && j > i ? -Infinity : qi.slice(h * d, h * d + d).reduce((a, x, t) => a + x * kj[h * d + t], 0) / Math.sqrt(d)));
      const m = Math.max(...s);
      const e = s.map((x) => Math.exp(x - m));
      const z = e.reduce((a, b) => a + b, 0);
      for (let t = 0; t < d; t++) out[i][h * d + t] = e.reduce((a, ej, j) => a + (ej / z) * v[j][h * d + t], 0);
    });
  }
  return out.map((o) => lin(o, W.o, B.o));
}

test('multi-head attention (2 and 4 heads, causal mask, query subset) matches a loop reference', async () => {
  await initBackend('cpu');
  const width = 8;
  const L = 5;
  for (const heads of [2, 4]) {
    const mk = (seed: number, r: number, c: number) => {
      const a = randomArray(r * c, seed);
      return Array.from({ length: r }, (_, i) => Array.from(a.slice(i * c, (i + 1) * c)));
    };
    const W = { q: mk(1, width, width), k: mk(2, width, width), v: mk(3, width, width), o: mk(4, width, width) };
    const B = { q: mk(5, 1, width)[0], k: mk(6, 1, width)[0], v: mk(7, 1, width)[0], o: mk(8, 1, width)[0] };
    const x = mk(9, L, width);
    const t2 = (m: number[][]) => tf.tensor2d(m);
    const p: AttnProj = { wq: t2(W.q), bq: tf.tensor1d(B.q), wk: t2(W.k), bk: tf.tensor1d(B.k), wv: t2(W.v), bv: tf.tensor1d(B.v), wo: t2(W.o), bo: tf.tensor1d(B.o) };
    const mask = tf.tensor2d(Array.from({ length: L }, (_, i) => Array.from({ length: L }, (_, j) => (j > i ? -Infinity : 0))));
    const xs = tf.tensor3d([x]);
    const full = attention(xs, xs, p, heads, mask);
    const first = attention(tf.slice(xs, [0, 0, 0], [1, 1, width]), xs, p, heads);
    const refFull = naive(x, x, W, B, heads, true).flat();
    const refFirst = naive([x[0]], x, W, B, heads, false).flat();
    const df = Math.max(...Array.from(full.dataSync(), (v, i) => Math.abs(v - refFull[i])));
    const d1 = Math.max(...Array.from(first.dataSync(), (v, i) => Math.abs(v - refFirst[i])));
    assert.ok(df < 1e-5 && d1 < 1e-5, `heads ${heads}: ${df} ${d1}`);
    tf.dispose([full, first, xs, mask, ...Object.values(p)]);
  }
});

test('zero-shot classifier: normalised template-averaged class columns; logits = 100·cos', async () => {
  await initBackend('cpu');
  const m = new ClipModel(readClipWeights(join(SHARED, 'tiny_vit', 'tiny_clip_vit_state_dict.pt')).stateDict);
  const tok = loadTokenizer(join(SHARED, 'bpe_simple_vocab_16e6.txt.gz'));
  const w = zeroShotClassifier(m, ['cat', 'dog', 'diagram'], IMAGENET_TEMPLATES_7.slice(0, 3), tok);
  assert.deepEqual(w.shape, [m.config.embedDim, 3]);
  const norms = tf.norm(w, 'euclidean', 0).dataSync();
  for (const n of norms) assert.ok(Math.abs(n - 1) < 1e-5);
  const img = m.encodeImage(new Float32Array(3 * 32 * 32).fill(0.1));
  const logits = zeroShotLogits(img, w);
  assert.deepEqual(logits.shape, [1, 3]);
  for (const v of logits.dataSync()) assert.ok(Math.abs(v) <= 100 + 1e-3);
  tf.dispose([w, img, logits]);
  m.dispose();
});
