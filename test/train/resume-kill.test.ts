/**
 * Exact resume for real: a training process is SIGKILLed mid-epoch, a second process resumes from its
 * checkpoints, and the final weights must equal an uninterrupted run's byte for byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./fixtures/resume-child.ts', import.meta.url));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  events: Record<string, unknown>[];
  stderr: string;
}

/** Runs the child; `killAt` SIGKILLs it once a step event reaches that iteration. */
function run(args: string[], killAt?: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const events: Record<string, unknown>[] = [];
    let buf = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!line.startsWith('{')) continue;
        const e = JSON.parse(line);
        events.push(e);
        if (killAt !== undefined && e.type === 'step' && (e.iteration as number) >= killAt) child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, events, stderr }));
  });
}

test('SIGKILL mid-epoch, resume in a new process: final weights bit-identical to an uninterrupted run', { timeout: 120_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'whittle-kill-'));
  const a = join(root, 'a');
  const b = join(root, 'b');
  const [full, killed] = await Promise.all([
    run(['--dir', a, '--out', join(root, 'a.bin')]),
    // 12 steps per epoch, checkpoints every 4: killed at step 18 or a little later, resumes at step 16.
    run(['--dir', b, '--out', join(root, 'b.bin'), '--slow-after', '17'], 18),
  ]);
  assert.equal(full.code, 0, full.stderr);
  assert.equal(killed.signal, 'SIGKILL', `the child was not killed (code ${killed.code}): ${killed.stderr}`);
  assert.ok(!killed.events.some((e) => e.type === 'done'));

  const resumed = await run(['--dir', b, '--out', join(root, 'b.bin'), '--resume']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const r = resumed.events.find((e) => e.type === 'resume');
  assert.ok(r, 'the second process resumed from a checkpoint');
  assert.equal(r.epoch, 2); // log events count epochs from 1: step 16 is in the second epoch
  assert.ok((r.step as number) > 0 && (r.step as number) < 12, `resumed mid-epoch (step ${r.step})`);
  const done = (x: Run) => x.events.find((e) => e.type === 'done')!;
  assert.equal(done(resumed).iteration, 36);
  assert.deepEqual(done(resumed).jitters, done(full).jitters);

  const wa = readFileSync(join(root, 'a.bin'));
  const wb = readFileSync(join(root, 'b.bin'));
  assert.equal(wb.length, wa.length);
  assert.ok(wa.equals(wb), 'final weights differ from the uninterrupted run');
  // The same step losses after the resume point, too.
  const loss = (x: Run, it: number) => x.events.find((e) => e.type === 'step' && e.iteration === it)?.loss;
  assert.equal(loss(resumed, 30), loss(full, 30));
  rmSync(root, { recursive: true, force: true });
});
