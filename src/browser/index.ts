/**
 * `whittle/browser`: everything that runs in a browser, with no Node API anywhere in its module graph
 * (test/package/entry-graph.test.ts checks it): the PQ decoder, int8/int4 quantised weights, the CLIP
 * tokenizer, image preprocessing and model. Pass file bytes (`await (await fetch(url)).arrayBuffer()`).
 * tfjs's cpu backend is always registered; register webgl (`@tensorflow/tfjs-backend-webgl`) or wasm
 * (`@tensorflow/tfjs-backend-wasm`) yourself and pick it with `tf.setBackend`.
 *
 * @example
 *   import { loadPQModel, tf } from 'whittle/browser';
 *   const { model } = await loadPQModel(await (await fetch('model.pq')).arrayBuffer());
 *   const logits = model.predict(tf.zeros([1, 32, 32, 3]));
 */
import { tf, tfl } from '../engine/tf.js';
import { loadQuantizedInto } from '../techniques/quant/export.js';
import { ClipModel } from '../clip/model/clip.js';
import { preprocess, type ImageLike } from '../clip/preprocess/index.js';
import { clipStateDictFromBytes } from '../clip/weights-bytes.js';
import { SimpleTokenizer } from '../clip/tokenizer/bpe.js';
import '../techniques/quant/layers.js';

export { tf, tfl };
export { loadPQModel, decodePQModel, type DecodedPQFile, type PQLayerMeta } from './pq-decoder.js';
export { decodeQuantized, loadQuantizedInto, unpackCodes } from '../techniques/quant/export.js';
export { readSafetensors, type SafeTensor } from '../io/safetensors.js';
export { WhittleError, FormatError, ShapeError, ConfigError } from '../core/errors.js';
export { ClipModel, l2normalize, type ClipOutput } from '../clip/model/clip.js';
export { inferConfig, type ClipConfig } from '../clip/model/config.js';
export { clipStateDictFromBytes, type ClipWeightsFormat } from '../clip/weights-bytes.js';
export { SimpleTokenizer, SOT_TOKEN, EOT_TOKEN } from '../clip/tokenizer/bpe.js';
export { tokenizeWith, type TokenizeRowsOptions } from '../clip/tokenizer/tokenize.js';
export { preprocess, preprocessBatch, transformToRgb, normalizeRgb, CLIP_MEAN, CLIP_STD, type ImageLike } from '../clip/preprocess/index.js';
export { zeroShotClassifier, zeroShotLogits, IMAGENET_TEMPLATES_7, DEFAULT_TEMPLATES } from '../clip/zero-shot.js';
export { classify, type ClassifyResult, type ClipWithPreprocess } from '../clip/classify.js';

type Bytes = ArrayBuffer | Uint8Array;
const u8 = (b: Bytes) => (b instanceof Uint8Array ? b : new Uint8Array(b));

/**
 * A model from its topology (a checkpoint's or `whittle quant`'s model.json, parsed) with the weights of
 * a quantised export (`whittle quant` int8/int4 safetensors), dequantised into float32 variables.
 */
export async function loadQuantizedModel(modelJson: { modelTopology: object }, weights: Bytes, fileName = 'weights.safetensors'): Promise<tfl.LayersModel> {
  const model = (await tfl.models.modelFromJSON({ modelTopology: modelJson.modelTopology as tf.io.ModelJSON['modelTopology'] })) as tfl.LayersModel;
  loadQuantizedInto(model, u8(weights), fileName);
  return model;
}

/** The CLIP tokenizer from the bytes of `bpe_simple_vocab_16e6.txt.gz` (openai/CLIP's vocabulary). */
export function loadClipTokenizer(vocabGz: Bytes): SimpleTokenizer {
  return SimpleTokenizer.fromBytes(u8(vocabGz), 'bpe_simple_vocab_16e6.txt.gz');
}

/** CLIP from a weights file's bytes (TorchScript / state_dict .pt, or safetensors) and its image transform. */
export function loadClip(weights: Bytes, name = '<buffer>'): { model: ClipModel; preprocess: (img: ImageLike) => Float32Array } {
  const model = new ClipModel(clipStateDictFromBytes(u8(weights), name).stateDict);
  return { model, preprocess: (img) => preprocess(img, model.inputResolution) };
}
