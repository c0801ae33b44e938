/**
 * Reading a file that a user (or a stranger) pointed us at: it must be a regular file (not a directory,
 * FIFO, socket or device such as /dev/zero, which would block or never end) and no larger than `maxBytes`.
 * Opened with O_NONBLOCK and checked with fstat on the same descriptor, so a FIFO never blocks the open
 * and nothing can be swapped in between the check and the read.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import { FormatError, WhittleError } from '../core/errors.js';

export interface ReadFileOptions {
  /** Largest accepted size in bytes. */
  maxBytes: number;
  /** What the file is, for messages ("config file", "CIFAR-10 batch"). */
  what?: string;
}

function kindOf(st: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** Throws WhittleError when the path does not exist, FormatError when it is not a regular file or too large. */
export function readRegularFile(path: string, opts: ReadFileOptions): Buffer {
  const what = opts.what ?? 'file';
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new WhittleError(`${what} ${path} does not exist`);
    if (code === 'EISDIR') throw new FormatError(path, `${what} is a directory, not a file`);
    throw new FormatError(path, `cannot open ${what} (${code ?? (e as Error).message})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new FormatError(path, `${what} is ${kindOf(st)}, not a regular file`);
    if (st.size > opts.maxBytes) throw new FormatError(path, `${what} is ${st.size} bytes, over the ${opts.maxBytes}-byte limit`);
    const b = readFileSync(fd);
    if (b.length > opts.maxBytes) throw new FormatError(path, `${what} grew past the ${opts.maxBytes}-byte limit while being read`);
    return b;
  } catch (e) {
    if (e instanceof WhittleError) throw e;
    throw new FormatError(path, `cannot read ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  } finally {
    closeSync(fd);
  }
}

/** The size of a regular file, with the checks of readRegularFile (without reading it). */
export function regularFileSize(path: string, opts: ReadFileOptions): number {
  const what = opts.what ?? 'file';
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (e) {
    throw new FormatError(path, `cannot stat ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (!st.isFile()) throw new FormatError(path, `${what} is ${kindOf(st)}, not a regular file`);
  if (st.size > opts.maxBytes) throw new FormatError(path, `${what} is ${st.size} bytes, over the ${opts.maxBytes}-byte limit`);
  return st.size;
}

/** Whether `path` is an existing regular file (following symlinks); false for directories, FIFOs, devices. */
export function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
