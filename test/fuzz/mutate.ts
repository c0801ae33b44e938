/**
 * Seeded mutators shared by the fuzz targets: byte-level (bit flips, truncation, splices, overwrites with
 * boundary values) and value-level (hostile replacements for numbers, shapes, strings, JSON trees).
 * Every choice draws from the case's Rng, so (reader, seed, index) reproduces a case exactly.
 */
import type { Rng } from '../../src/core/rng.js';

export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)];

/** Numbers that break naive length/shape/offset handling. */
export const HOSTILE_NUMBERS: readonly unknown[] = [
  0, -1, 1, 2 ** 31, 2 ** 32 - 1, 2 ** 53, -(2 ** 31), 1e20, 1.5, NaN, Infinity, true, false, '3', null, [], {}, 1e9, 65535,
];

export function bitFlips(rng: Rng, b: Uint8Array, n = 1 + rng.int(8), from = 0, to = b.length): Uint8Array {
  const out = b.slice();
  if (to <= from) return out;
  for (let i = 0; i < n; i++) out[from + rng.int(to - from)] ^= 1 << rng.int(8);
  return out;
}

export function truncate(rng: Rng, b: Uint8Array): Uint8Array {
  return b.slice(0, rng.int(b.length));
}

/** Overwrites 1, 2, 4 or 8 bytes at a random position with a boundary value (0x00…, 0xff…, 0x7f…, 0x80…). */
export function boundaryWrite(rng: Rng, b: Uint8Array, from = 0, to = b.length): Uint8Array {
  const out = b.slice();
  const w = pick(rng, [1, 2, 4, 8]);
  if (to - from < w) return out;
  const at = from + rng.int(to - from - w + 1);
  const v = pick(rng, [0x00, 0xff, 0x7f, 0x80]);
  for (let i = 0; i < w; i++) out[at + i] = i === w - 1 && (v === 0x7f || v === 0x80) ? v : v === 0x80 ? 0 : v;
  return out;
}

/** Copies a random slice of the input over another position (duplicated structure, broken lengths). */
export function splice(rng: Rng, b: Uint8Array): Uint8Array {
  if (b.length < 2) return b.slice();
  const len = 1 + rng.int(Math.min(64, b.length - 1));
  const src = rng.int(b.length - len + 1);
  const dst = rng.int(b.length);
  const out = new Uint8Array(b.length + len);
  out.set(b.subarray(0, dst));
  out.set(b.subarray(src, src + len), dst);
  out.set(b.subarray(dst), dst + len);
  return out;
}

/** One generic byte mutation, labelled. */
export function byteMutation(rng: Rng, b: Uint8Array, from = 0, to = b.length): { label: string; bytes: Uint8Array } {
  switch (rng.int(4)) {
    case 0: return { label: 'bit flips', bytes: bitFlips(rng, b, undefined, from, to) };
    case 1: return { label: 'truncation', bytes: truncate(rng, b) };
    case 2: return { label: 'boundary value', bytes: boundaryWrite(rng, b, from, to) };
    default: return { label: 'splice', bytes: splice(rng, b) };
  }
}

/** A JSON value nested `depth` deep (arrays or objects), built without recursion. */
export function deepJson(depth: number, kind: 'array' | 'object' = 'array'): string {
  return kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

const DEEP = '\u0000deep:';

/** JSON text of a mutated tree; deep-nesting markers become nested arrays (built as text, never as objects). */
export function stringifyJson(v: unknown): string {
  return JSON.stringify(v).replace(/"\\u0000deep:(\d+)"/g, (_, n: string) => deepJson(Number(n)));
}

/** Paths to every value of a JSON tree (breadth-first, capped), so a mutation can target any field. */
export function jsonPaths(v: unknown, cap = 5000): (string | number)[][] {
  const out: (string | number)[][] = [];
  const queue: [unknown, (string | number)[]][] = [[v, []]];
  while (queue.length && out.length < cap) {
    const [x, p] = queue.shift()!;
    out.push(p);
    if (Array.isArray(x)) x.forEach((c, i) => queue.push([c, [...p, i]]));
    else if (x && typeof x === 'object') for (const [k, c] of Object.entries(x)) queue.push([c, [...p, k]]);
  }
  return out;
}

/** Replaces (or deletes) the value at a random path of a JSON tree with a hostile value; returns a copy. */
export function mutateJson(rng: Rng, v: unknown): { label: string; value: unknown } {
  const root = structuredClone(v);
  const paths = jsonPaths(root).filter((p) => p.length > 0);
  if (!paths.length) return { label: 'json: replace root', value: pick(rng, HOSTILE_NUMBERS) };
  const p = pick(rng, paths);
  let parent = root as Record<string | number, unknown>;
  for (const k of p.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const key = p[p.length - 1];
  const r = rng.int(10);
  const cur = parent[key];
  if (r === 0 && !Array.isArray(parent)) {
    delete parent[key];
    return { label: `json: delete ${p.join('.')}`, value: root };
  }
  if (r === 1) {
    parent[key] = `${DEEP}${2000 + rng.int(100_000)}`;
    return { label: `json: deep nesting at ${p.join('.')}`, value: root };
  }
  if (r === 2 && typeof cur === 'number') {
    parent[key] = cur * pick(rng, [-1, 0, 2, 1000, 1e9, 0.5]);
    return { label: `json: scale number ${p.join('.')}`, value: root };
  }
  if (r === 3 && Array.isArray(cur)) {
    if (cur.length && rng.int(2)) cur.splice(rng.int(cur.length), 1);
    else cur.push(cur.length ? structuredClone(cur[rng.int(cur.length)]) : 1);
    return { label: `json: resize array ${p.join('.')}`, value: root };
  }
  if (r === 4) {
    parent[key] = pick(rng, ['', 'x'.repeat(1 + rng.int(1000)), '\u0000', 'NaN', '../../etc/passwd', '__proto__']);
    return { label: `json: string at ${p.join('.')}`, value: root };
  }
  parent[key] = pick(rng, HOSTILE_NUMBERS);
  return { label: `json: hostile value at ${p.join('.')}`, value: root };
}
