/**
 * The CLIP model: `encodeImage` / `encodeText` return unnormalised features (as openai/CLIP), `forward` returns
 * logits = exp(logit_scale) · normalised image · normalised textᵀ. Images are NCHW float32 as produced by
 * `preprocess` (converted to NHWC internally); texts are token-id rows from `tokenize`.
 */
import { tf } from '../../engine/tf.js';
import { ShapeError } from '../../core/errors.js';
import { inferConfig, type ClipConfig } from './config.js';
import type { Capture } from './layers.js';
import { ModifiedResNet } from './modified-resnet.js';
import { TextTransformer } from './text.js';
import { VisionTransformer } from './vit.js';
import { ClipWeights, type StateDict } from './weights.js';
import { checkClipStateDict } from './check.js';

/** Keys present in official archives that are not weights (deleted by build_model). */
const NON_WEIGHTS = ['input_resolution', 'context_length', 'vocab_size'];

export interface ClipOutput {
  logitsPerImage: tf.Tensor2D;
  logitsPerText: tf.Tensor2D;
}

export class ClipModel {
  readonly config: ClipConfig;
  readonly weights: ClipWeights;
  private readonly visual: VisionTransformer | ModifiedResNet;
  private readonly text: TextTransformer;

  constructor(stateDict: StateDict) {
    const sd = new Map(stateDict);
    for (const k of NON_WEIGHTS) sd.delete(k);
    this.config = inferConfig(sd);
    checkClipStateDict(sd, this.config);
    this.weights = new ClipWeights(sd);
    let visual: VisionTransformer | ModifiedResNet | undefined;
    try {
      visual = typeof this.config.visionLayers === 'number'
        ? new VisionTransformer(this.weights, this.config)
        : new ModifiedResNet(this.weights, this.config);
      this.text = new TextTransformer(this.weights, this.config);
    } catch (e) {
      if (visual instanceof VisionTransformer) visual.dispose();
      this.weights.dispose();
      throw e;
    }
    this.visual = visual;
  }

  get inputResolution(): number {
    return this.config.imageResolution;
  }
  get isVit(): boolean {
    return this.visual instanceof VisionTransformer;
  }

  /** images: NCHW data [N, 3, R, R] (a Float32Array of N·3·R·R, or a tensor). */
  encodeImage(images: Float32Array | tf.Tensor4D, capture?: Capture): tf.Tensor2D {
    const r = this.config.imageResolution;
    return tf.tidy(() => {
      const x = images instanceof Float32Array ? this.nchw(images, r) : images;
      if (x.shape[1] !== 3 || x.shape[2] !== r || x.shape[3] !== r) {
        throw new ShapeError(`encodeImage: expected [N, 3, ${r}, ${r}] images, got [${x.shape}]`);
      }
      return this.visual.apply(tf.transpose(x, [0, 2, 3, 1]), capture);
    });
  }

  private nchw(data: Float32Array, r: number): tf.Tensor4D {
    const per = 3 * r * r;
    if (data.length === 0 || data.length % per !== 0) {
      throw new ShapeError(`encodeImage: ${data.length} values is not a multiple of 3·${r}·${r} (model resolution ${r})`);
    }
    return tf.tensor4d(data, [data.length / per, 3, r, r]);
  }

  /** texts: token-id rows of length contextLength (Int32Array[] from `tokenize`). */
  encodeText(texts: ArrayLike<number>[], capture?: Capture): tf.Tensor2D {
    return this.text.apply(texts, capture);
  }

  /** exp(logit_scale), as the official forward (no clamp). */
  get logitScale(): number {
    return Math.exp(this.weights.raw('logit_scale').data[0]);
  }

  /** Logits from features (normalises both). */
  logits(imageFeatures: tf.Tensor2D, textFeatures: tf.Tensor2D): ClipOutput {
    const logitsPerImage = tf.tidy(() => {
      const i = l2normalize(imageFeatures);
      const t = l2normalize(textFeatures);
      return tf.mul(tf.scalar(Math.fround(this.logitScale)), tf.matMul(i, t, false, true)) as tf.Tensor2D;
    });
    return { logitsPerImage, logitsPerText: tf.transpose(logitsPerImage) };
  }

  forward(images: Float32Array | tf.Tensor4D, texts: ArrayLike<number>[]): ClipOutput {
    const img = this.encodeImage(images);
    const txt = this.encodeText(texts);
    const out = this.logits(img, txt);
    tf.dispose([img, txt]);
    return out;
  }

  dispose(): void {
    this.text.dispose();
    if (this.visual instanceof VisionTransformer) this.visual.dispose();
    this.weights.dispose();
  }
}

export function l2normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.norm(x, 'euclidean', 1, true)) as tf.Tensor2D);
}
