import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { load } from '../../src/clip/load.js';
import { availableModels } from '../../src/clip/models.js';
import { FIX, SHARED } from './helpers.js';

const body = readFileSync(join(FIX, 'rn', 'tiny_rn_jit.pt'));
const sha = createHash('sha256').update(body).digest('hex');

async function serve(payload: () => Buffer): Promise<{ server: Server; base: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    const p = payload();
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': p.length });
    res.end(p);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return { server, base: `http://127.0.0.1:${port}`, hits: () => hits };
}

test('availableModels: the nine official names with URL-embedded SHA-256', () => {
  const m = availableModels();
  assert.deepEqual(m.map((x) => x.name), ['RN50', 'RN101', 'RN50x4', 'RN50x16', 'RN50x64', 'ViT-B/32', 'ViT-B/16', 'ViT-L/14', 'ViT-L/14@336px']);
  for (const x of m) assert.ok(x.url.endsWith(`/${x.sha256}/${x.fileName}`) && /^[0-9a-f]{64}$/.test(x.sha256));
  assert.equal(m[8].fileName, 'ViT-L-14-336px.pt');
});

test('load(name): downloads into the cache with progress, verifies SHA-256, reuses, re-downloads on mismatch, fails clearly offline', async () => {
  await initBackend('cpu');
  const cacheDir = mkdtempSync(join(tmpdir(), 'whittle-clip-cache-'));
  let payload = body;
  const { server, base, hits } = await serve(() => payload);
  const url = `${base}/${sha}/RN50.pt`;
  const warnings: string[] = [];
  const progress: number[] = [];
  const opts = { cacheDir, url, onProgress: (got: number) => progress.push(got), onWarning: (m: string) => warnings.push(m) };
  try {
    const first = await load('RN50', opts);
    assert.equal(hits(), 1);
    assert.equal(first.path, join(cacheDir, 'RN50.pt'));
    assert.equal(first.format, 'torchscript');
    assert.equal(progress[progress.length - 1], body.length);
    first.model.dispose();

    (await load('RN50', opts)).model.dispose(); // verified cache hit
    assert.equal(hits(), 1);

    writeFileSync(join(cacheDir, 'RN50.pt'), 'corrupt');
    (await load('RN50', opts)).model.dispose();
    assert.equal(hits(), 2);
    assert.match(warnings.join('\n'), /SHA256 checksum does not match; re-downloading/);

    payload = Buffer.from('tampered');
    rmSync(join(cacheDir, 'RN50.pt'));
    await assert.rejects(load('RN50', opts), /SHA256 checksum does not match/);
    assert.deepEqual(readdirSync(cacheDir), [], 'no partial or bad file left in the cache');

    await assert.rejects(load('RN50', { ...opts, download: false }), /not in the cache .* downloads are disabled/);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
  await assert.rejects(load('RN50', opts), /cannot download .*offline/);
  await assert.rejects(load('no-such-model', { cacheDir }), /Model no-such-model not found; available models = \[RN50/);
  assert.equal(existsSync(join(cacheDir, 'RN50.pt')), false);
  rmSync(cacheDir, { recursive: true, force: true });
});

test('ensureTokenizer: downloads the BPE merges into the cache (pinned SHA-256) when no copy exists', async () => {
  const { ensureTokenizer } = await import('../../src/clip/vocab.js');
  const vocab = readFileSync(join(SHARED, 'bpe_simple_vocab_16e6.txt.gz'));
  const cacheDir = mkdtempSync(join(tmpdir(), 'whittle-clip-vocab-'));
  const { server, base, hits } = await serve(() => vocab);
  try {
    const opts = { cacheDir, url: `${base}/bpe_simple_vocab_16e6.txt.gz`, searchDefaults: false };
    const tok = await ensureTokenizer(opts);
    assert.equal(hits(), 1);
    assert.equal(tok.vocabSize, 49408);
    assert.ok(existsSync(join(cacheDir, 'bpe_simple_vocab_16e6.txt.gz')));
    await ensureTokenizer(opts);
    assert.equal(hits(), 1, 'cached copy reused');
    const empty = mkdtempSync(join(tmpdir(), 'whittle-clip-vocab-'));
    await assert.rejects(ensureTokenizer({ ...opts, cacheDir: empty, download: false }), /CLIP BPE vocabulary not found/);
    rmSync(empty, { recursive: true, force: true });
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(cacheDir, { recursive: true, force: true });
  }
});
