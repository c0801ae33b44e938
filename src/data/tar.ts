/**
 * A minimal streaming reader for (gzipped) ustar archives, enough for the official CIFAR archives and safe
 * for untrusted input: only regular files are written (links, devices and FIFOs are skipped), and any path
 * that is absolute or climbs out of the destination with `..` is rejected. Supports ustar prefixes, GNU
 * long names (`L`) and pax `path`/`size` records, and base-256 sizes.
 */
import { closeSync, createReadStream, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import { createGunzip } from 'node:zlib';
import { FormatError } from '../core/errors.js';

const BLOCK = 512;

function cstr(b: Uint8Array, off: number, len: number): string {
  let end = off;
  while (end < off + len && b[end] !== 0) end++;
  return Buffer.from(b.subarray(off, end)).toString('utf8');
}

/** Octal (space/NUL terminated) or GNU base-256 (high bit set) numeric field. */
function numeric(b: Uint8Array, off: number, len: number): number {
  if (b[off] & 0x80) {
    let v = b[off] & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + b[off + i];
    return v;
  }
  const s = cstr(b, off, len).trim();
  return s.length === 0 ? 0 : parseInt(s, 8);
}

/** Resolve an archive path under `dest`, or throw for an absolute path or one escaping `dest`. */
export function safeTarPath(dest: string, name: string, archive: string, offset: number): string | null {
  const bad = (why: string): never => {
    throw new FormatError(archive, `tar entry at byte offset ${offset} has an unsafe path "${name}" (${why})`);
  };
  if (name.includes('\0')) bad('NUL byte');
  if (isAbsolute(name) || /^[a-zA-Z]:/.test(name) || name.startsWith('/') || name.startsWith('\\')) bad('absolute');
  const parts = name.split(/[/\\]+/).filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) bad('path traversal');
  if (parts.length === 0) return null;
  const root = resolve(dest);
  const target = resolve(root, ...parts);
  if (!target.startsWith(root + sep)) bad('outside the destination');
  return target;
}

interface Pending {
  path?: string;
  size?: number;
}

/** Incremental tar parser writing regular files under `dest`. Feed it with `push`, then call `end`. */
export class TarExtractor {
  readonly files: string[] = [];
  private hdr = new Uint8Array(BLOCK);
  private hdrLen = 0;
  private remaining = 0; // data bytes left in the current entry
  private padding = 0; // bytes to skip after the data
  private fd: number | null = null;
  private meta: Uint8Array[] | null = null; // collects a pax/long-name entry's data
  private metaType = '';
  private pending: Pending = {};
  private offset = 0; // position in the tar stream
  private entryOffset = 0;
  private done = false;

  constructor(
    private readonly dest: string,
    private readonly archive: string,
  ) {}

  push(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length && !this.done) {
      const avail = chunk.length - off;
      if (this.remaining > 0) {
        const k = Math.min(this.remaining, avail);
        const part = chunk.subarray(off, off + k);
        if (this.fd !== null) writeSync(this.fd, part);
        else if (this.meta) this.meta.push(Uint8Array.from(part));
        off += k;
        this.offset += k;
        this.remaining -= k;
        if (this.remaining === 0) this.finishEntry();
      } else if (this.padding > 0) {
        const k = Math.min(this.padding, avail);
        off += k;
        this.offset += k;
        this.padding -= k;
      } else {
        const k = Math.min(BLOCK - this.hdrLen, avail);
        this.hdr.set(chunk.subarray(off, off + k), this.hdrLen);
        this.hdrLen += k;
        off += k;
        this.offset += k;
        if (this.hdrLen === BLOCK) {
          this.hdrLen = 0;
          this.header(this.offset - BLOCK);
        }
      }
    }
  }

  /** Call when the input ends: throws if it stopped inside an entry. */
  end(): string[] {
    if (this.remaining > 0 || this.hdrLen > 0) {
      this.closeFile();
      throw new FormatError(
        this.archive,
        `truncated tar stream: entry at byte offset ${this.entryOffset} is cut off at byte offset ${this.offset}`,
      );
    }
    return this.files;
  }

  private header(at: number): void {
    const h = this.hdr;
    if (h.every((v) => v === 0)) {
      this.done = true; // end-of-archive marker
      return;
    }
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
    if (sum !== numeric(h, 148, 8)) {
      throw new FormatError(this.archive, `bad tar header checksum at byte offset ${at} (corrupt or not a tar file)`);
    }
    this.entryOffset = at;
    const type = h[156] === 0 ? '0' : String.fromCharCode(h[156]);
    const magic = cstr(h, 257, 6);
    const prefix = magic.startsWith('ustar') ? cstr(h, 345, 155) : '';
    let name = prefix ? `${prefix}/${cstr(h, 0, 100)}` : cstr(h, 0, 100);
    let size = numeric(h, 124, 12);
    if (type === 'x' || type === 'L' || type === 'g' || type === 'K') {
      this.meta = type === 'g' || type === 'K' ? null : [];
      this.metaType = type;
    } else {
      if (this.pending.path !== undefined) name = this.pending.path;
      if (this.pending.size !== undefined) size = this.pending.size;
      this.pending = {};
      if (type === '0' || type === '7') {
        const target = safeTarPath(this.dest, name, this.archive, at);
        if (target) {
          mkdirSync(dirname(target), { recursive: true });
          this.fd = openSync(target, 'w');
          this.files.push(target);
        }
      } else if (type === '5') {
        const target = safeTarPath(this.dest, name, this.archive, at);
        if (target) mkdirSync(target, { recursive: true });
      }
      // Links, devices, FIFOs: skipped (only regular files are extracted).
    }
    this.remaining = size;
    this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (size === 0) this.finishEntry();
  }

  private finishEntry(): void {
    this.closeFile();
    if (this.meta) {
      const text = Buffer.concat(this.meta).toString('utf8');
      if (this.metaType === 'L') this.pending.path = text.replace(/\0.*$/s, '');
      else this.parsePax(text);
      this.meta = null;
    }
  }

  /** pax records: "<len> <key>=<value>\n". */
  private parsePax(text: string): void {
    for (const line of text.split('\n')) {
      const m = /^\d+ ([^=]+)=(.*)$/s.exec(line);
      if (!m) continue;
      if (m[1] === 'path') this.pending.path = m[2];
      else if (m[1] === 'size') this.pending.size = Number(m[2]);
    }
  }

  /** Release the open output file after a failure. */
  abort(): void {
    this.closeFile();
  }

  private closeFile(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }
}

/** Extract a .tar.gz into `dest`; returns the absolute paths of the regular files written. */
export async function extractTarGz(archive: string, dest: string): Promise<string[]> {
  mkdirSync(dest, { recursive: true });
  const tar = new TarExtractor(dest, archive);
  const gunzip = createGunzip();
  // pipe() does not forward read errors; without this a read failure would hang the loop below.
  createReadStream(archive).on('error', (e) => gunzip.destroy(e)).pipe(gunzip);
  try {
    for await (const chunk of gunzip) tar.push(chunk as Buffer);
  } catch (e) {
    tar.abort();
    if (e instanceof FormatError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (code && !code.startsWith('Z_')) throw new FormatError(archive, `cannot read: ${(e as Error).message}`);
    throw new FormatError(archive, `not a valid gzip stream: ${(e as Error).message}`);
  }
  return tar.end();
}
