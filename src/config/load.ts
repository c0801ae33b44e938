/**
 * Loading and merging run configs: YAML/JSON files, override layers (CLI flags), validation with
 * errors that name the field (`config field "train.lr": ...`) and the source that set it.
 */
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError, WhittleError } from '../core/errors.js';
import { readRegularFile } from '../io/read-file.js';
import { pathName, tooDeep } from '../io/json-limits.js';
import { runConfigSchema, type RunConfig } from './run-config.js';
import { checkRunSemantics } from './semantics.js';

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

/** Limits on a config file: size, YAML flow nesting, indentation (the YAML parser recurses per level). */
export const CONFIG_LIMITS = { maxBytes: 1 << 20, maxDepth: 64, maxIndent: 256, maxItems: 20_000 };

/** JSON.parse when the text is JSON, else the YAML parser (which also reports the error position). */
function parseJsonOrYaml(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return parseYaml(text, { maxAliasCount: 100 });
  }
}

/** Refuses nesting the parser would recurse into too deeply, scanning the text without parsing it. */
function checkNesting(text: string, file: string): void {
  let depth = 0;
  let quote = '';
  let lineStart = true;
  let indent = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (lineStart) {
      if (ch === ' ') {
        if (++indent > CONFIG_LIMITS.maxIndent) throw new ConfigError('(file)', `${file}: a line is indented more than ${CONFIG_LIMITS.maxIndent} columns`);
        continue;
      }
      lineStart = false;
    }
    if (ch === '\n') {
      lineStart = true;
      indent = 0;
      if (quote === "'") continue;
    }
    if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = '';
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '#' && (i === 0 || /\s/.test(text[i - 1]))) {
      const end = text.indexOf('\n', i);
      i = (end < 0 ? text.length : end) - 1;
    } else if (ch === '[' || ch === '{') {
      if (++depth > CONFIG_LIMITS.maxDepth) throw new ConfigError('(file)', `${file}: nested more than ${CONFIG_LIMITS.maxDepth} levels deep`);
    } else if ((ch === ']' || ch === '}') && depth > 0) depth--;
  }
}

/** Reads a YAML (or JSON, a YAML subset) config file; the top level must be a mapping. */
export function loadConfigFile(file: string): ConfigTree {
  const text = readRegularFile(file, { maxBytes: CONFIG_LIMITS.maxBytes, what: 'config file' }).toString('utf8');
  checkNesting(text, file);
  let lines = 0;
  for (let i = 0; i < text.length; i++) if (text[i] === ',' || text[i] === '\n') lines++;
  if (lines > CONFIG_LIMITS.maxItems) throw new ConfigError('(file)', `${file}: more than ${CONFIG_LIMITS.maxItems} lines or list items`);
  let doc: unknown;
  try {
    // JSON (a YAML subset) through JSON.parse: much faster than the YAML parser on long lists
    doc = /^\s*\{/.test(text) ? parseJsonOrYaml(text) : parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    throw new WhittleError(`config file ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isPlain(doc)) throw new WhittleError(`config file ${file}: the top level must be a mapping of fields`);
  const deep = tooDeep(doc, CONFIG_LIMITS.maxDepth);
  if (deep) throw new ConfigError(pathName(deep), `${file}: nested more than ${CONFIG_LIMITS.maxDepth} levels deep`);
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
  checkRunSemantics(r.data);
  return r.data;
}

/** Validates a config object given in code (programmatic callers). */
export function parseRunConfig(input: unknown, source = 'the given config'): RunConfig {
  if (!isPlain(input)) throw new ConfigError('(root)', `expected an object, got ${input === null ? 'null' : typeof input}`);
  return resolveRunConfig([{ source, values: input }]);
}
