// The CLIP tokenizer's HTML unescape against Python's html.unescape (openai/CLIP's), on every HTML5
// entity name Python knows (with and without a trailing word), numeric references and the cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { htmlUnescape } from '../../src/clip/tokenizer/html.js';

const PY = `
import html, html.entities, json, sys
cases = ['&bigstar;', '&rightarrow;', '&lozenge;', '&frac13;', '&notit;', '&ampfoo;', '&unknown;', '&lt', '&#0;&#x80;&#13;&#xD800;&#1;&#x110000;&#65']
cases += ['&' + n for n in html.entities.html5] + ['&' + n + 'x y' for n in html.entities.html5]
json.dump([[c, html.unescape(c)] for c in cases], sys.stdout)
`;

test('htmlUnescape equals Python html.unescape on every HTML5 entity (python3 oracle)', () => {
  const r = spawnSync('python3', ['-c', PY], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  const cases = JSON.parse(r.stdout) as Array<[string, string]>;
  assert.ok(cases.length > 4000, `${cases.length} cases`);
  const wrong = cases.filter(([input, want]) => htmlUnescape(input) !== want);
  assert.deepEqual(wrong.slice(0, 5).map(([i, w]) => ({ input: i, python: w, ours: htmlUnescape(i) })), []);
  assert.equal(htmlUnescape('&bigstar;&rightarrow;&lozenge;&frac13;'), '★→◊⅓');
});

test('fixText drops terminal escape sequences before removing control characters (ftfy remove_terminal_escapes)', async () => {
  const { fixText } = await import('../../src/clip/tokenizer/clean.js');
  assert.equal(fixText('\x1b[31mred\x1b[0m and \x1b[1;32mgreen\x1b[m'), 'red and green');
  assert.equal(fixText('bell\x07 and \x1b alone'), 'bell and  alone');
});
