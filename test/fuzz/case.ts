/** Runs one fuzz case in this process and classifies it (the worker's core; repro.ts runs it directly). */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../../src/engine/tf.js';
import { Rng } from '../../src/core/rng.js';
import { WhittleError } from '../../src/core/errors.js';
import type { FuzzTarget, Outcome } from './target.js';

export interface CaseResult {
  index: number;
  outcome: Outcome;
  label: string;
  error?: string;
}

export async function runCase(
  target: FuzzTarget,
  seed: number,
  index: number,
  dirs: { corpus: string; work: string },
  on: { label?: (l: string) => void; reading?: () => void } = {},
): Promise<CaseResult> {
  const rng = Rng.derive(seed, `${target.name}#${index}`);
  const work = join(dirs.work, String(index));
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  let label = '';
  const before = tf.memory().numTensors;
  let outcome: Outcome = 'accepted';
  let error: string | undefined;
  try {
    await target.run({
      rng,
      work,
      corpus: join(dirs.corpus, target.name),
      reading: () => on.reading?.(),
      label: (t) => {
        label = label ? `${label}; ${t}` : t;
        on.label?.(t);
      },
    });
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
  return { index, outcome, label, error };
}
