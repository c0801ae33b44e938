/**
 * The interruption harness of issue #22: runs `whittle train` (as a user does, `node bin/whittle.js`) to the
 * end once, and again as a chain of processes each stopped somewhere (inside a phase of a checkpoint write
 * through WHITTLE_TEST_CRASH_AT, after a given step, or by SIGKILL / SIGINT from outside at a seeded random
 * time) and resumed with --resume, then compares every checkpoint both runs hold, byte for byte.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { listCheckpoints } from '../../src/train/checkpoint-dir.js';
import { BIN, ROOT } from '../helpers/cli.js';

/** A run: its config (no `out`) and the environment of every process (e.g. WHITTLE_NATIVE_PLAN=0). */
export interface Scenario {
  name: string;
  config: Record<string, unknown>;
  env?: Record<string, string>;
}

/** How one process of a chain stops: a crash point (WHITTLE_TEST_CRASH_AT), or a signal sent after a delay. */
export type Stop = { crashAt: string } | { signal: 'SIGKILL' | 'SIGINT'; afterMs: number; twice?: boolean };

export interface ProcessResult { code: number | null; signal: NodeJS.Signals | null; stderr: string }

function runProcess(args: string[], env: Record<string, string>, stop?: Stop): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, WHITTLE_DEBUG: '', ...env } });
    let stderr = '';
    let armed = false;
    child.stdout.resume();
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // From the moment training starts ("model: ..." is said just before), after the stop's delay.
      if (stop && 'signal' in stop && !armed && /^model: /m.test(stderr)) {
        armed = true;
        setTimeout(() => {
          child.kill(stop.signal);
          if (stop.twice) setTimeout(() => child.kill(stop.signal), 30);
        }, stop.afterMs);
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

function trainArgs(s: Scenario, out: string): string[] {
  mkdirSync(out, { recursive: true });
  const cfg = join(out, '..', `${s.name}.config.json`);
  writeFileSync(cfg, JSON.stringify({ ...s.config, checkpoint: { everySteps: 1, keep: 10000, ...(s.config.checkpoint as object) } }));
  // --resume from the start: with no checkpoint yet it starts fresh.
  return ['train', '--config', cfg, '--out', out, '--resume', '--json'];
}

/** The uninterrupted run. */
export async function runStraight(s: Scenario, out: string): Promise<void> {
  const r = await runProcess(trainArgs(s, out), s.env ?? {});
  assert.equal(r.code, 0, `${s.name}: the uninterrupted run failed\n${r.stderr}`);
}

/** Chain statistics: processes started, and how many were stopped before the run's end. */
export interface ChainResult { processes: number; interrupted: number; stops: string[] }

/** One process per stop (each resuming the last), then processes without a stop until the run is done. */
export async function runChain(s: Scenario, out: string, stops: Stop[]): Promise<ChainResult> {
  const args = trainArgs(s, out);
  const res: ChainResult = { processes: 0, interrupted: 0, stops: [] };
  for (const stop of [...stops, undefined, undefined]) {
    const env = { ...(s.env ?? {}), ...(stop && 'crashAt' in stop ? { WHITTLE_TEST_CRASH_AT: stop.crashAt } : {}) };
    const r = await runProcess(args, env, stop);
    res.processes++;
    const label = stop === undefined ? 'none' : 'crashAt' in stop ? stop.crashAt : `${stop.signal}${stop.twice ? 'x2' : ''}@${stop.afterMs}ms`;
    if (r.code === 0) {
      if (stop === undefined) return res;
      res.stops.push(`${label}: ran to the end`);
      continue;
    }
    // Stopped: SIGKILL (signal), or the CLI's own SIGINT exit (130: checkpoint written; second SIGINT: none).
    const expected = r.signal === 'SIGKILL' || r.code === 130 || r.signal === 'SIGINT';
    assert.ok(expected, `${s.name}: process ${res.processes} (${label}) failed: code ${r.code} signal ${r.signal}\n${r.stderr}`);
    assert.ok(stop !== undefined, `${s.name}: a process without a stop was stopped\n${r.stderr}`);
    res.interrupted++;
    res.stops.push(label);
  }
  throw new Error(`${s.name}: the chain did not finish`);
}

/** iteration → checkpoint directories of a run (a crashed publish may leave two for one iteration). */
function byIteration(runDir: string): Map<number, string[]> {
  const m = new Map<number, string[]>();
  for (const d of listCheckpoints(join(runDir, 'checkpoints'))) {
    if (!existsSync(join(d, 'state.json'))) continue;
    const it = (JSON.parse(readFileSync(join(d, 'state.json'), 'utf8')) as { iteration: number }).iteration;
    m.set(it, [...(m.get(it) ?? []), d]);
  }
  return m;
}

/** state.json without what legitimately differs between runs: the run's config (its `out`) and wall times. */
function comparableState(dir: string): unknown {
  const st = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as Record<string, unknown>;
  const { config: _c, files: _f, ...rest } = st;
  rest.history = (rest.history as Array<Record<string, unknown>>).map(({ seconds: _s, ...r }) => r);
  return rest;
}

const FILES = ['model.json', 'weights.safetensors', 'optimizer.safetensors', 'hooks.safetensors'];

/**
 * Every checkpoint of `got` equals the reference's of the same iteration: the four data files byte for
 * byte (weights, optimizer state, hook state, model + metadata) and state.json (position, RNG state, hook
 * JSON state, history without wall times). The final checkpoints must both exist. Returns how many were compared.
 */
export function expectSameCheckpoints(ref: string, got: string, what: string): number {
  const a = byIteration(ref);
  const b = byIteration(got);
  const last = Math.max(...a.keys());
  assert.equal(Math.max(...b.keys()), last, `${what}: the chain ended at another iteration`);
  let compared = 0;
  for (const [it, dirs] of b) {
    const refDir = a.get(it)?.[0];
    assert.ok(refDir, `${what}: iteration ${it} has no reference checkpoint`);
    for (const d of dirs) {
      for (const f of FILES) {
        assert.ok(readFileSync(join(d, f)).equals(readFileSync(join(refDir, f))), `${what}: ${f} differs at iteration ${it} (${d})`);
      }
      assert.deepEqual(comparableState(d), comparableState(refDir), `${what}: state.json differs at iteration ${it}`);
      compared++;
    }
  }
  return compared;
}

/** A seeded stream of numbers in [0, 1) (the random stop times of a chain are reproducible from its seed). */
export function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
