/**
 * Where an export may write. A run's checkpoints are what --resume continues from: an export written into
 * them (`whittle prune --export RUN/checkpoints`) would be published as `latest` and prune the older
 * checkpoints away, and one written into the run directory itself would shadow them for every reader of
 * RUN. So every command that writes a file or directory the user names (prune --export, pq --out, quant
 * --out, enc --out, ...) checks its target here first, before any work and before writing anything.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { WhittleError } from '../core/errors.js';
import { LATEST, listCheckpoints } from './checkpoint-dir.js';

/** A folder of checkpoints: a `latest` pointer or ckpt-* directories. */
function holdsCheckpoints(dir: string): boolean {
  return existsSync(join(dir, LATEST)) || listCheckpoints(dir).length > 0;
}

/** A training run directory (what `whittle train --out` makes): config.json and a checkpoints/ folder. */
export function isRunDirectory(dir: string): boolean {
  return existsSync(join(dir, 'config.json')) && holdsCheckpoints(join(dir, 'checkpoints'));
}

const within = (path: string, dir: string): boolean => {
  const r = relative(dir, path);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
};

/** The absolute path with symlinks of its longest existing prefix resolved (the rest may not exist yet). */
function canonical(path: string): string {
  let p = resolve(path);
  const tail: string[] = [];
  while (!existsSync(p)) {
    const up = dirname(p);
    if (up === p) break;
    tail.unshift(basename(p));
    p = up;
  }
  return join(realpathSync(p), ...tail);
}

/** The checkpoint-holding folders an export to `target` must stay out of, with a description of each. */
function protectedFolders(target: string, source?: string): Array<{ dir: string; exact?: boolean; what: string }> {
  const out: Array<{ dir: string; exact?: boolean; what: string }> = [];
  for (let a = target; ; a = dirname(a)) {
    if (isRunDirectory(a)) {
      out.push({ dir: a, exact: true, what: `the run directory ${a}` });
      out.push({ dir: join(a, 'checkpoints'), what: `the checkpoint folder of the run ${a}` });
    }
    if (dirname(a) === a) break;
  }
  if (source && existsSync(source)) {
    // The checkpoint read (a ckpt-* dir, a folder of them, or a run directory) and the folder holding it.
    let s = canonical(source);
    if (existsSync(join(s, 'checkpoints', LATEST))) s = join(s, 'checkpoints');
    const holder = existsSync(join(s, 'state.json')) && holdsCheckpoints(dirname(s)) ? dirname(s) : s;
    if (holdsCheckpoints(holder) || existsSync(join(s, 'state.json'))) {
      out.push({ dir: holder, what: `the checkpoint folder of ${source}` });
      if (basename(holder) === 'checkpoints') out.push({ dir: dirname(holder), exact: true, what: `the run directory of ${source}` });
    }
  }
  return out;
}

/**
 * Refuses an output path (file or directory) equal to or inside a run's checkpoint folder, equal to a run
 * directory, or inside the checkpoints of `source` (the checkpoint the command reads). `flag` names the
 * option in the message.
 */
export function assertExportTarget(target: string, flag: string, source?: string): void {
  const t = canonical(target);
  for (const p of protectedFolders(t, source)) {
    if (p.exact ? t === p.dir : within(t, p.dir)) {
      throw new WhittleError(`${flag} ${target}: ${t === p.dir ? 'is' : 'lies inside'} ${p.what}; an export there would delete or repoint checkpoints --resume needs. Choose a path outside it`);
    }
  }
}

/** assertExportTarget for an output *file*, which must also not be an existing directory. */
export function assertExportFile(target: string, flag: string, source?: string): void {
  assertExportTarget(target, flag, source);
  if (existsSync(target) && statSync(target).isDirectory()) {
    throw new WhittleError(`${flag} ${target}: is a directory; give the path of the file to write (e.g. ${join(target, 'model.pq')})`);
  }
}
