/**
 * The fuzz worker: a long-lived child process that runs many cases in sequence and reports each outcome
 * (typed error / accepted / untyped error / leaked tensors) over IPC. Crashes, hangs and memory blow-ups are
 * seen by the parent (runner.ts), which kills and restarts this process.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { Rng } from '../../src/core/rng.js';
import { WhittleError } from '../../src/core/errors.js';
import { TARGETS } from './targets/index.js';
import type { Outcome } from './target.js';

export type ToWorker = { type: 'setup'; reader: string } | { type: 'case'; reader: string; seed: number; index: number };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'setup-done'; reader: string }
  | { type: 'result'; index: number; outcome: Outcome; label: string; error?: string };

const send = (m: FromWorker) => process.send!(m);
const corpusRoot = process.env.WHITTLE_FUZZ_CORPUS ?? mkdtempSync('/tmp/whittle-fuzz-corpus-');
const workRoot = mkdtempSync(join(process.env.WHITTLE_FUZZ_TMP ?? '/tmp', 'whittle-fuzz-work-'));
const ready = new Set<string>();

async function setup(reader: string): Promise<void> {
  const t = TARGETS[reader];
  if (!t) throw new Error(`unknown fuzz target ${reader}`);
  if (ready.has(reader)) return;
  const dir = join(corpusRoot, reader);
  mkdirSync(dir, { recursive: true });
  await t.setup(dir);
  ready.add(reader);
}

async function runCase(reader: string, seed: number, index: number): Promise<FromWorker> {
  const target = TARGETS[reader];
  const rng = Rng.derive(seed, `${reader}#${index}`);
  const work = join(workRoot, String(index));
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work);
  let label = '';
  const before = tf.memory().numTensors;
  let outcome: Outcome = 'accepted';
  let error: string | undefined;
  try {
    await target.run({ rng, work, corpus: join(corpusRoot, reader), label: (t) => (label = label ? `${label}; ${t}` : t) });
  } catch (e) {
    const err = e as Error;
    outcome = e instanceof WhittleError ? 'typed' : 'untyped';
    error = `${err?.name ?? typeof e}: ${String(err?.message ?? e).split('\n')[0].slice(0, 300)}`;
    if (outcome === 'untyped' && err?.stack) error += ` @ ${err.stack.split('\n').slice(1, 4).map((s) => s.trim()).join(' < ')}`;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const after = tf.memory().numTensors;
  if (after !== before) {
    error = `${after - before} tensors leaked${error ? ` after ${error}` : ''}`;
    outcome = 'leak';
  }
  return { type: 'result', index, outcome, label, error };
}

process.on('message', (m: ToWorker) => {
  void (async () => {
    if (m.type === 'setup') {
      await setup(m.reader);
      send({ type: 'setup-done', reader: m.reader });
    } else {
      send(await runCase(m.reader, m.seed, m.index));
    }
  })();
});

await initBackend('cpu');
send({ type: 'ready' });
