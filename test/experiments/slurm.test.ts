/**
 * The Slurm executor against a real single-node Slurm on localhost (munged, slurmctld and slurmd
 * started by the test under a temp dir): a 2 variants × 2 seeds grid as a job array, a dependent
 * post-step array and a report job; one task cancelled mid-run, the same command rerun (only that run
 * is resubmitted, it resumes from its checkpoint); results equal the local executor's (--jobs 2).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT } from '../helpers/cli.js';
import { startSlurm, type SlurmCluster } from '../helpers/slurm-cluster.js';
import type { RunSummaryFile } from '../../src/experiments/run-one.js';
import type { RunStatus } from '../../src/experiments/status.js';

/** 2 variants × 2 seeds, 1 epoch of 24 steps, a checkpoint every 8 steps, a step event every step. */
export const TINY_GRID = {
  name: 'tiny-slurm',
  title: 'Tiny grid on Slurm',
  base: {
    model: { name: 'vanilla' },
    data: { name: 'shapes', shapesTrain: 96, shapesVal: 16, augment: false },
    train: { epochs: 1, batchSize: 4, lr: 0.02, logEvery: 1 },
    checkpoint: { everySteps: 8 },
    backend: 'wasm',
  },
  seeds: 2,
  variants: [
    { name: 'baseline' },
    { name: 'sfp', config: { sfp: { keepRate: 0.75 } }, post: [{ step: 'prune-export' }] },
  ],
};
/** Planned order: baseline seed 0, baseline seed 1, sfp seed 0, sfp seed 1. */
const RUNS = ['baseline/seed-0', 'baseline/seed-1', 'sfp/seed-0', 'sfp/seed-1'];
const CANCELLED = 1;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, ok: () => boolean, timeoutMs = 240_000, everyMs = 200): Promise<void> {
  for (const until = Date.now() + timeoutMs; Date.now() < until; await sleep(everyMs)) if (ok()) return;
  throw new Error(`timed out waiting for ${what}`);
}

function whittle(c: SlurmCluster, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...c.env, WHITTLE_DEBUG: '' }, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same, in the background (the local executor's grid runs while Slurm works on the rerun). */
const background = new Set<ReturnType<typeof spawn>>();

function whittleAsync(c: SlurmCluster, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...c.env, WHITTLE_DEBUG: '' } });
    background.add(child);
    child.on('exit', () => background.delete(child));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const summary = (out: string, i: number) => join(out, RUNS[i], 'summary.json');
const readSummary = (out: string, i: number) => JSON.parse(readFileSync(summary(out, i), 'utf8')) as RunSummaryFile;

function queueEmpty(c: SlurmCluster): boolean {
  const q = c.cmd('squeue', ['-h']);
  return q.ok && q.stdout.trim() === '';
}

