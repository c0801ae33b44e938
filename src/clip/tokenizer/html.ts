/**
 * Python's `html.unescape` (Lib/html/__init__.py), as openai/CLIP's tokenizer calls it: numeric references
 * with Python's replacement rules (here: Python drops invalid code points where the HTML spec, and so the
 * `entities` package, keeps them), and named references through `entities`' full HTML5 table (all 2 231
 * names, legacy names without ";" and their prefix matches as Python's `&notit;` → `¬it;`).
 */
import { decodeHTML } from 'entities';
const CP1252_80_9F = '\u20ac\x81\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\x8d\u017d\x8f\x90\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\x9d\u017e\u0178';
export const CP1252_HIGH = CP1252_80_9F;

function invalidCodepoint(n: number): boolean {
  return (n >= 0x1 && n <= 0x8) || n === 0xb || (n >= 0xe && n <= 0x1f) || (n >= 0x7f && n <= 0x9f) ||
    (n >= 0xfdd0 && n <= 0xfdef) || (n & 0xfffe) === 0xfffe;
}

function numeric(s: string): string {
  const hex = s[1] === 'x' || s[1] === 'X';
  const n = Number.parseInt(s.slice(hex ? 2 : 1).replace(/;$/, ''), hex ? 16 : 10);
  if (n === 0) return '\ufffd';
  if (n === 0x0d) return '\r';
  if (n >= 0x80 && n <= 0x9f) return CP1252_80_9F[n - 0x80];
  if ((n >= 0xd800 && n <= 0xdfff) || n > 0x10ffff || !Number.isFinite(n)) return '\ufffd';
  if (invalidCodepoint(n)) return '';
  return String.fromCodePoint(n);
}

const CHARREF = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/g;

/** `html.unescape(s)`. */
export function htmlUnescape(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(CHARREF, (_m, ref: string) => {
    if (ref[0] === '#') return numeric(ref);
    return decodeHTML(`&${ref}`);
  });
}
