/**
 * Readers for the official CIFAR-10/100 binary format. A record is the label byte(s) followed by 3072 pixel
 * bytes stored planar (1024 R, 1024 G, 1024 B, each row-major 32x32); we convert to NHWC on load so the
 * rest of Whittle only ever sees one layout.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, FormatError, WhittleError } from '../core/errors.js';
import { readRegularFile, regularFileSize } from '../io/read-file.js';
import type { ImageDataset } from './types.js';

/** Largest batch file read (the official CIFAR-100 train.bin is 154 MB) and class-name file. */
const MAX_BATCH_BYTES = 512 * 2 ** 20;
const MAX_NAMES_BYTES = 1 << 20;

export const CIFAR_SIDE = 32;
export const CIFAR_PLANE = CIFAR_SIDE * CIFAR_SIDE;
export const CIFAR_IMAGE_BYTES = 3 * CIFAR_PLANE;
export const CIFAR10_RECORD_BYTES = 1 + CIFAR_IMAGE_BYTES;
export const CIFAR100_RECORD_BYTES = 2 + CIFAR_IMAGE_BYTES;

/** Label order of the official release (used when batches.meta.txt is absent). */
export const CIFAR10_CLASSES = [
  'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck',
];

/** How to read one record: how many label bytes precede the pixels, which one is the label, their ranges. */
export interface CifarLayout {
  /** Label bytes per record (1 for CIFAR-10, 2 for CIFAR-100: coarse then fine). */
  labelBytes: number;
  /** Index of the label byte to keep. */
  labelIndex: number;
  /** Number of classes allowed for each label byte (all are validated, even the ignored one). */
  numClasses: number[];
}

export const CIFAR10_LAYOUT: CifarLayout = { labelBytes: 1, labelIndex: 0, numClasses: [10] };
export const cifar100Layout = (label: 'fine' | 'coarse' = 'fine'): CifarLayout => ({
  labelBytes: 2,
  labelIndex: label === 'fine' ? 1 : 0,
  numClasses: [20, 100],
});

export interface CifarRecords {
  images: Uint8Array;
  labels: Int32Array;
  n: number;
}

/** Number of records in `byteLength` bytes; throws a FormatError naming where truncation happens. */
export function countRecords(byteLength: number, file: string, layout: CifarLayout): number {
  const rec = layout.labelBytes + CIFAR_IMAGE_BYTES;
  if (byteLength === 0) throw new FormatError(file, 'empty file (expected records of ' + rec + ' bytes)');
  const n = Math.floor(byteLength / rec);
  const rest = byteLength - n * rec;
  if (rest !== 0) {
    throw new FormatError(
      file,
      `truncated: ${byteLength} bytes is not a multiple of the ${rec}-byte record; record ${n} at byte ` +
        `offset ${n * rec} has only ${rest} of ${rec} bytes`,
    );
  }
  return n;
}

/**
 * Parse CIFAR records from `bytes` into `out` starting at image `start` (so several batch files fill one
 * pre-allocated dataset without extra copies). Returns the number of records. Labels are range-checked.
 */
export function parseCifarInto(
  bytes: Uint8Array,
  file: string,
  layout: CifarLayout,
  out: CifarRecords,
  start = 0,
): number {
  const rec = layout.labelBytes + CIFAR_IMAGE_BYTES;
  const n = countRecords(bytes.length, file, layout);
  if (start + n > out.n) throw new WhittleError(`${file}: ${n} records do not fit at index ${start} of ${out.n}`);
  const { images, labels } = out;
  for (let r = 0; r < n; r++) {
    const off = r * rec;
    for (let k = 0; k < layout.labelBytes; k++) {
      const v = bytes[off + k];
      if (v >= layout.numClasses[k]) {
        throw new FormatError(
          file,
          `record ${r} at byte offset ${off}: label byte ${k} is ${v}, out of range [0, ${layout.numClasses[k]}) ` +
            '(corrupt file or wrong format: CIFAR-10 has 1 label byte, CIFAR-100 has 2)',
        );
      }
    }
    labels[start + r] = bytes[off + layout.labelIndex];
    // Planar R,G,B -> interleaved NHWC.
    const src = off + layout.labelBytes;
    let dst = (start + r) * CIFAR_IMAGE_BYTES;
    for (let p = 0; p < CIFAR_PLANE; p++, dst += 3) {
      images[dst] = bytes[src + p];
      images[dst + 1] = bytes[src + CIFAR_PLANE + p];
      images[dst + 2] = bytes[src + 2 * CIFAR_PLANE + p];
    }
  }
  return n;
}

