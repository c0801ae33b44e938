/**
 * Download the official CIFAR-10 binary archive into a cache: stream to a temp file while hashing, verify the
 * checksum, rename atomically, extract (our own tar reader) into a temp folder and rename that into place,
 * then write a marker recording what was verified so later calls reuse the cache without any request.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { FormatError, WhittleError } from '../core/errors.js';
import { writeJsonAtomic } from '../io/atomic.js';
import { CIFAR10_LAYOUT, countRecords } from './cifar.js';
import { extractTarGz } from './tar.js';

export interface DownloadProgress {
  /** Bytes received so far. */
  received: number;
  /** Expected total (Content-Length), or null when the server did not say. */
  total: number | null;
}

export const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
/** Checksum published with the official archive. */
export const CIFAR10_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';
export const CIFAR10_ARCHIVE = 'cifar-10-binary.tar.gz';
export const CIFAR10_SUBDIR = 'cifar-10-batches-bin';
export const CIFAR10_FILES = [
  'batches.meta.txt', 'data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin',
  'data_batch_5.bin', 'test_batch.bin',
];
const MARKER = '.whittle-verified.json';
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNRESET',
  'EPIPE', 'ECONNABORTED', 'EPROTO', 'CERT_HAS_EXPIRED', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

export interface DownloadOptions {
  cacheDir: string;
  url?: string;
  /** Expected SHA-256 (hex); when given it replaces the MD5 check. */
  sha256?: string;
  /** Expected MD5 (hex); default: the official archive's. */
  md5?: string;
  onProgress?: (p: DownloadProgress) => void;
  /** Abort when the connection is idle this long (default 30 s). */
  timeoutMs?: number;
}

export interface DownloadResult {
  /** Folder holding data_batch_1..5.bin, test_batch.bin and batches.meta.txt (pass it to loadCifar10). */
  dataDir: string;
  archivePath: string;
  /** True when a verified extraction was reused and nothing was fetched or extracted. */
  fromCache: boolean;
}

interface Expected {
  algorithm: 'md5' | 'sha256';
  digest: string;
}

interface Marker extends Expected {
  files: Record<string, number>;
}

export async function downloadCifar10(opts: DownloadOptions): Promise<DownloadResult> {
  const url = opts.url ?? CIFAR10_URL;
  const expected: Expected = opts.sha256
    ? { algorithm: 'sha256', digest: opts.sha256.toLowerCase() }
    : { algorithm: 'md5', digest: (opts.md5 ?? CIFAR10_MD5).toLowerCase() };
  mkdirSync(opts.cacheDir, { recursive: true });
  const archivePath = join(opts.cacheDir, CIFAR10_ARCHIVE);
  const dataDir = join(opts.cacheDir, CIFAR10_SUBDIR);
  if (cacheValid(dataDir, expected)) return { dataDir, archivePath, fromCache: true };

  if (existsSync(archivePath)) {
    // Placed by hand or left by an earlier run whose extraction did not finish: verify before trusting it.
    const got = await hashFile(archivePath, expected.algorithm);
    if (got !== expected.digest) {
      throw new FormatError(
        archivePath,
        `${expected.algorithm} is ${got}, expected ${expected.digest}: corrupt or wrong file; delete it to download again`,
      );
    }
  } else {
    await fetchVerified(url, archivePath, expected, opts);
  }
  await extractInto(archivePath, opts.cacheDir, dataDir, expected);
  return { dataDir, archivePath, fromCache: false };
}

function cacheValid(dataDir: string, expected: Expected): boolean {
  const markerPath = join(dataDir, MARKER);
  if (!existsSync(markerPath)) return false;
  try {
    const m = JSON.parse(readFileSync(markerPath, 'utf8')) as Marker;
    if (m.algorithm !== expected.algorithm || m.digest !== expected.digest) return false;
    return CIFAR10_FILES.every((f) => existsSync(join(dataDir, f)) && statSync(join(dataDir, f)).size === m.files[f]);
  } catch {
    return false;
  }
}

