/**
 * The fuzz worker: a long-lived child process that runs many cases in sequence and reports each outcome
 * (typed error / accepted / untyped error / leaked tensors) over IPC. Crashes, hangs and memory blow-ups are
 * seen by the parent (runner.ts), which kills and restarts this process.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { runCase } from './case.js';
import { TARGETS } from './targets/index.js';
import type { CaseResult } from './case.js';

export type ToWorker = { type: 'setup'; reader: string } | { type: 'case'; reader: string; seed: number; index: number };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'setup-done'; reader: string }
  | { type: 'reading' }
  | ({ type: 'result' } & CaseResult);

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

process.on('message', (m: ToWorker) => {
  void (async () => {
    if (m.type === 'setup') {
      await setup(m.reader);
      send({ type: 'setup-done', reader: m.reader });
    } else {
      const dirs = { corpus: corpusRoot, work: workRoot };
      send({ type: 'result', ...(await runCase(TARGETS[m.reader], m.seed, m.index, dirs, { reading: () => send({ type: 'reading' }) })) });
    }
  })();
});

await initBackend('cpu');
send({ type: 'ready' });
