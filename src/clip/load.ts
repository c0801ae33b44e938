/**
 * `load(nameOrPath, opts)` as openai/CLIP's clip.load: an official name is downloaded into the cache (verified
 * SHA-256, reused when valid); a path may be the official TorchScript .pt, a plain state-dict .pt, or a
 * Hugging Face model.safetensors (key names mapped). Returns the model and its preprocessing function.
 */
import { existsSync } from 'node:fs';
import { WhittleError } from '../core/errors.js';
import { readRegularFile } from '../io/read-file.js';
import { downloadVerified, stderrProgress, type DownloadOptions } from './download.js';
import { clipStateDictFromBytes } from './weights-bytes.js';
import { ClipModel } from './model/clip.js';
import type { StateDict } from './model/weights.js';
import { availableModels, officialModel, sha256FromUrl } from './models.js';
import { preprocess, type ImageLike } from './preprocess/index.js';

export interface LoadOptions extends DownloadOptions {
  /** Overrides the download URL of an official name (mirrors, tests); a …/<sha256>/<file> URL sets the expected hash. */
  url?: string;
  /** Print download progress to stderr (default true). */
  progress?: boolean;
}

export interface LoadedClip {
  model: ClipModel;
  /** The CLIP transform at the model's input resolution: CHW float32. */
  preprocess: (img: ImageLike) => Float32Array;
  /** The file the weights came from and its format. */
  path: string;
  format: 'torchscript' | 'state_dict' | 'safetensors';
}

/** Reads CLIP weights from a file (format detected from the content). */
export function readClipWeights(path: string): { stateDict: StateDict; format: LoadedClip['format'] } {
  // a regular file (a FIFO or device would block or never end) that Node can read in one piece
  const b = readRegularFile(path, { maxBytes: 2 ** 31 - 1, what: 'CLIP weights' });
  return clipStateDictFromBytes(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), path);
}

/** Resolves a name or path to a local file, downloading official names into the cache. */
export async function resolveModelFile(nameOrPath: string, opts: LoadOptions = {}): Promise<string> {
  const official = officialModel(nameOrPath);
  if (official) {
    const onProgress = opts.onProgress ?? (opts.progress === false ? undefined : stderrProgress(`downloading ${official.fileName}`));
    const onWarning = opts.onWarning ?? ((m: string) => console.warn(`whittle: ${m}`));
    // a mirror URL of the official pattern (…/<sha256>/<file>) carries its own expected hash
    const url = opts.url ?? official.url;
    return downloadVerified(url, sha256FromUrl(url) ?? official.sha256, { ...opts, onProgress, onWarning });
  }
  if (existsSync(nameOrPath)) return nameOrPath;
  const names = availableModels().map((m) => m.name).join(', ');
  throw new WhittleError(`Model ${nameOrPath} not found; available models = [${names}] (or pass a path to a .pt / .safetensors file)`);
}

export async function load(nameOrPath: string, opts: LoadOptions = {}): Promise<LoadedClip> {
  const path = await resolveModelFile(nameOrPath, opts);
  const { stateDict, format } = readClipWeights(path);
  const model = new ClipModel(stateDict);
  const n = model.inputResolution;
  return { model, path, format, preprocess: (img: ImageLike) => preprocess(img, n) };
}
