/**
 * CLIP text tower: token embedding + positional embedding, transformer with a causal mask (−inf strictly above
 * the diagonal), ln_final, the row at argmax(ids) per sequence (the first EOT: 49407 is the largest id), @ text_projection.
 */
import { tf } from '../../engine/tf.js';
import { ShapeError } from '../../core/errors.js';
import type { ClipConfig } from './config.js';
import { layerNorm, Transformer, type Capture } from './layers.js';
import type { ClipWeights } from './weights.js';

export class TextTransformer {
  private readonly transformer: Transformer;
  private readonly mask: tf.Tensor2D;
  constructor(private readonly w: ClipWeights, private readonly cfg: ClipConfig) {
    this.transformer = new Transformer(w, 'transformer', cfg.transformerLayers, cfg.transformerHeads);
    const l = cfg.contextLength;
    const m = new Float32Array(l * l);
    for (let i = 0; i < l; i++) for (let j = i + 1; j < l; j++) m[i * l + j] = -Infinity;
    this.mask = tf.keep(tf.tensor2d(m, [l, l]));
  }

  /** ids: rows of contextLength token ids → [N, embed]. */
  apply(rows: ArrayLike<number>[], capture?: Capture): tf.Tensor2D {
    const { w, cfg } = this;
    const l = cfg.contextLength;
    const n = rows.length;
    const pos = new Int32Array(n);
    rows.forEach((r, i) => {
      if (r.length !== l) throw new ShapeError(`token row ${i} has length ${r.length}, the model's context length is ${l}`);
      let best = 0;
      for (let j = 0; j < l; j++) {
        const id = r[j];
        if (id < 0 || id >= cfg.vocabSize) throw new ShapeError(`token id ${id} (row ${i}) outside the vocabulary of ${cfg.vocabSize}`);
        if (id > r[best]) best = j;
      }
      pos[i] = best;
    });
    // Causal mask: positions after a row's EOT never reach it, so the batch runs only up to the last EOT
    // (same result, far less work for short prompts). With `capture`, all positions run (full intermediates).
    const len = capture ? l : Math.max(...pos) + 1;
    const flat = new Int32Array(n * len);
    rows.forEach((r, i) => flat.set(Array.prototype.slice.call(r, 0, len) as number[], i * len));
    return tf.tidy(() => {
      const ids = tf.tensor2d(flat, [n, len], 'int32');
      const emb = tf.gather(w.tensor('token_embedding.weight'), ids);
      capture?.('token_embedding', emb);
      const width = cfg.transformerWidth;
      let h: tf.Tensor = tf.add(emb, tf.slice(w.tensor('positional_embedding'), [0, 0], [len, width]));
      const mask = len === l ? this.mask : tf.slice(this.mask, [0, 0], [len, len]);
      h = this.transformer.apply(h, mask, capture);
      h = layerNorm(h, w, 'ln_final');
      capture?.('ln_final', h);
      const index = tf.tensor1d(Array.from(pos, (p, i) => i * len + p), 'int32');
      const pooled = tf.gather(tf.reshape(h, [n * len, width]), index) as tf.Tensor2D;
      return tf.matMul(pooled, w.tensor('text_projection') as tf.Tensor2D);
    });
  }
  dispose(): void {
    this.transformer.dispose();
    this.mask.dispose();
  }
}
