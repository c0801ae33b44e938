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
    const flat = new Int32Array(n * l);
    const eot = new Int32Array(n);
    rows.forEach((r, i) => {
      if (r.length !== l) throw new ShapeError(`token row ${i} has length ${r.length}, the model's context length is ${l}`);
      let best = 0;
      for (let j = 0; j < l; j++) {
        const id = r[j];
        if (id < 0 || id >= cfg.vocabSize) throw new ShapeError(`token id ${id} (row ${i}) outside the vocabulary of ${cfg.vocabSize}`);
        flat[i * l + j] = id;
        if (id > r[best]) best = j;
      }
      eot[i] = i * l + best;
    });
    return tf.tidy(() => {
      const ids = tf.tensor2d(flat, [n, l], 'int32');
      const emb = tf.gather(w.tensor('token_embedding.weight'), ids);
      capture?.('token_embedding', emb);
      let h: tf.Tensor = tf.add(emb, w.tensor('positional_embedding'));
      h = this.transformer.apply(h, this.mask, capture);
      h = layerNorm(h, w, 'ln_final');
      capture?.('ln_final', h);
      const width = cfg.transformerWidth;
      const pooled = tf.gather(tf.reshape(h, [n * l, width]), tf.tensor1d(eot, 'int32')) as tf.Tensor2D;
      return tf.matMul(pooled, w.tensor('text_projection') as tf.Tensor2D);
    });
  }
  dispose(): void {
    this.transformer.dispose();
    this.mask.dispose();
  }
}
