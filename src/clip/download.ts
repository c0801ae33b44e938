/**
 * Cached, verified downloads (openai/CLIP `_download`): reuse a cached file whose SHA-256 matches, otherwise
 * (re-)download to a temp file beside it while hashing, check the hash, then rename into place, so an
 * interrupted or corrupt download never sits in the cache under the final name.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { WhittleError } from '../core/errors.js';

export type Progress = (received: number, total: number | undefined) => void;

export interface DownloadOptions {
  /** Default `$XDG_CACHE_HOME/clip` or `~/.cache/clip` (shared with the Python package). */
  cacheDir?: string;
  /** When false, only a verified cached file is accepted. */
  download?: boolean;
  onProgress?: Progress;
  /** Called with a human-readable note (e.g. checksum mismatch ⇒ re-download). */
  onWarning?: (msg: string) => void;
}

export function defaultCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg.length ? xdg : join(homedir(), '.cache'), 'clip');
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Returns the path of a verified copy of `url` in the cache, downloading it when needed. */
export async function downloadVerified(url: string, sha256: string, opts: DownloadOptions = {}): Promise<string> {
  const dir = opts.cacheDir ?? defaultCacheDir();
  const target = join(dir, basename(new URL(url).pathname));
  if (existsSync(target)) {
    if (!statSync(target).isFile()) throw new WhittleError(`${target} exists and is not a regular file`);
    if ((await sha256File(target)) === sha256) return target;
    opts.onWarning?.(`${target} exists, but the SHA256 checksum does not match; re-downloading the file`);
  }
  if (opts.download === false) {
    throw new WhittleError(`${basename(target)} is not in the cache ${dir} (or fails its SHA256 check) and downloads are disabled`);
  }
  mkdirSync(dir, { recursive: true });
  const tmp = `${target}.${process.pid}.part`;
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    const cause = (e as { cause?: Error }).cause?.message ?? (e as Error).message;
    throw new WhittleError(`cannot download ${url} (${cause}); are you offline? Put the file at ${target} or pass a local path`);
  }
  if (!res.ok || !res.body) throw new WhittleError(`cannot download ${url}: HTTP ${res.status} ${res.statusText}`);
  const total = Number(res.headers.get('content-length')) || undefined;
  const hash = createHash('sha256');
  const out = createWriteStream(tmp);
  let received = 0;
  try {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      hash.update(value);
      received += value.length;
      if (!out.write(value)) await new Promise<void>((r) => out.once('drain', () => r()));
      opts.onProgress?.(received, total);
    }
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  } catch (e) {
    out.destroy();
    rmSync(tmp, { force: true });
    throw new WhittleError(`download of ${url} failed after ${received} bytes (${(e as Error).message})`);
  }
  const got = hash.digest('hex');
  if (got !== sha256) {
    rmSync(tmp, { force: true });
    throw new WhittleError(`model has been downloaded but the SHA256 checksum does not match (${url}: expected ${sha256}, got ${got})`);
  }
  renameSync(tmp, target);
  return target;
}

/** A terminal progress printer for downloads (stderr, only when it is a TTY). */
export function stderrProgress(label: string): Progress {
  let last = 0;
  return (got, total) => {
    if (!process.stderr.isTTY) return;
    const now = Date.now();
    if (now - last < 200 && got !== total) return;
    last = now;
    const mb = (n: number) => (n / 2 ** 20).toFixed(1);
    const pct = total ? ` ${((100 * got) / total).toFixed(0)}%` : '';
    process.stderr.write(`\r${label}: ${mb(got)}${total ? `/${mb(total)}` : ''} MiB${pct}`);
    if (got === total) process.stderr.write('\n');
  };
}
