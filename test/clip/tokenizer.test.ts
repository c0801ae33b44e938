import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tokenize, loadTokenizer, htmlUnescape, fixText, SOT_TOKEN, EOT_TOKEN } from '../../src/clip/tokenizer/index.js';

const SHARED = join(import.meta.dirname, '..', '..', '..', 'shared', 'clip');
const tok = loadTokenizer(join(SHARED, 'bpe_simple_vocab_16e6.txt.gz'));
const ids = (s: string) => Array.from(tokenize(s, { tokenizer: tok })[0]).filter((x, i, a) => x !== 0 || a.slice(i).some((y) => y));

test('tokenizer: vocabulary layout (49 408 entries, SOT/EOT ids)', () => {
  assert.equal(tok.vocabSize, 49408);
  assert.equal(tok.encoder.get('<|startoftext|>'), SOT_TOKEN);
  assert.equal(tok.encoder.get('<|endoftext|>'), EOT_TOKEN);
  assert.equal(tok.encoder.get('!'), 0);
  assert.equal(tok.encoder.get('!</w>'), 256);
});

test('tokenizer: methods.md §8 item 7 vectors', () => {
  assert.deepEqual(ids('a diagram'), [49406, 320, 22697, 49407]);
  assert.deepEqual(ids('a dog'), [49406, 320, 1929, 49407]);
  assert.deepEqual(ids('a cat'), [49406, 320, 2368, 49407]);
  assert.deepEqual(ids('a photo of a cat.'), [49406, 320, 1125, 539, 320, 2368, 269, 49407]);
  assert.deepEqual(ids('Hello, World! 123'), [49406, 3306, 267, 1002, 256, 272, 273, 274, 49407]);
  assert.deepEqual(ids("It's 2021"), [49406, 585, 568, 273, 271, 273, 272, 49407]);
  const row = tokenize('a dog', { tokenizer: tok })[0];
  assert.ok(row instanceof Int32Array && row.length === 77 && row.slice(4).every((v) => v === 0));
});

test('tokenizer: golden.json tokens of the official clip.tokenize', () => {
  const g = JSON.parse(readFileSync(join(SHARED, 'tiny_vit', 'golden.json'), 'utf8'));
  const rows = tokenize(g.sentences, { tokenizer: tok });
  assert.deepEqual(rows.flatMap((r) => Array.from(r)), g.tokens.data);
});

// ids from openai/CLIP's SimpleTokenizer BPE (re-run in Python with the `regex` module; ftfy is a no-op on these)
const UNICODE: Array<[string, number[]]> = [
  ['naïve café über straße', [1097, 35689, 563, 15304, 6522, 1516, 1894, 127, 253, 324]],
  ['日本語のテキスト', [39121, 44353, 34002, 252, 21575, 2429, 228, 47121, 32421, 486]],
  ['emoji 🙂👍🏽 ok', [16327, 32006, 43722, 2481]],
  ['Ελληνικά Σίσυφος', [138, 113, 138, 119, 138, 119, 138, 115, 138, 121, 138, 117, 138, 118, 138, 361, 139, 225, 138, 107, 139, 225, 139, 227, 139, 228, 138, 123, 139, 480]],
  ['x² + y³ = ½', [343, 41175, 266, 344, 126, 367, 284, 33613]],
  ['<|startoftext|>hi<|endoftext|>', [49406, 1883, 49407]],
  ["don't we'll they're I'M", [847, 713, 649, 1342, 889, 982, 328, 880]],
  ['tab\there\u00a0nbsp', [14724, 763, 6459, 4393]],
  ['supercalifragilisticexpialidocious', [1642, 2857, 13093, 2076, 5868, 26850, 835, 639, 38466]],
  ['&lt;b&gt; &amp;amp; &copy &#8364; &#x27;', [283, 321, 285, 261, 5811, 6309, 262]],
  ['$1,234.56 — "ok"', [259, 272, 267, 273, 274, 275, 269, 276, 277, 2005, 257, 2481, 257]],
];
test('tokenizer: non-ASCII, special tokens, contractions, entities', () => {
  for (const [s, want] of UNICODE) assert.deepEqual(tok.encode(s), want, s);
});

