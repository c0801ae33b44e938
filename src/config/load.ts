/**
 * Loading and merging run configs: YAML/JSON files, override layers (CLI flags), validation with
 * errors that name the field (`config field "train.lr": ...`) and the source that set it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError, WhittleError } from '../core/errors.js';
import { runConfigSchema, type RunConfig } from './run-config.js';

export type ConfigTree = Record<string, unknown>;

/** One layer of configuration and where it came from (named in error messages). */
export interface ConfigLayer {
  source: string;
  values: ConfigTree;
}

const isPlain = (v: unknown): v is ConfigTree => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Deep merge: later layers win; arrays and scalars are replaced, objects merged; undefined is skipped and
 * null removes the field (e.g. a flag switching a technique section off).
 */
export function mergeConfig(...trees: ConfigTree[]): ConfigTree {
  const out: ConfigTree = {};
  for (const t of trees) {
    for (const [k, v] of Object.entries(t)) {
      if (v === undefined) continue;
      if (v === null) delete out[k];
      else out[k] = isPlain(v) && isPlain(out[k]) ? mergeConfig(out[k] as ConfigTree, v) : v;
    }
  }
  return out;
}

/** Reads a YAML (or JSON, a YAML subset) config file; the top level must be a mapping. */
export function loadConfigFile(file: string): ConfigTree {
  if (!existsSync(file)) throw new WhittleError(`config file ${file} does not exist`);
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new WhittleError(`config file ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isPlain(doc)) throw new WhittleError(`config file ${file}: the top level must be a mapping of fields`);
  return doc;
}

function has(tree: ConfigTree, path: readonly PropertyKey[]): boolean {
  let cur: unknown = tree;
  for (const p of path) {
    if (!isPlain(cur) || !(String(p) in cur)) return false;
    cur = cur[String(p)];
  }
  return true;
}

/** Turns the first zod issue into a ConfigError naming the dotted field and, when known, its source. */
export function configErrorFrom(error: z.ZodError, layers: readonly ConfigLayer[] = [], prefix: string[] = []): ConfigError {
  const iss = error.issues[0];
  let path = [...prefix, ...iss.path.map(String)];
  // Unknown keys are reported on their parent; name the key itself.
  if (iss.code === 'unrecognized_keys' && iss.keys.length) path = [...path, iss.keys[0]];
  const field = path.join('.') || '(root)';
  const from = [...layers].reverse().find((l) => has(l.values, path.slice(prefix.length)));
  // zod 4 says "Invalid input: expected number, received string"; the field name already says where.
  const message = iss.message.replace(/^Invalid input: expected/, 'Expected');
  return new ConfigError(field, message + (from ? ` (from ${from.source})` : ''));
}

/** Merges the layers (later wins) and validates; throws ConfigError naming the first bad field. */
export function resolveRunConfig(layers: readonly ConfigLayer[]): RunConfig {
  const merged = mergeConfig(...layers.map((l) => l.values));
  const r = runConfigSchema.safeParse(merged);
  if (!r.success) throw configErrorFrom(r.error, layers);
  return r.data;
}

/** Validates a config object given in code (programmatic callers). */
export function parseRunConfig(input: unknown, source = 'the given config'): RunConfig {
  if (!isPlain(input)) throw new ConfigError('(root)', `expected an object, got ${input === null ? 'null' : typeof input}`);
  return resolveRunConfig([{ source, values: input }]);
}
