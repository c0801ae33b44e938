import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, readSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  loadCifar10, loadCifar100, readCifar10File, readCifar100File, CIFAR10_RECORD_BYTES,
} from '../../src/data/cifar.js';
import { defaultCifar10Dir } from '../../src/data/paths.js';
import { FormatError } from '../../src/core/errors.js';
import { cifarRecords, synthPixel, tempDir } from './helpers.js';

const DIR = defaultCifar10Dir();
const BATCH1_COUNTS = [1005, 974, 1032, 1016, 999, 937, 1030, 1001, 1025, 981];

/** The first `k` raw records of data_batch_1. */
function rawRecords(k: number): Buffer {
  const buf = Buffer.alloc(k * CIFAR10_RECORD_BYTES);
  const fd = openSync(join(DIR, 'data_batch_1.bin'), 'r');
  readSync(fd, buf, 0, buf.length, 0);
  closeSync(fd);
  return buf;
}

test('CIFAR-10 batch 1: size, label histogram, first label, class names', () => {
  const ds = loadCifar10(DIR, { batches: [1] });
  assert.equal(ds.n, 10000);
  assert.equal(ds.images.length, 10000 * 3072);
  const hist = new Array(10).fill(0);
  for (const l of ds.labels) hist[l]++;
  assert.deepEqual(hist, BATCH1_COUNTS);
  assert.equal(ds.labels[0], 6);
  assert.equal(ds.classNames[6], 'frog');
  assert.equal(ds.classNames.length, 10);
  // Known first pixel of the first image (R, G, B) and first red row values.
  assert.deepEqual([...ds.images.subarray(0, 3)], [59, 62, 63]);
  assert.deepEqual([0, 1, 2, 3, 4].map((x) => ds.images[x * 3]), [59, 43, 50, 68, 98]);
});

test('CIFAR-10 planar records become NHWC (checked against raw bytes)', () => {
  const raw = rawRecords(3);
  const recs = loadCifar10(DIR, { batches: [1] });
  for (let r = 0; r < 3; r++) {
    for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) for (let c = 0; c < 3; c++) {
      const want = raw[r * 3073 + 1 + c * 1024 + y * 32 + x];
      assert.equal(recs.images[((r * 32 + y) * 32 + x) * 3 + c], want);
    }
    assert.equal(recs.labels[r], raw[r * 3073]);
  }
});

test('loading several batches concatenates them in order', () => {
  const ds = loadCifar10(DIR, { batches: [2, 1] });
  assert.equal(ds.n, 20000);
  assert.equal(ds.labels[0], 1); // first label of batch 2
  assert.equal(ds.labels[10000], 6); // first label of batch 1
});

test('truncated file: FormatError names the file and the offset of the cut record', () => {
  const { dir, cleanup } = tempDir('trunc');
  try {
    const f = join(dir, 'data_batch_1.bin');
    writeFileSync(f, rawRecords(4).subarray(0, 3 * 3073 + 100));
    assert.throws(() => readCifar10File(f), (e: unknown) => {
      assert.ok(e instanceof FormatError, 'a FormatError');
      assert.equal(e.file, f);
      assert.match(e.message, new RegExp(`${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.match(e.message, /record 3 at byte offset 9219 has only 100 of 3073 bytes/);
      return true;
    });
    writeFileSync(f, new Uint8Array(0));
    assert.throws(() => readCifar10File(f), /empty file/);
    // loadCifar10 validates before reading.
    assert.throws(() => loadCifar10(dir, { batches: [1] }), /data_batch_1\.bin: empty file/);
  } finally {
    cleanup();
  }
});

test('corrupt label: FormatError names the file, record and byte offset', () => {
  const { dir, cleanup } = tempDir('label');
  try {
    const f = join(dir, 'bad.bin');
    const bytes = Buffer.from(rawRecords(5));
    bytes[2 * 3073] = 10;
    writeFileSync(f, bytes);
    assert.throws(() => readCifar10File(f), (e: unknown) => {
      assert.ok(e instanceof FormatError, 'a FormatError');
      assert.ok(e.message.startsWith(f), 'message starts with the file');
      assert.match(e.message, /record 2 at byte offset 6146: label byte 0 is 10, out of range \[0, 10\)/);
      return true;
    });
  } finally {
    cleanup();
  }
});

test('missing files and bad batch numbers give clear errors', () => {
  const { dir, cleanup } = tempDir('missing');
  try {
    assert.throws(() => loadCifar10(dir, { batches: [3] }), /CIFAR-10 file not found: .*data_batch_3\.bin.*--data-dir/);
    assert.throws(() => loadCifar10(DIR, { batches: [6] }), /no CIFAR-10 batch 6/);
    writeFileSync(join(dir, 'data_batch_1.bin'), cifarRecords([[1]]));
    writeFileSync(join(dir, 'batches.meta.txt'), 'a\nb\n');
    assert.throws(() => loadCifar10(dir, { batches: [1] }), /batches\.meta\.txt: expected 10 class names/);
  } finally {
    cleanup();
  }
});

test('CIFAR-100 reader: fine labels by default, coarse on request, both validated', () => {
  const { dir, cleanup } = tempDir('c100');
  try {
    const labels = [[3, 45], [19, 99], [0, 0]];
    mkdirSync(join(dir, 'cifar-100-binary'));
    const f = join(dir, 'cifar-100-binary', 'train.bin');
    writeFileSync(f, cifarRecords(labels));
    const fine = readCifar100File(f);
    assert.deepEqual([...fine.labels], [45, 99, 0]);
    assert.deepEqual([...readCifar100File(f, { label: 'coarse' }).labels], [3, 19, 0]);
    for (let r = 0; r < 3; r++) {
      for (const p of [0, 33, 1023]) for (let c = 0; c < 3; c++) {
        assert.equal(fine.images[(r * 1024 + p) * 3 + c], synthPixel(r, c, p));
      }
    }
    // The parent folder works too; class names fall back to numbered ones.
    const ds = loadCifar100(dir, { label: 'coarse' });
    assert.equal(ds.numClasses, 20);
    assert.equal(ds.classNames[19], 'class_19');
    writeFileSync(f, cifarRecords([[3, 45], [2, 100]]));
    assert.throws(() => readCifar100File(f), /record 1 at byte offset 3074: label byte 1 is 100, out of range \[0, 100\)/);
    writeFileSync(f, cifarRecords([[20, 1]]));
    assert.throws(() => readCifar100File(f, { label: 'fine' }), /label byte 0 is 20, out of range \[0, 20\)/);
    // A CIFAR-10 file read as CIFAR-100 is caught by the record size.
    writeFileSync(f, rawRecords(2));
    assert.throws(() => readCifar100File(f), /not a multiple of the 3074-byte record/);
  } finally {
    cleanup();
  }
});
