/** Whittle's CLIP: openai/CLIP in TypeScript (load, tokenize, preprocess, encode, zero-shot). */
export { load, readClipWeights, resolveModelFile, type LoadOptions, type LoadedClip } from './load.js';
export { availableModels, officialModel, type OfficialModel } from './models.js';
export { downloadVerified, defaultCacheDir, sha256File } from './download.js';
export { ClipModel, l2normalize, type ClipOutput } from './model/clip.js';
export { inferConfig, type ClipConfig } from './model/config.js';
export type { StateDict, RawTensor } from './model/weights.js';
export { hfToOpenai, HF_KEY_TABLE } from './hf.js';
export { tokenize, loadTokenizer, SimpleTokenizer, SOT_TOKEN, EOT_TOKEN, type TokenizeOptions } from './tokenizer/index.js';
export { preprocess, preprocessBatch, transformToRgb, normalizeRgb, CLIP_MEAN, CLIP_STD, type ImageLike } from './preprocess/index.js';
export { decodeImageFile } from './preprocess/decode.js';
export { zeroShotClassifier, zeroShotLogits, IMAGENET_TEMPLATES_7, DEFAULT_TEMPLATES } from './zero-shot.js';
export { classify, type ClassifyResult } from './classify.js';
export { ensureTokenizer, VOCAB_URL, VOCAB_SHA256, type VocabOptions } from './vocab.js';
export { OFFICIAL_CONFIGS, clipStateDictShapes, randomClipStateDict } from './model/shapes.js';
