/**
 * Test-only fault injection: WHITTLE_TEST_CRASH_AT=<phase>:<n>[,<phase>:<n>...] kills the process with
 * SIGKILL the n-th time it reaches `phase` (counted from 1 in this process), so the interruption tests
 * can stop a run inside each phase of a checkpoint write. Phases: `write` (a file half written, before
 * fsync), `rename` (a temp file complete, before it replaces the target), `ckpt-written` (the whole
 * checkpoint in its temp directory), `ckpt-renamed` (ckpt-N in place, `latest` not yet repointed),
 * `latest` (repointed, old checkpoints not yet pruned), `step` (a training step done, before the next).
 * Unset (always, outside tests) it costs one property read per call.
 */
let plan: Map<string, number> | undefined;
const counts = new Map<string, number>();

export function testCrashPoint(phase: string): void {
  const spec = process.env.WHITTLE_TEST_CRASH_AT;
  if (!spec) return;
  plan ??= new Map(spec.split(',').map((p) => p.split(':')).map(([k, n]) => [k, Number(n)]));
  const at = plan.get(phase);
  if (at === undefined) return;
  const c = (counts.get(phase) ?? 0) + 1;
  counts.set(phase, c);
  if (c === at) process.kill(process.pid, 'SIGKILL');
}
