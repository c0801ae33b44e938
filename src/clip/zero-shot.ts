/**
 * Zero-shot classification (openai/CLIP notebooks): each class's text features are the average of its
 * L2-normalised prompt-template embeddings, re-normalised; logits = 100 · normalised image features · classesᵀ.
 */
import { tf } from '../engine/tf.js';
import { l2normalize, type ClipModel } from './model/clip.js';
import { tokenizeWith } from './tokenizer/tokenize.js';
import type { SimpleTokenizer } from './tokenizer/bpe.js';

/** The 7-template subset the ImageNet prompt-engineering notebook found by forward selection. */
export const IMAGENET_TEMPLATES_7 = [
  'itap of a {}.', 'a bad photo of the {}.', 'a origami {}.', 'a photo of the large {}.',
  'a {} in a video game.', 'art of the {}.', 'a photo of the small {}.',
];
/** The paper's default single prompt. */
export const DEFAULT_TEMPLATES = ['a photo of a {}.'];

/** Class weight matrix [embed, C] (columns normalised). */
export function zeroShotClassifier(model: ClipModel, classNames: string[], templates: string[], tokenizer: SimpleTokenizer): tf.Tensor2D {
  const cols = classNames.map((c) => {
    const rows = tokenizeWith(tokenizer, templates.map((t) => t.replaceAll('{}', c)), { contextLength: model.config.contextLength, truncate: true });
    return tf.tidy(() => {
      const f = l2normalize(model.encodeText(rows));
      const mean = tf.mean(f, 0, true) as tf.Tensor2D;
      return tf.reshape(l2normalize(mean), [-1]);
    });
  });
  const w = tf.stack(cols, 1) as tf.Tensor2D;
  tf.dispose(cols);
  return w;
}

/** Logits [N, C] = 100 · normalise(imageFeatures) · classifier (the notebook's fixed scale). */
export function zeroShotLogits(imageFeatures: tf.Tensor2D, classifier: tf.Tensor2D, scale = 100): tf.Tensor2D {
  return tf.tidy(() => tf.mul(tf.matMul(l2normalize(imageFeatures), classifier), scale) as tf.Tensor2D);
}
