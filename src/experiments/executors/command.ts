/** Runs an external command (sbatch, squeue, ...) and says whether it worked, never throwing. */
import { spawnSync } from 'node:child_process';

export interface CommandResult {
  ok: boolean;
  status: number | null;
  stdout: string;
  stderr: string;
  /** Why it did not run at all (e.g. ENOENT). */
  error?: string;
}

export function runCommand(cmd: string, args: string[], timeoutMs = 30_000): CommandResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  return { ok: !r.error && r.status === 0, status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error?.message };
}
