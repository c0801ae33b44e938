/** JSON-lines event log for a run directory (one object per line, with a timestamp). */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LogEvent } from './types.js';

export function jsonLinesLogger(file: string, also?: (e: LogEvent) => void): (e: LogEvent) => void {
  mkdirSync(dirname(file), { recursive: true });
  return (e) => {
    // Non-finite numbers are not JSON: write them as null rather than dropping the line.
    appendFileSync(file, JSON.stringify({ time: new Date().toISOString(), ...e }, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) + '\n');
    also?.(e);
  };
}
