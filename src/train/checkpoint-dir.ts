/** Naming and discovery of checkpoint directories inside a run directory. */
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../core/errors.js';
import { readRegularFile } from '../io/read-file.js';

export const LATEST = 'latest';

export const ckptName = (iteration: number) => `ckpt-${String(iteration).padStart(8, '0')}`;

/** The checkpoint directory `latest` names in a run directory, or undefined when there is none. */
export function latestCheckpoint(runDir: string): string | undefined {
  const p = join(runDir, LATEST);
  if (!existsSync(p)) return undefined;
  const name = readRegularFile(p, { maxBytes: 4096, what: 'checkpoint pointer' }).toString('utf8').trim();
  if (!/^ckpt-[\w.-]+$/.test(name) || name.includes('..')) throw new FormatError(p, `does not name a checkpoint directory (got "${name.slice(0, 80)}")`);
  return join(runDir, name);
}

/** Checkpoint directories of a run, oldest first (by iteration in the name). */
export function listCheckpoints(runDir: string): string[] {
  if (!existsSync(runDir)) return [];
  return readdirSync(runDir)
    .filter((n) => /^ckpt-\d+/.test(n) && statSync(join(runDir, n)).isDirectory())
    .sort((a, b) => parseInt(a.slice(5), 10) - parseInt(b.slice(5), 10) || a.localeCompare(b))
    .map((n) => join(runDir, n));
}

export function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on directories; the renames are still atomic.
  }
}
