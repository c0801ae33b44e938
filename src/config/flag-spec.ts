/**
 * A command-line flag that sets one run-config field, as plain data: techniques declare theirs in their
 * descriptor without importing any CLI code; src/cli/flags.ts turns the tables into commander options.
 */
export type FlagKind = 'string' | 'number' | 'bool' | 'list' | 'numlist';

export interface FlagSpec {
  /** Commander flags, e.g. '--batch-size <n>'. */
  flags: string;
  /** Dotted config field it sets. */
  field: string;
  kind: FlagKind;
  description: string;
  /** Rewrites the parsed value (e.g. 'per-layer' → 'perLayer'); `null` removes the section. */
  map?: (v: unknown) => unknown;
}

const NUMBER_RE = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
/** Numbers where they look like numbers; anything else stays a string so zod reports its type. */
export const toNumber = (s: string): number | string => (NUMBER_RE.test(s.trim()) ? Number(s) : s);