test('an experiment grid through a real Slurm on localhost: arrays, dependencies, a cancelled task resubmitted and resumed, results equal the local executor', { timeout: 600_000 }, async (t) => {
  const c = await startSlurm();
  if ('reason' in c) {
    t.skip(`Slurm could not start on this machine: ${c.reason}`);
    return;
  }
  const root = mkdtempSync(join(tmpdir(), 'whittle-slurm-exp-'));
  try {
    const file = join(root, 'tiny.json');
    writeFileSync(file, JSON.stringify(TINY_GRID));
    const out = join(root, 'slurm-out');
    const run = ['experiment', 'run', file, '--executor', 'slurm', '--out', out, '--cpus-per-task', '1'];

    const t0 = Date.now();
    const mark = (what: string) => t.diagnostic(`${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const first = whittle(c, run);
    assert.equal(first.code, 0, first.stderr);
    const train = /submitted train array \(4 tasks\) as job (\d+)/.exec(first.stdout)?.[1];
    const post = /submitted post array \(2 tasks\) as job (\d+)/.exec(first.stdout)?.[1];
    const report = /submitted report as job (\d+)/.exec(first.stdout)?.[1];
    assert.ok(train && post && report, first.stdout);

    // Cancel one task once it is training; SIGTERM makes it stop at the next step with a checkpoint.
    const log = join(out, RUNS[CANCELLED], 'log.jsonl');
    // Cancelled at its first step event (23 steps before it would end), so the checkpoint it stops with is mid-epoch.
    await waitFor('the task to start training', () => existsSync(log) && readFileSync(log, 'utf8').includes('"type":"step"'), 240_000, 50);
    assert.ok(c.cmd('scancel', [`${train}_${CANCELLED}`]).ok);
    mark('cancelled');
    await waitFor('the first submission to finish', () => queueEmpty(c));
    mark('first submission done');

    for (const i of [0, 2, 3]) assert.equal(readSummary(out, i).complete, true, RUNS[i]);
    assert.ok(!existsSync(summary(out, CANCELLED)), 'the cancelled run has no summary');
    assert.equal(JSON.parse(readFileSync(join(out, RUNS[CANCELLED], 'run-one.json'), 'utf8')).state, 'interrupted');
    assert.ok(!existsSync(join(out, 'report.html')), 'the report waits for every run');
    assert.match(c.cmd('scontrol', ['-o', 'show', 'job', report]).stdout, /JobState=CANCELLED/);

    const st = whittle(c, ['experiment', 'status', out, '--json']);
    assert.equal(st.code, 0, st.stderr);
    const rows = JSON.parse(st.stdout) as RunStatus[];
    assert.deepEqual(rows.map((r) => r.state), ['done', 'failed', 'done', 'done']);
    assert.equal(rows[CANCELLED].job, `${train}_${CANCELLED}`);
    assert.match(rows[CANCELLED].detail, /CANCELLED.*interrupted/);
    assert.match(rows[CANCELLED].logTail ?? '', /SIGTERM/);

    // The local executor, two runs at a time, on the same grid (compared below), meanwhile.
    const local = join(root, 'local-out');
    const localRun = whittleAsync(c, ['experiment', 'run', file, '--executor', 'local', '--jobs', '2', '--out', local, '--no-report']);

    // The same command again: only the cancelled run is resubmitted, and it resumes from its checkpoint.
    const second = whittle(c, run);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /submitted train array \(1 task\) as job \d+/);
    assert.doesNotMatch(second.stdout, /post array/);
    assert.match(second.stdout, /submitted report as job \d+/);
    assert.match(readFileSync(join(out, 'slurm', 'train.sbatch'), 'utf8'), new RegExp(`^#SBATCH --array=${CANCELLED}$`, 'm'));
    await waitFor('the second submission to finish', () => queueEmpty(c));
    mark('second submission done');
    for (const i of RUNS.keys()) assert.equal(readSummary(out, i).complete, true, RUNS[i]);
    const resumed = readSummary(out, CANCELLED).training as { resumedFrom?: string };
    const from = /ckpt-(\d+)/.exec(resumed.resumedFrom ?? '');
    assert.ok(from && Number(from[1]) > 0 && Number(from[1]) < 24, `resumed mid-epoch, from ${resumed.resumedFrom}`);
    assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /Tiny grid on Slurm/);
    const again = whittle(c, ['experiment', 'status', out, '--json']);
    assert.deepEqual((JSON.parse(again.stdout) as RunStatus[]).map((r) => r.state), ['done', 'done', 'done', 'done']);

    // The local executor gives the same numbers for the same seeds.
    const l = await localRun;
    assert.equal(l.code, 0, l.stderr);
    mark('local executor done');
    for (const i of RUNS.keys()) {
      const a = readSummary(out, i);
      const b = readSummary(local, i);
      const ta = a.training as RunSummaryFile['training'] & { val?: unknown; train?: unknown; iterations?: number };
      const tb = b.training as typeof ta;
      assert.deepEqual([ta.val, ta.train, ta.iterations], [tb.val, tb.train, tb.iterations], RUNS[i]);
      const weights = (s: RunSummaryFile) => readFileSync(join(s.checkpoint, 'weights.safetensors'));
      assert.ok(weights(a).equals(weights(b)), `${RUNS[i]}: final weights differ`);
      assert.deepEqual(a.post.map((p) => [p.result.summary.top1Exported, p.result.summary.paramsAfter]), b.post.map((p) => [p.result.summary.top1Exported, p.result.summary.paramsAfter]));
    }
  } finally {
    for (const child of background) child.kill('SIGTERM'); // the local executor stops its runs on SIGTERM
    c.stop();
    rmSync(root, { recursive: true, force: true });
  }
});
