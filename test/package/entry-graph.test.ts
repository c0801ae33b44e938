// The library entry never reaches CLI code: no src/cli/** module and no CLI-only package (commander,
// cli-progress) in the import graph of src/index.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importGraph } from './import-graph.js';

const CLI_PACKAGES = ['commander', 'cli-progress'];

test('src/index.ts imports nothing from src/cli nor CLI-only packages', () => {
  const g = importGraph('src/index.ts');
  assert.ok(g.files.length > 50, `the walk found only ${g.files.length} files`);
  assert.ok(g.files.includes('src/run/run-training.ts'), 'the run layer is part of the library');
  assert.deepEqual(g.files.filter((f) => f.startsWith('src/cli/')), []);
  const bad = [...g.packages].filter(([p]) => CLI_PACKAGES.some((c) => p === c || p.startsWith(`${c}/`)));
  assert.deepEqual(bad, []);
});

test('the graph walker sees CLI imports where there are some', () => {
  const g = importGraph('src/cli/main.ts');
  assert.ok(g.packages.has('commander'));
  assert.ok(g.files.some((f) => f.startsWith('src/cli/commands/')));
});

test('whittle/browser (src/browser/index.ts) reaches no Node built-in and no Node-only package', () => {
  const g = importGraph('src/browser/index.ts');
  const nodeOnly = [...g.packages].filter(([p]) => p.startsWith('node:') || ['fs', 'path', 'os', 'crypto', 'url', 'http', 'https', 'child_process', 'sharp', 'undici'].includes(p));
  assert.deepEqual(nodeOnly, []);
  assert.ok(g.files.includes('src/techniques/pq/format.ts') && g.files.includes('src/clip/model/clip.ts') && g.files.includes('src/techniques/quant/export.ts'));
});
