import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { zipSync } from 'fflate';
import { unpickle } from '../../src/io/pickle.js';
import { readTorchFile } from '../../src/io/torch-pt.js';
import { FormatError } from '../../src/core/errors.js';

// Hostile pickles, one per class of attack; test/fixtures/pickles/make.py made them (python3 make.py rewrites the JSON).
const CASES = JSON.parse(readFileSync('test/fixtures/pickles/malicious.json', 'utf8')) as Record<string, string>;
const WHY = /refusing global|refusing BUILD|BUILD on a|non-global callable/;

for (const [name, hex] of Object.entries(CASES)) {
  test(`malicious pickle refused: ${name}`, () => {
    rmSync('/tmp/whittle-pwned', { force: true });
    const bytes = Uint8Array.from(Buffer.from(hex, 'hex'));
    assert.throws(() => unpickle(bytes, { fileName: 'evil.pkl' }), (e: Error) => e instanceof FormatError && e.message.startsWith('evil.pkl: pickle: ') && WHY.test(e.message), name);
    assert.equal(existsSync('/tmp/whittle-pwned'), false);
  });
}

test('malicious pickle inside a .pt archive is refused before any storage is read', () => {
  const pkl = Uint8Array.from(Buffer.from(CASES['os.system via __reduce__'], 'hex'));
  const zip = zipSync({ 'm/data.pkl': pkl, 'm/data/0': new Uint8Array(16) }, { level: 0 });
  assert.throws(() => readTorchFile(zip, 'evil.pt'), (e: Error) => e instanceof FormatError && /evil\.pt:m\/data\.pkl: pickle: refusing global posix\.system/.test(e.message));
});
