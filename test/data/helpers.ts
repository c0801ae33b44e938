/** Builders for synthetic CIFAR files and tar.gz archives used by the data tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ImageDataset } from '../../src/data/types.js';

export function tempDir(tag: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `whittle-data-${tag}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Pixel value of record `r`, channel `c`, planar position `p` in synthetic files. */
export const synthPixel = (r: number, c: number, p: number): number => (r * 31 + c * 97 + p * 7) & 255;

/** A CIFAR binary file: `labels[r]` holds the label byte(s) of record r. */
export function cifarRecords(labels: number[][]): Uint8Array {
  const lb = labels[0]?.length ?? 1;
  const rec = lb + 3072;
  const out = new Uint8Array(labels.length * rec);
  labels.forEach((l, r) => {
    out.set(l, r * rec);
    for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) out[r * rec + lb + c * 1024 + p] = synthPixel(r, c, p);
  });
  return out;
}

export interface TarEntrySpec {
  name: string;
  data?: Uint8Array | string;
  /** Tar type flag: '0' file (default), '5' directory, '2' symlink. */
  type?: string;
  linkname?: string;
}

function field(h: Uint8Array, off: number, len: number, s: string): void {
  h.set(Buffer.from(s, 'utf8').subarray(0, len), off);
}

/** A ustar archive (uncompressed). */
export function tar(entries: TarEntrySpec[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const e of entries) {
    const data = typeof e.data === 'string' ? Buffer.from(e.data) : (e.data ?? new Uint8Array(0));
    const h = new Uint8Array(512);
    field(h, 0, 100, e.name);
    field(h, 100, 8, '0000644\0');
    field(h, 108, 8, '0000000\0');
    field(h, 116, 8, '0000000\0');
    field(h, 124, 12, data.length.toString(8).padStart(11, '0') + '\0');
    field(h, 136, 12, '00000000000\0');
    field(h, 148, 8, '        ');
    field(h, 156, 1, e.type ?? '0');
    if (e.linkname) field(h, 157, 100, e.linkname);
    field(h, 257, 6, 'ustar\0');
    field(h, 263, 2, '00');
    let sum = 0;
    for (const b of h) sum += b;
    field(h, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
    blocks.push(h, data, new Uint8Array((512 - (data.length % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024));
  return Buffer.concat(blocks);
}

export const tarGz = (entries: TarEntrySpec[]): Uint8Array => gzipSync(tar(entries));

/** A tiny dataset whose label is the image index and whose pixels encode it, for order checks. */
export function indexDataset(n: number, h = 4, w = 5, ch = 3): ImageDataset {
  const size = h * w * ch;
  const images = new Uint8Array(n * size);
  for (let i = 0; i < n; i++) for (let k = 0; k < size; k++) images[i * size + k] = (i * 13 + k * 5) & 255;
  const labels = Int32Array.from({ length: n }, (_, i) => i);
  return { name: 'index', images, labels, n, height: h, width: w, channels: ch, numClasses: n, classNames: [] };
}
