/**
 * Python's `html.unescape` (Lib/html/__init__.py) for the entities that occur in practice: numeric references
 * with Python's replacement rules, and a table of common named entities (the HTML 4 Latin-1 set, which HTML5
 * also accepts without ";", plus common typographic/symbol ones). The full 2 231-name HTML5 table is not
 * included: an unknown name is left as-is, as Python leaves names missing from its table.
 */
const LATIN1 = 'nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml'.split(' ');
const WITH_SEMI: Record<string, number | string> = {
  apos: 39, OElig: 338, oelig: 339, Scaron: 352, scaron: 353, Yuml: 376, fnof: 402, circ: 710, tilde: 732,
  ensp: 8194, emsp: 8195, thinsp: 8201, zwnj: 8204, zwj: 8205, lrm: 8206, rlm: 8207, ndash: 8211, mdash: 8212,
  lsquo: 8216, rsquo: 8217, sbquo: 8218, ldquo: 8220, rdquo: 8221, bdquo: 8222, dagger: 8224, Dagger: 8225,
  bull: 8226, hellip: 8230, permil: 8240, prime: 8242, Prime: 8243, lsaquo: 8249, rsaquo: 8250, oline: 8254,
  frasl: 8260, euro: 8364, trade: 8482, larr: 8592, uarr: 8593, rarr: 8594, darr: 8595, harr: 8596,
  rArr: 8658, lArr: 8656, hArr: 8660, minus: 8722, le: 8804, ge: 8805, ne: 8800, asymp: 8776, infin: 8734,
  sum: 8721, prod: 8719, radic: 8730, part: 8706, nabla: 8711, isin: 8712, cap: 8745, cup: 8746, int: 8747,
  there4: 8756, sim: 8764, equiv: 8801, sub: 8834, sup: 8835, sube: 8838, supe: 8839, oplus: 8853,
  otimes: 8855, perp: 8869, sdot: 8901, loz: 9674, spades: 9824, clubs: 9827, hearts: 9829, diams: 9830,
  Alpha: 913, Beta: 914, Gamma: 915, Delta: 916, Epsilon: 917, Zeta: 918, Eta: 919, Theta: 920, Iota: 921,
  Kappa: 922, Lambda: 923, Mu: 924, Nu: 925, Xi: 926, Omicron: 927, Pi: 928, Rho: 929, Sigma: 931, Tau: 932,
  Upsilon: 933, Phi: 934, Chi: 935, Psi: 936, Omega: 937, alpha: 945, beta: 946, gamma: 947, delta: 948,
  epsilon: 949, zeta: 950, eta: 951, theta: 952, iota: 953, kappa: 954, lambda: 955, mu: 956, nu: 957, xi: 958,
  omicron: 959, pi: 960, rho: 961, sigmaf: 962, sigma: 963, tau: 964, upsilon: 965, phi: 966, chi: 967,
  psi: 968, omega: 969, star: 9734, check: 10003, hyphen: 8208, dash: 8208, half: 189, colon: 58, comma: 44,
  period: 46, excl: 33, quest: 63, num: 35, dollar: 36, percnt: 37, lpar: 40, rpar: 41, ast: 42, plus: 43,
  sol: 47, semi: 59, equals: 61, commat: 64, lsqb: 91, rsqb: 93, bsol: 92, lowbar: 95, grave: 96, lcub: 123,
  rcub: 125, verbar: 124, vert: 124, Tab: '\t', NewLine: '\n', nbsp: 160,
};

/** Entity table keyed as Python's html5 dict: "name;" for all, "name" for the legacy ones. */
const TABLE = new Map<string, string>();
for (const [k, v] of Object.entries(WITH_SEMI)) TABLE.set(`${k};`, typeof v === 'string' ? v : String.fromCodePoint(v));
LATIN1.forEach((name, i) => {
  const ch = String.fromCodePoint(160 + i);
  TABLE.set(`${name};`, ch);
  TABLE.set(name, ch);
});
for (const [name, ch] of [['amp', '&'], ['lt', '<'], ['gt', '>'], ['quot', '"'], ['AMP', '&'], ['LT', '<'], ['GT', '>'],
  ['QUOT', '"'], ['COPY', '©'], ['REG', '®']]) {
  TABLE.set(`${name};`, ch);
  TABLE.set(name, ch);
}

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
    const hit = TABLE.get(ref);
    if (hit !== undefined) return hit;
    for (let x = ref.length - 1; x > 1; x--) {
      const p = TABLE.get(ref.slice(0, x));
      if (p !== undefined) return p + ref.slice(x);
    }
    return `&${ref}`;
  });
}
