/**
 * Text cleaning of openai/CLIP's simple_tokenizer: `basic_clean` (ftfy.fix_text, html.unescape twice, strip)
 * and `whitespace_clean`. `fixText` reproduces the ftfy 6 steps that change CLIP tokens:
 *  - HTML entities with ";" unescaped once when the text has no "<" (ftfy's unescape_html="auto");
 *  - terminal escape sequences (ESC [ ... letter) removed (ftfy remove_terminal_escapes);
 *  - mojibake repair: runs of characters that re-encode (as windows-1252, with latin-1 for its 5 undefined bytes
 *    and raw C1 controls) to valid multi-byte UTF-8 are decoded, repeatedly (double mojibake);
 *  - C1 control characters decoded as windows-1252; curly quotes uncurled; Latin ligatures expanded;
 *    full-width/half-width forms to their NFKC form; line breaks unified; control characters removed; NFC.
 * Checked against the real ftfy 6.3.1 on 64 messy/legit strings (test/fixtures/clip/tokenizer-vectors.json).
 * Not reproduced: ftfy's full badness heuristics (a lone accented capital before cp1252 punctuation is kept,
 * other single 2-byte sequences are decoded), codecs other than windows-1252/latin-1 (e.g. mac_roman,
 * cp437) and ftfy's upper-case entity variants. The HTML5 entity table is complete (`entities`, see html.ts).
 */
import { htmlUnescape, CP1252_HIGH } from './html.js';

/** Python's str.isspace characters (str.strip). */
export const PY_SPACE = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
/** `\s` of the `regex` module simple_tokenizer imports as `re` (Unicode White_Space: no \x1c–\x1f). */
export const REGEX_SPACE = '\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const WS_RUN = new RegExp(`[${REGEX_SPACE}]+`, 'gu');
const STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'gu');

/** char → windows-1252 byte (plus latin-1 for 0x80–0x9F controls), for mojibake re-encoding. */
const TO_BYTE = new Map<string, number>();
for (let b = 0xa0; b <= 0xff; b++) TO_BYTE.set(String.fromCharCode(b), b);
for (let i = 0; i < 32; i++) {
  TO_BYTE.set(CP1252_HIGH[i], 0x80 + i);
  TO_BYTE.set(String.fromCharCode(0x80 + i), 0x80 + i);
}
const CONT = '[\\x80-\\xbf\\u20ac\\u201a\\u0192\\u201e\\u2026\\u2020\\u2021\\u02c6\\u2030\\u0160\\u2039\\u0152\\u017d\\u2018\\u2019\\u201c\\u201d\\u2022\\u2013\\u2014\\u02dc\\u2122\\u0161\\u203a\\u0153\\u017e\\u0178]';
// a UTF-8 lead byte (C2–F4) seen as latin-1/cp1252, followed by 1–3 continuation-byte characters
const MOJIBAKE = new RegExp(`(?:[\\xc2-\\xdf]${CONT}|[\\xe0-\\xef]${CONT}{2}|[\\xf0-\\xf4]${CONT}{3})+`, 'gu');
const utf8 = new TextDecoder('utf-8', { fatal: true });

// ftfy ALTERED_UTF8_RE: UTF-8 sequences whose 0xA0 byte was turned into a plain space
const ALTERED4 = new RegExp(`\\u00f0(?: ${CONT}${CONT}|${CONT} ${CONT}|${CONT}${CONT} )`, 'gu');
const ALTERED23 = new RegExp(`[\\u00c2\\u00c3\\u00c5\\u00ce\\u00d0\\u00d9] |[\\u00e2\\u00e3] ${CONT}|[\\u00e0-\\u00e3]${CONT} `, 'gu');
const toNbsp = (m: string) => m.replaceAll(' ', '\u00a0');

function fixMojibake(text: string): string {
  text = text.replace(ALTERED4, toNbsp); // a 4-byte lead "ð" + continuation bytes is mojibake on its own
  MOJIBAKE.lastIndex = 0;
  if (MOJIBAKE.test(text)) {
    // ftfy restore_byte_a0, applied when the text has mojibake: "Ã " is usually "à" whose 0xA0 became a space
    text = text.replace(/\u00c3 (?! |quele|quela|quilo|s )/gu, '\u00e0 ').replace(ALTERED23, toNbsp);
  }
  for (let pass = 0; pass < 4; pass++) {
    const next = text.replace(MOJIBAKE, (run) => {
      // an accented capital before typographic punctuation ("CAFÉ…", "É—") is legitimate text, not mojibake;
      // ftfy's badness heuristics keep those, so do we (unless the lead is the ubiquitous Ã/Â)
      if (run.length === 2 && !/[\u00c2\u00c3]/u.test(run[0]) && !/[\u00a0-\u00bf]/u.test(run[1])) return run;
      const bytes = Uint8Array.from([...run].map((c) => TO_BYTE.get(c) ?? 0));
      try {
        return utf8.decode(bytes);
      } catch {
        return run;
      }
    });
    if (next === text) break;
    text = next;
  }
  return text;
}

const LIGATURES = 'ĲĳŉǄǅǆǇǈǉǊǋǌǱǲǳﬀﬁﬂﬃﬄﬅﬆ';
const LIG_RE = new RegExp(`[${LIGATURES}]`, 'gu');
// U+3000 and the Halfwidth/Fullwidth Forms block: replaced by their NFKC form (ftfy fix_character_width)
const WIDTH_RE = /[\u3000\uff01-\uffef]/gu;
// eslint-disable-next-line no-control-regex -- removing control characters is the point
const CONTROL_RE = /[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]/gu;
const C1_RE = /[\x80-\x9f]/gu;

/** ftfy.fix_text subset (see the module comment). */
export function fixText(text: string): string {
  // ftfy's unescape_html="auto": entities with ";" are unescaped once, unless the text looks like HTML ("<")
  if (!text.includes('<')) text = text.replace(/&#?[0-9A-Za-z]{1,24};/g, (m) => htmlUnescape(m));
  // ftfy remove_terminal_escapes (its ANSI_RE: ESC [ digits/semicolons letter), before the mojibake fix as in ftfy
  // eslint-disable-next-line no-control-regex -- matching ESC is the point
  text = text.replace(/\x1b\[[\d;]*[a-zA-Z]/g, '');
  text = fixMojibake(text);
  text = text.replace(C1_RE, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]);
  text = text.replace(LIG_RE, (c) => c.normalize('NFKC'));
  text = text.replace(WIDTH_RE, (c) => (c === '\u3000' ? ' ' : c.normalize('NFKC')));
  text = text.replace(/[\u02bc\u2018-\u201b]/gu, "'").replace(/[\u201c-\u201f]/gu, '"');
  text = text.replace(/\r\n|[\r\u2028\u2029\x85]/gu, '\n');
  text = text.replace(CONTROL_RE, '');
  return text.normalize('NFC');
}

/** simple_tokenizer.basic_clean */
export function basicClean(text: string): string {
  return htmlUnescape(htmlUnescape(fixText(text))).replace(STRIP, '');
}

/** simple_tokenizer.whitespace_clean */
export function whitespaceClean(text: string): string {
  return text.replace(WS_RUN, ' ').replace(STRIP, '');
}