async function hashFile(path: string, algorithm: string): Promise<string> {
  const h = createHash(algorithm);
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

function offline(url: string, archivePath: string, why: string): WhittleError {
  return new WhittleError(
    `could not reach ${url} (${why}); download it manually to ${archivePath} or pass --data-dir`,
  );
}

/** GET with redirects; resolves with a 200 response. */
function request(url: string, archivePath: string, timeoutMs: number, hops = 5): Promise<http.IncomingMessage> {
  return new Promise((resolveRes, reject) => {
    const lib = url.startsWith('https:') ? https : http;
    // agent: false — a fresh connection per download; a pooled keep-alive socket can be reset under us.
    const req = lib.get(url, { agent: false }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location && hops > 0) {
        res.resume();
        const next = new URL(res.headers.location, url).toString();
        request(next, archivePath, timeoutMs, hops - 1).then(resolveRes, reject);
      } else if (status !== 200) {
        res.resume();
        reject(new WhittleError(`download of ${url} failed: HTTP ${status}; download it manually to ${archivePath} or pass --data-dir`));
      } else {
        resolveRes(res);
      }
    });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => reject(offline(url, archivePath, e.code ?? e.message)));
  });
}

/** Stream `url` to a temp file next to `dest` while hashing; rename into place only if the checksum matches. */
async function fetchVerified(url: string, dest: string, expected: Expected, opts: DownloadOptions): Promise<void> {
  const res = await request(url, dest, opts.timeoutMs ?? 30_000);
  const total = res.headers['content-length'] ? Number(res.headers['content-length']) : null;
  const tmp = `${dest}.${process.pid}.${Date.now()}.part`;
  const fh = await open(tmp, 'w');
  const hash = createHash(expected.algorithm);
  let received = 0;
  let ok = false;
  try {
    try {
      for await (const chunk of res) {
        const b = chunk as Buffer;
        hash.update(b);
        await fh.write(b);
        received += b.length;
        opts.onProgress?.({ received, total });
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      throw NETWORK_CODES.has(code) || code === 'aborted' ? offline(url, dest, `connection lost: ${code}`) : e;
    }
    if (total !== null && received !== total) throw offline(url, dest, `connection lost after ${received} of ${total} bytes`);
    await fh.sync();
    const got = hash.digest('hex');
    if (got !== expected.digest) {
      throw new FormatError(url, `downloaded archive has ${expected.algorithm} ${got}, expected ${expected.digest}; not kept`);
    }
    ok = true;
  } finally {
    await fh.close();
    if (!ok) rmSync(tmp, { force: true });
  }
  renameSync(tmp, dest);
}

/** Extract into a temp folder, check the expected files, then rename the folder into place and mark it. */
async function extractInto(archive: string, cacheDir: string, dataDir: string, expected: Expected): Promise<void> {
  const tmp = join(cacheDir, `.extract-${process.pid}-${Date.now()}`);
  try {
    await extractTarGz(archive, tmp);
    const files: Record<string, number> = {};
    for (const f of CIFAR10_FILES) {
      const p = join(tmp, CIFAR10_SUBDIR, f);
      if (!existsSync(p)) throw new FormatError(archive, `archive has no ${CIFAR10_SUBDIR}/${f}`);
      files[f] = statSync(p).size;
      if (f.endsWith('.bin')) countRecords(files[f], `${archive}:${CIFAR10_SUBDIR}/${f}`, CIFAR10_LAYOUT);
    }
    rmSync(dataDir, { recursive: true, force: true });
    renameSync(join(tmp, CIFAR10_SUBDIR), dataDir);
    // Written last: its presence means the extraction is complete and verified.
    writeJsonAtomic(join(dataDir, MARKER), { ...expected, files } satisfies Marker);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
