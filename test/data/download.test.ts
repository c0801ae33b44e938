import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { downloadCifar10, CIFAR10_FILES } from '../../src/data/download.js';
import { loadCifar10 } from '../../src/data/cifar.js';
import { ensureCifar10Dir } from '../../src/data/index.js';
import { defaultCifar10Dir } from '../../src/data/paths.js';
import { FormatError } from '../../src/core/errors.js';
import { cifarRecords, tarGz, tempDir } from './helpers.js';

// A tiny archive with the official layout: 2 records per batch file.
const names = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const archive = tarGz([
  { name: 'cifar-10-batches-bin/', type: '5' },
  { name: 'cifar-10-batches-bin/batches.meta.txt', data: names.join('\n') + '\n' },
  ...CIFAR10_FILES.filter((f) => f.endsWith('.bin')).map((f, i) => ({
    name: `cifar-10-batches-bin/${f}`,
    data: cifarRecords([[i], [9 - i]]),
  })),
  { name: 'cifar-10-batches-bin/readme.html', data: '<p>hi</p>' },
]);
const sha256 = createHash('sha256').update(archive).digest('hex');
const md5 = createHash('md5').update(archive).digest('hex');

let server: http.Server;
let base = '';
const hits: string[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/cifar-10-binary.tar.gz') {
      res.writeHead(200, { 'content-length': archive.length, 'content-type': 'application/gzip' });
      // Two writes so progress is reported more than once.
      res.write(archive.subarray(0, 100));
      setTimeout(() => res.end(archive.subarray(100)), 5);
    } else if (req.url === '/moved') {
      res.writeHead(302, { location: '/cifar-10-binary.tar.gz' });
      res.end();
    } else if (req.url === '/cut') {
      res.writeHead(200, { 'content-length': archive.length });
      res.write(archive.subarray(0, 50));
      setTimeout(() => res.destroy(), 5);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

test('download: good checksum → verified, extracted, loadable; then cache reuse without a request', async () => {
  const { dir, cleanup } = tempDir('dl');
  try {
    const progress: [number, number | null][] = [];
    const url = `${base}/cifar-10-binary.tar.gz`;
    const res = await downloadCifar10({ cacheDir: dir, url, sha256, onProgress: (p) => progress.push([p.received, p.total]) });
    assert.equal(res.fromCache, false);
    assert.equal(res.dataDir, join(dir, 'cifar-10-batches-bin'));
    assert.ok(existsSync(res.archivePath), 'archive kept');
    assert.ok(progress.length >= 1, 'progress reported');
    assert.deepEqual(progress.at(-1), [archive.length, archive.length]);
    const ds = loadCifar10(res.dataDir);
    assert.equal(ds.n, 10);
    assert.deepEqual([...ds.labels.subarray(0, 4)], [0, 9, 1, 8]);
    assert.deepEqual(loadCifar10(dir, { batches: ['test'] }).labels, Int32Array.from([5, 4])); // parent dir works
    // No temp files or folders left behind.
    assert.deepEqual(readdirSync(dir).sort(), ['cifar-10-batches-bin', 'cifar-10-binary.tar.gz']);

    const n = hits.length;
    const again = await downloadCifar10({ cacheDir: dir, url, sha256 });
    assert.equal(again.fromCache, true);
    assert.equal(hits.length, n, 'no second request');
  } finally {
    cleanup();
  }
});

test('download: md5 check (the default algorithm) and redirects', async () => {
  const { dir, cleanup } = tempDir('md5');
  try {
    const res = await downloadCifar10({ cacheDir: dir, url: `${base}/moved`, md5 });
    assert.equal(res.fromCache, false);
    assert.ok(hits.includes('/moved'), 'redirect followed');
  } finally {
    cleanup();
  }
});

test('download: bad checksum fails and leaves nothing behind', async () => {
  const { dir, cleanup } = tempDir('bad');
  try {
    await assert.rejects(
      downloadCifar10({ cacheDir: dir, url: `${base}/cifar-10-binary.tar.gz`, sha256: '0'.repeat(64) }),
      (e: unknown) => e instanceof FormatError && /sha256 [0-9a-f]{64}, expected 0{64}; not kept/.test(e.message),
    );
    assert.deepEqual(readdirSync(dir), []);
    // The official md5 is the default check: our synthetic archive fails it too.
    await assert.rejects(downloadCifar10({ cacheDir: dir, url: `${base}/cifar-10-binary.tar.gz` }), /md5 .*c32a1d4ab5d03f1284b67883e8d87530/);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    cleanup();
  }
});

test('download: server down, HTTP errors and cut connections fail clearly', async () => {
  const { dir, cleanup } = tempDir('down');
  try {
    const dead = http.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const url = `http://127.0.0.1:${port}/cifar-10-binary.tar.gz`;
    await assert.rejects(downloadCifar10({ cacheDir: dir, url, sha256 }), (e: Error) => {
      assert.match(e.message, new RegExp(`could not reach ${url.replace(/[.]/g, '\\.')} \\(ECONNREFUSED\\)`));
      assert.ok(e.message.includes(`download it manually to ${join(dir, 'cifar-10-binary.tar.gz')} or pass --data-dir`), e.message);
      return true;
    });
    await assert.rejects(downloadCifar10({ cacheDir: dir, url: `${base}/nope`, sha256 }), /HTTP 404/);
    await assert.rejects(downloadCifar10({ cacheDir: dir, url: `${base}/cut`, sha256 }), /could not reach .*connection lost/);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    cleanup();
  }
});

test('download: an archive placed by hand is verified and extracted without a request', async () => {
  const { dir, cleanup } = tempDir('manual');
  try {
    writeFileSync(join(dir, 'cifar-10-binary.tar.gz'), archive);
    const n = hits.length;
    const res = await downloadCifar10({ cacheDir: dir, url: 'http://127.0.0.1:9/unused', sha256 });
    assert.equal(res.fromCache, false);
    assert.equal(hits.length, n);
    assert.equal(loadCifar10(res.dataDir, { batches: [1] }).n, 2);
    const bad = tempDir('manual-bad');
    writeFileSync(join(bad.dir, 'cifar-10-binary.tar.gz'), archive.subarray(0, 100));
    await assert.rejects(downloadCifar10({ cacheDir: bad.dir, sha256 }), /corrupt or wrong file; delete it/);
    bad.cleanup();
  } finally {
    cleanup();
  }
});

test('ensureCifar10Dir: an existing folder is used as is; a missing one is downloaded on request', async () => {
  const { dir, cleanup } = tempDir('ensure');
  try {
    const n = hits.length;
    assert.equal(await ensureCifar10Dir({ dataDir: defaultCifar10Dir(), download: true }), defaultCifar10Dir());
    assert.equal(await ensureCifar10Dir({ dataDir: join(dir, 'none') }), join(dir, 'none'));
    assert.equal(hits.length, n);
    const got = await ensureCifar10Dir({
      dataDir: join(dir, 'none'), download: true, cacheDir: join(dir, 'cache'), url: `${base}/cifar-10-binary.tar.gz`, sha256,
    });
    assert.equal(got, join(dir, 'cache', 'cifar-10-batches-bin'));
    assert.equal(hits.length, n + 1);
  } finally {
    cleanup();
  }
});
