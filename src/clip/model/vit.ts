/**
 * CLIP VisionTransformer: patch conv (kernel = stride = patch, no bias) → grid² tokens, class token prepended,
 * + positional embedding, ln_pre, transformer (no mask), ln_post on the class token, @ proj.
 */
import { tf } from '../../engine/tf.js';
import type { ClipConfig } from './config.js';
import { layerNorm, Transformer, type Capture } from './layers.js';
import type { ClipWeights } from './weights.js';

export class VisionTransformer {
  private readonly transformer: Transformer;
  constructor(private readonly w: ClipWeights, private readonly cfg: ClipConfig) {
    this.transformer = new Transformer(w, 'visual.transformer', cfg.visionLayers as number, cfg.visionHeads);
  }
  /** x: NHWC [N, R, R, 3] → [N, embed]. */
  apply(x: tf.Tensor4D, capture?: Capture): tf.Tensor2D {
    const { w, cfg } = this;
    return tf.tidy(() => {
      const p = cfg.visionPatchSize!;
      const conv = tf.conv2d(x, w.conv('visual.conv1.weight'), p, 'valid');
      capture?.('visual.conv1', conv);
      const [n, g1, g2, width] = conv.shape;
      const tokens = tf.reshape(conv, [n, g1 * g2, width]);
      const cls = tf.tile(tf.reshape(w.tensor('visual.class_embedding'), [1, 1, width]), [n, 1, 1]);
      let h: tf.Tensor = tf.add(tf.concat([cls, tokens], 1), w.tensor('visual.positional_embedding'));
      h = layerNorm(h, w, 'visual.ln_pre');
      capture?.('visual.ln_pre', h);
      h = this.transformer.apply(h, undefined, capture);
      const first = tf.reshape(tf.slice(h, [0, 0, 0], [n, 1, width]), [n, width]);
      const post = layerNorm(first, w, 'visual.ln_post');
      capture?.('visual.ln_post', post);
      return tf.matMul(post as tf.Tensor2D, w.tensor('visual.proj') as tf.Tensor2D);
    });
  }
  dispose(): void {
    this.transformer.dispose();
  }
}