/** Parse a whole buffer of records. */
export function parseCifar(bytes: Uint8Array, file: string, layout: CifarLayout): CifarRecords {
  const n = countRecords(bytes.length, file, layout);
  const out = { images: new Uint8Array(n * CIFAR_IMAGE_BYTES), labels: new Int32Array(n), n };
  parseCifarInto(bytes, file, layout, out);
  return out;
}

function requireFile(file: string, what: string): void {
  if (!existsSync(file)) {
    throw new WhittleError(
      `${what} file not found: ${file} (pass --data-dir pointing at the extracted folder, ` +
        'set WHITTLE_CIFAR10_DIR, or download the official binary archive)',
    );
  }
}

function readExisting(file: string, what: string): Buffer {
  requireFile(file, what);
  return readRegularFile(file, { maxBytes: MAX_BATCH_BYTES, what: `${what} batch` });
}

export function readCifar10File(file: string): CifarRecords {
  return parseCifar(readExisting(file, 'CIFAR-10'), file, CIFAR10_LAYOUT);
}

export function readCifar100File(file: string, opts: { label?: 'fine' | 'coarse' } = {}): CifarRecords {
  return parseCifar(readExisting(file, 'CIFAR-100'), file, cifar100Layout(opts.label));
}

/** One class name per non-empty line; the count must match. */
export function readClassNames(file: string, expected: number): string[] {
  const names = readRegularFile(file, { maxBytes: MAX_NAMES_BYTES, what: 'class-name file' }).toString('utf8').split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.length !== expected) {
    throw new FormatError(file, `expected ${expected} class names (one per line), found ${names.length}`);
  }
  return names;
}

/** Accept either the folder holding the .bin files or its parent (where the archive was extracted). */
export function resolveDataDir(dir: string, subdir: string, probe: string): string {
  if (existsSync(join(dir, probe))) return dir;
  if (existsSync(join(dir, subdir, probe))) return join(dir, subdir);
  return dir;
}

export type Cifar10Batch = number | 'test';

/** Load CIFAR-10 batches (default `data_batch_1..5`; `'test'` is `test_batch.bin`) into one dataset. */
export function loadCifar10(dir: string, opts: { batches?: Cifar10Batch[] } = {}): ImageDataset {
  const root = resolveDataDir(dir, 'cifar-10-batches-bin', 'batches.meta.txt');
  const batches = opts.batches ?? [1, 2, 3, 4, 5];
  if (batches.length === 0) throw new ConfigError('batches', 'select at least one CIFAR-10 batch');
  const files = batches.map((b) => {
    if (b === 'test') return join(root, 'test_batch.bin');
    if (!Number.isInteger(b) || b < 1 || b > 5) throw new ConfigError('batches', `no CIFAR-10 batch ${b} (1..5 or "test")`);
    return join(root, `data_batch_${b}.bin`);
  });
  // Size the dataset from the file sizes first so all batches land in one allocation.
  let n = 0;
  for (const f of files) {
    requireFile(f, 'CIFAR-10');
    n += countRecords(regularFileSize(f, { maxBytes: MAX_BATCH_BYTES, what: 'CIFAR-10 batch' }), f, CIFAR10_LAYOUT);
  }
  const out = { images: new Uint8Array(n * CIFAR_IMAGE_BYTES), labels: new Int32Array(n), n };
  let at = 0;
  // parseCifarInto re-checks each file's record count against the space sized above
  for (const f of files) at += parseCifarInto(readExisting(f, 'CIFAR-10'), f, CIFAR10_LAYOUT, out, at);
  const meta = join(root, 'batches.meta.txt');
  const classNames = existsSync(meta) ? readClassNames(meta, 10) : [...CIFAR10_CLASSES];
  return { name: 'cifar10', ...out, height: 32, width: 32, channels: 3, numClasses: 10, classNames };
}

/** Load CIFAR-100 `train.bin` or `test.bin` with fine (100) or coarse (20) labels. */
export function loadCifar100(
  dir: string,
  opts: { split?: 'train' | 'test'; label?: 'fine' | 'coarse' } = {},
): ImageDataset {
  const label = opts.label ?? 'fine';
  const root = resolveDataDir(dir, 'cifar-100-binary', 'train.bin');
  const file = join(root, `${opts.split ?? 'train'}.bin`);
  const recs = readCifar100File(file, { label });
  const numClasses = label === 'fine' ? 100 : 20;
  const meta = join(root, `${label}_label_names.txt`);
  const classNames = existsSync(meta)
    ? readClassNames(meta, numClasses)
    : Array.from({ length: numClasses }, (_, i) => `class_${i}`);
  return { name: 'cifar100', ...recs, height: 32, width: 32, channels: 3, numClasses, classNames };
}
