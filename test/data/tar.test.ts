import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { extractTarGz } from '../../src/data/tar.js';
import { createProgressBar } from '../../src/cli/download-progress.js';
import { tar, tarGz, tempDir } from './helpers.js';

test('tar: regular files (incl. ones spanning several blocks) are extracted; links skipped', async () => {
  const { dir, cleanup } = tempDir('tar');
  try {
    const big = Uint8Array.from({ length: 5000 }, (_, i) => i & 255);
    const f = join(dir, 'a.tar.gz');
    writeFileSync(f, tarGz([
      { name: 'x/', type: '5' },
      { name: 'x/big.bin', data: big },
      { name: './x/empty.txt', data: '' },
      { name: 'x/link', type: '2', linkname: '/etc/passwd' },
      { name: 'x/hard', type: '1', linkname: 'x/big.bin' },
    ]));
    const files = await extractTarGz(f, join(dir, 'out'));
    assert.deepEqual(files.map((p) => p.slice(dir.length)), ['/out/x/big.bin', '/out/x/empty.txt']);
    assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'out/x/big.bin'))), big);
    assert.ok(!existsSync(join(dir, 'out/x/link')), 'symlink skipped');
    assert.ok(!existsSync(join(dir, 'out/x/hard')), 'hard link skipped');
  } finally {
    cleanup();
  }
});

test('tar: path traversal and absolute paths are rejected', async () => {
  const { dir, cleanup } = tempDir('evil');
  try {
    for (const name of ['../evil.bin', 'a/../../evil.bin', '/tmp/evil.bin', 'a\\..\\..\\evil.bin']) {
      const f = join(dir, 'e.tar.gz');
      writeFileSync(f, tarGz([{ name: 'ok.txt', data: 'fine' }, { name, data: 'pwned' }]));
      await assert.rejects(extractTarGz(f, join(dir, 'out')), (e: Error) => {
        assert.match(e.message, /e\.tar\.gz: tar entry at byte offset 1024 has an unsafe path/);
        return true;
      });
      assert.ok(!existsSync(join(dir, 'evil.bin')), 'nothing written outside');
    }
  } finally {
    cleanup();
  }
});

test('tar: corrupt header, truncated stream and non-gzip input fail with the archive name', async () => {
  const { dir, cleanup } = tempDir('bad');
  try {
    const f = join(dir, 'b.tar.gz');
    const t = tar([{ name: 'a.bin', data: new Uint8Array(3000) }]);
    const corrupt = Uint8Array.from(t);
    corrupt[10] ^= 0xff;
    writeFileSync(f, gzipSync(corrupt));
    await assert.rejects(extractTarGz(f, join(dir, 'o1')), /b\.tar\.gz: bad tar header checksum at byte offset 0/);
    writeFileSync(f, gzipSync(t.subarray(0, 2000)));
    await assert.rejects(extractTarGz(f, join(dir, 'o2')), /truncated tar stream: entry at byte offset 0 is cut off at byte offset 2000/);
    const gz = gzipSync(t);
    writeFileSync(f, gz.subarray(0, gz.length - 10));
    await assert.rejects(extractTarGz(f, join(dir, 'o4')), /b\.tar\.gz: not a valid gzip stream: unexpected end of file/);
    writeFileSync(f, 'not gzip at all');
    await assert.rejects(extractTarGz(f, join(dir, 'o3')), /b\.tar\.gz: not a valid gzip stream/);
  } finally {
    cleanup();
  }
});

test('progress: plain lines every 10% off a TTY', () => {
  const lines: string[] = [];
  const bar = createProgressBar('cifar-10', { tty: false, log: (l) => lines.push(l) });
  for (let r = 0; r <= 1048576; r += 65536) bar.onProgress({ received: r, total: 1048576 });
  bar.stop();
  assert.equal(lines.length, 11);
  assert.equal(lines[0], 'cifar-10: 0% (0.0/1.0 MB)');
  assert.equal(lines.at(-1), 'cifar-10: 100% (1.0/1.0 MB)');
  const unknown: string[] = [];
  const b2 = createProgressBar('x', { tty: false, log: (l) => unknown.push(l) });
  b2.onProgress({ received: 10, total: null });
  b2.stop();
  assert.deepEqual(unknown, ['x: 0.0 MB', 'x: done (0.0 MB)']);
});

test('tar: a missing archive rejects instead of hanging', async () => {
  const { dir, cleanup } = tempDir('missing');
  try {
    await assert.rejects(extractTarGz(join(dir, 'nope.tar.gz'), join(dir, 'o')), /nope\.tar\.gz: cannot read: ENOENT/);
  } finally {
    cleanup();
  }
});
