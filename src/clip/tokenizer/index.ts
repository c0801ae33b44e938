/**
 * `tokenize(texts, contextLength = 77, truncate = false)` as openai/CLIP's clip.tokenize: rows of
 * [SOT, ...ids, EOT] zero-padded to contextLength; too long ⇒ error unless `truncate`, which keeps the first
 * contextLength ids and overwrites the last one with EOT (so EOT stays the row's argmax).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FormatError, WhittleError } from '../../core/errors.js';
import { SimpleTokenizer } from './bpe.js';
import { tokenizeWith, type TokenizeRowsOptions } from './tokenize.js';

export { tokenizeWith, type TokenizeRowsOptions };

export { SimpleTokenizer, SOT_TOKEN, EOT_TOKEN, bytesToUnicode } from './bpe.js';
export { basicClean, whitespaceClean, fixText } from './clean.js';
export { htmlUnescape } from './html.js';

export const VOCAB_FILE = 'bpe_simple_vocab_16e6.txt.gz';

/** Where the BPE merges are looked for when no path is given: $WHITTLE_CLIP_VOCAB, the cache dir, then ../shared/clip. */
export function defaultVocabCandidates(cacheDir?: string): string[] {
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  const out: string[] = [];
  if (process.env.WHITTLE_CLIP_VOCAB) out.push(process.env.WHITTLE_CLIP_VOCAB);
  if (cacheDir) out.push(join(cacheDir, VOCAB_FILE));
  out.push(join(repoRoot, '..', 'shared', 'clip', VOCAB_FILE));
  return out;
}

const loaded = new Map<string, SimpleTokenizer>();

/** Loads (and memoises) the tokenizer from `vocabPath`, or the first existing default candidate. */
export function loadTokenizer(vocabPath?: string, cacheDir?: string): SimpleTokenizer {
  const candidates = vocabPath ? [vocabPath] : defaultVocabCandidates(cacheDir);
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    throw new WhittleError(
      `CLIP BPE vocabulary not found (looked in ${candidates.join(', ')}); pass vocabPath / --vocab with the path to ${VOCAB_FILE} ` +
        '(from openai/CLIP clip/), or set WHITTLE_CLIP_VOCAB',
    );
  }
  let t = loaded.get(path);
  if (!t) {
    let raw: Uint8Array;
    try {
      raw = readFileSync(path);
    } catch (e) {
      throw new FormatError(path, `cannot read the CLIP BPE vocabulary (${(e as Error).message.split('\n')[0]})`);
    }
    t = SimpleTokenizer.fromBytes(raw, path);
    loaded.set(path, t);
  }
  return t;
}

export interface TokenizeOptions extends TokenizeRowsOptions {
  tokenizer?: SimpleTokenizer;
  vocabPath?: string;
}

/** Returns one Int32Array row of length contextLength per text (the vocabulary from `tokenizer`, else loaded from disk). */
export function tokenize(texts: string | string[], opts: TokenizeOptions = {}): Int32Array[] {
  return tokenizeWith(opts.tokenizer ?? loadTokenizer(opts.vocabPath), texts, opts);
}
