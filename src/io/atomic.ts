/**
 * Atomic file writes: write to a temp file in the same directory, fsync, then rename over the target,
 * so an interrupted write never leaves a half-written file in place of a good one.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, statSync, writeSync, rmSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { WhittleError } from '../core/errors.js';
import { testCrashPoint } from './crash-point.js';

export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const dir = dirname(path);
  if (existsSync(path) && statSync(path).isDirectory()) throw new WhittleError(`${path} is a directory: cannot write a file there`);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const fd = openSync(tmp, 'w');
  try {
    let off = 0;
    const half = bytes.length >> 1;
    while (off < half) off += writeSync(fd, bytes, off, half - off);
    testCrashPoint('write');
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  testCrashPoint('rename');
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true }); // (the target turned into a directory, or vanished with its folder)
    throw e;
  }
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}
