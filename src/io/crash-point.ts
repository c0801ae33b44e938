/**
 * Test-only fault injection: WHITTLE_TEST_CRASH_AT=<phase>:<n>[:<signal>][,...] kills the process (SIGKILL,
 * or the signal named) the n-th time it reaches `phase` (counted from 1 in this process), so the interruption tests
 * can stop a run inside each phase of a checkpoint write. Phases: `write` (a file half written, before
 * fsync), `rename` (a temp file complete, before it replaces the target), `ckpt-written` (the whole
 * checkpoint in its temp directory), `ckpt-renamed` (ckpt-N in place, `latest` not yet repointed),
 * `latest` (repointed, old checkpoints not yet pruned), `step` (a training step done, before the next).
 * Unset (always, outside tests) it costs one property read per call.
 */
let plan: Map<string, { at: number; signal: NodeJS.Signals }> | undefined;
const counts = new Map<string, number>();

export function testCrashPoint(phase: string): void {
  const spec = process.env.WHITTLE_TEST_CRASH_AT;
  if (!spec) return;
  // <phase>:<n>[:<signal>]: SIGKILL by default; `step:3:SIGINT` asks the CLI to stop as Ctrl-C does.
  plan ??= new Map(spec.split(',').map((p) => p.split(':')).map(([k, n, sig]) => [k, { at: Number(n), signal: (sig ?? 'SIGKILL') as NodeJS.Signals }]));
  const p = plan.get(phase);
  if (p === undefined) return;
  const c = (counts.get(phase) ?? 0) + 1;
  counts.set(phase, c);
  if (c === p.at) process.kill(process.pid, p.signal);
}
