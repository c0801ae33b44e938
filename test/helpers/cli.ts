/** Running the CLI from tests: as a user does (a child `node bin/whittle.js`) or in-process (one command). */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'whittle.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Spawns `node bin/whittle.js ...args`; `onStderr` may act on the child (e.g. send SIGINT) as output arrives. */
export function spawnWhittle(args: string[], onStderr?: (text: string, kill: (sig: NodeJS.Signals) => void) => void): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, WHITTLE_DEBUG: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      onStderr?.(stderr, (sig) => child.kill(sig));
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs one registered command in-process (`whittle ...args`) and returns what it printed with console.log, line by line. */
export async function runCommand(register: (program: Command) => void, args: string[]): Promise<string[]> {
  const program = new Command().exitOverride();
  register(program);
  const lines: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.join(' '));
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    console.log = orig;
  }
  return lines;
}
