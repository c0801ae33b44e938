/**
 * openai/CLIP simple_tokenizer.SimpleTokenizer: byte-level BPE with "</w>" word ends over the
 * bpe_simple_vocab_16e6 merges (lines 1..48894), vocab 49 408 with <|startoftext|> 49406, <|endoftext|> 49407.
 * No Node imports: usable in the browser with the merges fetched by the page.
 */
import { gunzipSync } from 'fflate';
import { FormatError } from '../../core/errors.js';
import { basicClean, whitespaceClean, REGEX_SPACE } from './clean.js';

export const SOT_TOKEN = 49406;
export const EOT_TOKEN = 49407;
const N_MERGES = 49152 - 256 - 2;
const UTF8 = new TextEncoder();

/** bytes_to_unicode: printable bytes map to themselves, the other 68 to chr(256 + n) in byte order. */
export function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const table = new Array<string>(256);
  bs.forEach((b, i) => (table[b] = String.fromCharCode(cs[i])));
  return table;
}
/** Byte order used for the first 256 vocab entries (dict order of bytes_to_unicode). */
function vocabByteOrder(): number[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) bs.push(b);
  return bs;
}

// simple_tokenizer's pattern (regex module, IGNORECASE; its \s spelled out); input is already lower-cased
const PAT = new RegExp(`<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|\\p{L}+|\\p{N}|[^${REGEX_SPACE}\\p{L}\\p{N}]+`, 'giu');

export class SimpleTokenizer {
  readonly encoder = new Map<string, number>();
  readonly decoder: string[] = [];
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, string[]>();
  private readonly byteEncoder = bytesToUnicode();
  private readonly byteDecoder = new Map<string, number>();

  /** `merges`: the text of bpe_simple_vocab_16e6.txt (first line is a version header). */
  constructor(merges: string, source = '<merges>') {
    const lines = merges.split('\n').slice(1, N_MERGES + 1);
    if (lines.length !== N_MERGES) throw new FormatError(source, `expected ${N_MERGES} BPE merges, found ${lines.length}`);
    const vocab: string[] = vocabByteOrder().map((b) => this.byteEncoder[b]);
    for (const v of vocab.slice(0, 256)) vocab.push(`${v}</w>`);
    lines.forEach((line, i) => {
      const [a, b] = line.split(' ');
      this.ranks.set(`${a} ${b}`, i);
      vocab.push(a + b);
    });
    vocab.push('<|startoftext|>', '<|endoftext|>');
    vocab.forEach((v, i) => {
      this.encoder.set(v, i);
      this.decoder.push(v);
    });
    this.byteEncoder.forEach((c, b) => this.byteDecoder.set(c, b));
    this.cache.set('<|startoftext|>', ['<|startoftext|>']);
    this.cache.set('<|endoftext|>', ['<|endoftext|>']);
  }

  get vocabSize(): number {
    return this.decoder.length;
  }

  /** From the bytes of bpe_simple_vocab_16e6.txt.gz (or the plain .txt); works in browsers too (fflate). */
  static fromBytes(raw: Uint8Array, source = '<merges>'): SimpleTokenizer {
    const text = new TextDecoder().decode(raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw);
    return new SimpleTokenizer(text, source);
  }

  bpe(token: string): string[] {
    const hit = this.cache.get(token);
    if (hit) return hit;
    const chars = [...token];
    let word = chars.slice(0, -1);
    word.push(`${chars[chars.length - 1]}</w>`);
    if (word.length === 1) {
      const r = [`${token}</w>`];
      this.cache.set(token, r);
      return r;
    }
    while (word.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < word.length - 1; i++) {
        const r = this.ranks.get(`${word[i]} ${word[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const first = word[best];
      const second = word[best + 1];
      const next: string[] = [];
      for (let i = 0; i < word.length; ) {
        if (i < word.length - 1 && word[i] === first && word[i + 1] === second) {
          next.push(first + second);
          i += 2;
        } else next.push(word[i++]);
      }
      word = next;
    }
    this.cache.set(token, word);
    return word;
  }

  /** Text → BPE ids (without SOT/EOT), as SimpleTokenizer.encode. */
  encode(text: string): number[] {
    const ids: number[] = [];
    const clean = whitespaceClean(basicClean(text)).toLowerCase();
    for (const m of clean.matchAll(PAT)) {
      let t = '';
      for (const b of UTF8.encode(m[0])) t += this.byteEncoder[b];
      for (const piece of this.bpe(t)) ids.push(this.encoder.get(piece)!);
    }
    return ids;
  }

  /** Ids → text, as SimpleTokenizer.decode ("</w>" becomes a space). */
  decode(ids: ArrayLike<number>): string {
    const text = Array.from(ids, (i) => this.decoder[i] ?? '').join('');
    const bytes = Uint8Array.from([...text].map((c) => this.byteDecoder.get(c) ?? 0x3f));
    return new TextDecoder().decode(bytes).replaceAll('</w>', ' ');
  }
}
