/**
 * openai/CLIP's clip.tokenize with a given tokenizer (no file access: the browser entry uses this): rows of
 * [SOT, ...ids, EOT] zero-padded to contextLength; too long ⇒ error unless `truncate`, which keeps the first
 * contextLength ids and overwrites the last one with EOT (so EOT stays the row's argmax).
 */
import { WhittleError } from '../../core/errors.js';
import { EOT_TOKEN, SOT_TOKEN, type SimpleTokenizer } from './bpe.js';

export interface TokenizeRowsOptions {
  contextLength?: number;
  truncate?: boolean;
}

/** One Int32Array row of length contextLength per text. */
export function tokenizeWith(tok: SimpleTokenizer, texts: string | string[], opts: TokenizeRowsOptions = {}): Int32Array[] {
  const list = typeof texts === 'string' ? [texts] : texts;
  const ctx = opts.contextLength ?? 77;
  if (!Number.isInteger(ctx) || ctx < 2) throw new WhittleError(`contextLength must be an integer ≥ 2, got ${ctx}`);
  return list.map((text) => {
    let ids = [SOT_TOKEN, ...tok.encode(text), EOT_TOKEN];
    if (ids.length > ctx) {
      if (!opts.truncate) throw new WhittleError(`Input ${text} is too long for context length ${ctx}`);
      ids = ids.slice(0, ctx);
      ids[ctx - 1] = EOT_TOKEN;
    }
    const row = new Int32Array(ctx);
    row.set(ids);
    return row;
  });
}