test('tokenizer: messy web text tokenizes like its clean form (ftfy behaviours)', () => {
  const same: Array<[string, string]> = [
    ['Ã©tÃ© Ã\u00a0 la plage', 'été à la plage'], // UTF-8 read as windows-1252
    ['Ã©tÃ© Ã la plage', 'été à la plage'], // ... whose 0xA0 became a space (ftfy restore_byte_a0)
    ['doesnâ€™t work', "doesn't work"], // mojibake + curly quote
    ['Ã\u0083Â©', 'é'], // double mojibake
    ['\u201cquoted\u201d and \u2018single\u2019', '"quoted" and \'single\''],
    ['\ufb01ne \ufb02ow \ufb00', 'fine flow ff'], // ligatures
    ['\uff26\uff35\uff2c\uff2c\u3000\uff57\uff49\uff44\uff54\uff48 \uff11\uff12', 'FULL width 12'],
    ['cafe\u0301', 'café'], // NFC
    ['a\u0000b\ufeffc\u0007d', 'abcd'], // control characters
    ['  a \t\n\r\n dog\u2028 ', 'a dog'],
    ['&amp;amp;lt;3', '<3'], // ftfy unescapes once more when the text has no "<"
    ['caf&eacute; &#233;', 'café é'],
    ['A DOG', 'a dog'],
    ['\x93smart\x94', '"smart"'], // C1 controls decoded as windows-1252
  ];
  for (const [messy, clean] of same) assert.deepEqual(tok.encode(messy), tok.encode(clean), JSON.stringify(messy));
  assert.equal(fixText('naïve résumé'), 'naïve résumé'); // legitimate accents are untouched
});

test('html.unescape: Python rules for numeric and named references', () => {
  assert.equal(htmlUnescape('&#0;&#x80;&#13;&#xD800;&#1;'), '\ufffd\u20ac\r\ufffd');
  assert.equal(htmlUnescape('&ampfoo; &notit; &unknown; &lt'), '&foo; ¬it; &unknown; <');
  assert.equal(htmlUnescape('&hellip;&mdash;&euro;&nbsp;'), '…—€\u00a0');
});

test('tokenize: too long throws unless truncate, which ends with EOT; context length option', () => {
  const long = Array.from({ length: 100 }, () => 'cat').join(' ');
  assert.throws(() => tokenize(long, { tokenizer: tok }), /too long for context length 77/);
  const [row] = tokenize(long, { tokenizer: tok, truncate: true });
  assert.equal(row.length, 77);
  assert.equal(row[0], SOT_TOKEN);
  assert.equal(row[76], EOT_TOKEN);
  assert.equal(row[75], 2368);
  const short = tokenize(['a dog', 'a cat'], { tokenizer: tok, contextLength: 5 });
  assert.deepEqual(short.map((r) => Array.from(r)), [[49406, 320, 1929, 49407, 0], [49406, 320, 2368, 49407, 0]]);
  assert.throws(() => tokenize('a photo of a cat', { tokenizer: tok, contextLength: 4 }), /too long/);
  assert.deepEqual(Array.from(tokenize('a photo', { tokenizer: tok, contextLength: 3, truncate: true })[0]), [49406, 320, 49407]);
  assert.equal(tok.decode(tok.encode('a photo of a cat.')), 'a photo of a cat . ');
});

test('loadTokenizer: clear error for a missing vocabulary file', () => {
  assert.throws(() => loadTokenizer('/nonexistent/bpe.txt.gz'), /CLIP BPE vocabulary not found/);
});

test('tokenizer: messy-text vectors from the real ftfy 6.3.1 pipeline (scripts/fixtures/clip-tokenizer-vectors.py)', () => {
  const v = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'clip', 'tokenizer-vectors.json'), 'utf8')) as { cases: Array<{ text: string; ids: number[] }> };
  assert.ok(v.cases.length >= 60);
  for (const c of v.cases) assert.deepEqual(tok.encode(c.text), c.ids, JSON.stringify(c.text));
});
