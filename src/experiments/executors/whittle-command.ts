/**
 * The command line that starts this same Whittle CLI in another process or on another machine of a
 * shared file system: this Node binary, its loader flags (tsx from a checkout, none for the package's
 * bin or a compiled dist/) and the absolute path of the CLI script that is running now.
 */
import { realpathSync } from 'node:fs';
import { WhittleError } from '../../core/errors.js';

/** Flags that must not follow into children (debuggers, the test runner, watch mode, profilers). */
const PRIVATE_FLAG = /^--(inspect|debug|test|watch|prof|cpu-prof|heap-prof|experimental-test)/;

export function whittleCommand(): string[] {
  const script = process.argv[1];
  if (!script) throw new WhittleError('cannot tell which script runs the Whittle CLI (process.argv[1] is empty)');
  const flags: string[] = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const a = process.execArgv[i];
    if (PRIVATE_FLAG.test(a)) continue;
    flags.push(a);
  }
  return [process.execPath, ...flags, realpathSync(script)];
}

/** Quotes a word for bash (single quotes; embedded quotes closed and escaped). */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
