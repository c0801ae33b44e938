/** What a fuzz target provides: a seed corpus built once, and one mutated case run through the real reader. */
import type { Rng } from '../../src/core/rng.js';

export interface CaseContext {
  rng: Rng;
  /** An empty directory for this case's files (removed afterwards). */
  work: string;
  /** The target's seed corpus directory (built by setup). */
  corpus: string;
  /** Names the mutation, for the report and for reproducing a failure. */
  label(text: string): void;
  /** Called once the input is made, right before the reader runs: the time budget counts from here. */
  reading(): void;
}

export interface FuzzTarget {
  name: string;
  /** Builds the valid seed inputs into `corpus` (once per worker; may be slow). */
  setup(corpus: string): Promise<void>;
  /** Makes one mutated input and reads it through the public API; resolves when everything it made is disposed. */
  run(ctx: CaseContext): Promise<void>;
}

/** Outcome classes of a case. */
export const OUTCOMES = ['typed', 'accepted', 'crash', 'hang', 'memory', 'untyped', 'leak'] as const;
export type Outcome = (typeof OUTCOMES)[number];
