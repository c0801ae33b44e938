/** Reading the files a run directory holds (summary.json, training.json, log.jsonl). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LogEvent } from '../train/index.js';

export function readJson<T>(file: string): T | undefined {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** Sum of the epoch times in a run's log.jsonl (all invocations). */
export function epochSeconds(runDir: string): number {
  const f = join(runDir, 'log.jsonl');
  if (!existsSync(f)) return 0;
  let s = 0;
  for (const line of readFileSync(f, 'utf8').split('\n')) {
    if (!line.includes('"epoch"')) continue;
    try {
      const e = JSON.parse(line) as LogEvent;
      if (e.type === 'epoch' && typeof e.seconds === 'number') s += e.seconds;
    } catch {
      /* a line cut by a crash */
    }
  }
  return s;
}

/** The last `lines` lines of a text file ('' when it does not exist). */
export function tailOf(file: string, lines = 5): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
