/**
 * The BPE merges file for users: a given path, an already cached/known copy, or a verified download of
 * openai/CLIP's clip/bpe_simple_vocab_16e6.txt.gz into the model cache (SHA-256 pinned).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultCacheDir, downloadVerified, type DownloadOptions } from './download.js';
import { defaultVocabCandidates, loadTokenizer, VOCAB_FILE } from './tokenizer/index.js';
import type { SimpleTokenizer } from './tokenizer/bpe.js';

export const VOCAB_URL = `https://raw.githubusercontent.com/openai/CLIP/main/clip/${VOCAB_FILE}`;
export const VOCAB_SHA256 = '924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a';

export interface VocabOptions extends DownloadOptions {
  vocabPath?: string;
  /** Overrides the download URL (mirrors, tests); the file must still have VOCAB_SHA256. */
  url?: string;
  /** Also look at $WHITTLE_CLIP_VOCAB and ../shared/clip (default true); false: only the cache dir. */
  searchDefaults?: boolean;
}

/** Loads the tokenizer, downloading the merges into the cache when no local copy exists and downloads are allowed. */
export async function ensureTokenizer(opts: VocabOptions = {}): Promise<SimpleTokenizer> {
  if (opts.vocabPath) return loadTokenizer(opts.vocabPath);
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const cached = join(cacheDir, VOCAB_FILE);
  const candidates = opts.searchDefaults === false ? [cached] : defaultVocabCandidates(cacheDir);
  const found = candidates.find((p) => existsSync(p));
  if (found) return loadTokenizer(found);
  if (opts.download === false) return loadTokenizer(opts.searchDefaults === false ? cached : undefined, cacheDir); // throws "not found"
  const path = await downloadVerified(opts.url ?? VOCAB_URL, VOCAB_SHA256, { ...opts, cacheDir });
  return loadTokenizer(path);
}
