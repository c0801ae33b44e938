/**
 * Where a result came from: the Whittle version and git commit that ran it, the command line, the
 * machine and the runtime. Recorded in each experiment run's summary.json (and as a `provenance` event in
 * log.jsonl at every invocation, so a run resumed by other code says so); the report prints it per run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, hostname, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Provenance {
  whittleVersion: string | null;
  /** `git rev-parse HEAD` of the checkout Whittle ran from, with `-dirty` for uncommitted changes; null outside git. */
  gitCommit: string | null;
  commandLine: string;
  hostname: string;
  /** "Linux 6.1 x64, 2 × Intel Xeon ..., 7.8 GiB" */
  machine: string;
  node: string;
  /** ISO time this record was taken. */
  at: string;
}

function packageRoot(): string | undefined {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(d, 'package.json'))) return d;
    d = dirname(d);
  }
  return undefined;
}

function git(root: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
  } catch {
    return null; // not a checkout (an npm install), or git missing
  }
}

let cached: Omit<Provenance, 'at'> | undefined;

export function collectProvenance(): Provenance {
  if (!cached) {
    const root = packageRoot();
    let version: string | null;
    try {
      version = root ? (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string }).version ?? null : null;
    } catch {
      version = null;
    }
    const head = root && existsSync(join(root, '.git')) ? git(root, ['rev-parse', 'HEAD']) : null;
    const dirty = head && root ? (git(root, ['status', '--porcelain', '--untracked-files=no']) ?? '') !== '' : false;
    const cpu = cpus();
    cached = {
      whittleVersion: version,
      gitCommit: head ? `${head}${dirty ? '-dirty' : ''}` : null,
      commandLine: process.argv.slice(1).map((a) => (/^[\w./:=@+-]+$/.test(a) ? a : JSON.stringify(a))).join(' '),
      hostname: hostname(),
      machine: `${platform()} ${release()} ${process.arch}, ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
      node: process.version,
    };
  }
  return { ...cached, at: new Date().toISOString() };
}
