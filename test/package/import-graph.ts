/**
 * The module graph of a source entry: every file reachable by static imports, re-exports and dynamic
 * `import()` (TypeScript's own pre-processor finds them), plus the bare package names it imports.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import ts from 'typescript';

export interface ImportGraph {
  /** Repository-relative source files reached. */
  files: string[];
  /** Bare specifiers (packages and `node:` modules) → the first file that imports each. */
  packages: Map<string, string>;
}

function resolveRelative(from: string, spec: string): string {
  const base = resolve(dirname(from), spec);
  for (const c of [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, resolve(base, 'index.ts')]) if (existsSync(c) && c.endsWith('.ts')) return c;
  throw new Error(`${from}: cannot resolve ${spec}`);
}

export function importGraph(entry: string, root = process.cwd()): ImportGraph {
  const seen = new Set<string>();
  const packages = new Map<string, string>();
  const todo = [resolve(root, entry)];
  while (todo.length) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName: spec } of info.importedFiles) {
      if (spec.startsWith('.')) todo.push(resolveRelative(file, spec));
      else if (!packages.has(spec)) packages.set(spec, relative(root, file));
    }
  }
  return { files: [...seen].map((f) => relative(root, f)).sort(), packages };
}
