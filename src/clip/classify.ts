/**
 * The README flow as one call: preprocess images, tokenize labels, encode both, logits and softmax probabilities
 * per image (`logits_per_image.softmax(dim=-1)`), returned as plain arrays.
 */
import { tf } from '../engine/tf.js';
import type { ClipModel } from './model/clip.js';
import type { ImageLike } from './preprocess/index.js';
import { tokenizeWith } from './tokenizer/tokenize.js';
import type { SimpleTokenizer } from './tokenizer/bpe.js';

export interface ClassifyResult {
  tokens: number[][];
  imageFeatures: number[][];
  textFeatures: number[][];
  logitsPerImage: number[][];
  probs: number[][];
}

/** A loaded CLIP (`load` in Node, `loadClip` in the browser entry): the model and its image transform. */
export interface ClipWithPreprocess {
  model: ClipModel;
  preprocess: (img: ImageLike) => Float32Array;
}

export function classify(clip: ClipWithPreprocess, images: ImageLike[], labels: string[], tokenizer: SimpleTokenizer): ClassifyResult {
  const { model } = clip;
  const n = model.inputResolution;
  const batch = new Float32Array(images.length * 3 * n * n);
  images.forEach((im, i) => batch.set(clip.preprocess(im), i * 3 * n * n));
  const rows = tokenizeWith(tokenizer, labels, { contextLength: model.config.contextLength });
  return tf.tidy(() => {
    const img = model.encodeImage(batch);
    const txt = model.encodeText(rows);
    const { logitsPerImage } = model.logits(img, txt);
    const probs = tf.softmax(logitsPerImage, -1);
    return {
      tokens: rows.map((r) => Array.from(r)),
      imageFeatures: img.arraySync(),
      textFeatures: txt.arraySync(),
      logitsPerImage: logitsPerImage.arraySync(),
      probs: (probs as tf.Tensor2D).arraySync(),
    };
  });
}
