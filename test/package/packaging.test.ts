/**
 * The package as a user gets it: `npm pack` (prepack builds dist/), the tarball installed into a fresh
 * temporary project, then (1) plain `node` imports `whittle` and trains a step on wasm, (2) a strict
 * TypeScript consumer (nodenext, skipLibCheck false, lib ES2022) compiles against the shipped .d.ts,
 * (3) esbuild bundles `whittle/browser` for the browser (a Node built-in would fail the bundle) and the
 * bundle decodes a PQ file in headless Chromium to the same logits as Node, (4) `npx whittle --help`.
 * Offline and fast: the consumer's dependencies are `file:` links to this repository's node_modules
 * (so npm resolves whittle's dependencies to them: nothing is downloaded), the tarball itself is
 * installed by npm like any registry package (bin link, files whitelist).
 */
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { browserLogits, browserSkipReason } from '../../scripts/pq-browser-parity.js';

const ROOT = resolve(import.meta.dirname, '../..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let dir = '';
let tarball = '';
let packed: { entryCount: number; files: Array<{ path: string }> };

const run = (cmd: string, args: string[], cwd: string, timeout = 240_000) => {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, npm_config_update_notifier: 'false', WHITTLE_SKIP_NATIVE: '1' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'whittle-pack-'));
  const out = run(NPM, ['pack', '--json', '--pack-destination', dir], ROOT, 300_000);
  packed = JSON.parse(out.slice(out.indexOf('['))).at(0);
  tarball = join(dir, (packed as unknown as { filename: string }).filename);
  const project = join(dir, 'consumer');
  cpSync(join(ROOT, 'test/package/consumer'), project, { recursive: true });
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const deps: Record<string, string> = Object.fromEntries(Object.keys(pkg.dependencies).map((d) => [d, `file:${join(ROOT, 'node_modules', d)}`]));
  const devDeps = Object.fromEntries(['typescript', '@types/node'].map((d) => [d, `file:${join(ROOT, 'node_modules', d)}`]));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module', dependencies: { ...deps, whittle: `file:${tarball}` }, devDependencies: devDeps }, null, 2));
  run(NPM, ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], project);
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the tarball holds dist/, native sources, docs and the README only', () => {
  const top = new Set(packed.files.map((f) => f.path.split('/')[0]));
  assert.deepEqual([...top].sort(), ['README.md', 'dist', 'docs', 'native', 'package.json', 'scripts']);
  const paths = packed.files.map((f) => f.path);
  assert.deepEqual(paths.filter((p) => p.startsWith('scripts/')), ['scripts/build-native.mjs']);
  assert.ok(!paths.some((p) => p.startsWith('native/build/')), 'no built addon in the tarball');
  assert.ok(!paths.some((p) => p.endsWith('.ts') && !p.endsWith('.d.ts')), 'no TypeScript sources');
  for (const p of ['dist/index.js', 'dist/index.d.ts', 'dist/index.js.map', 'dist/browser/index.js', 'dist/cli/main.js', 'native/binding.gyp']) assert.ok(paths.includes(p), p);
});

test('(1) plain node imports whittle and trains a step on wasm', () => {
  const project = join(dir, 'consumer');
  const out = run(process.execPath, ['train-and-pq.mjs', join(dir, 'model.pq')], project);
  const r = JSON.parse(out.trim().split('\n').at(-1)!) as { backend: string; iterations: number; logits: number[] };
  assert.equal(r.backend, 'wasm');
  assert.equal(r.iterations, 1);
  assert.equal(r.logits.length, 20);
  assert.ok(r.logits.every(Number.isFinite));
});

test('(2) a strict nodenext TypeScript consumer compiles against the shipped .d.ts (skipLibCheck false, lib ES2022)', () => {
  // tfjs 4.22's own .d.ts (and @webgpu/types, vega-typings under it) do not compile with strict +
  // skipLibCheck false + no DOM lib: upstream, listed in the README. Whittle's files must be clean.
  const project = join(dir, 'consumer');
  const cfg = ts.getParsedCommandLineOfConfigFile(join(project, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(String(d.messageText)) })!;
  assert.equal(cfg.options.skipLibCheck, false);
  const program = ts.createProgram(cfg.fileNames, cfg.options);
  const diags = ts.getPreEmitDiagnostics(program);
  const ours = diags.filter((d) => !d.file || d.file.fileName.includes('/node_modules/whittle/') || !d.file.fileName.includes('/node_modules/'));
  const fmt = (d: ts.Diagnostic) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  assert.deepEqual(ours.map(fmt), []);
  const whittleFiles = program.getSourceFiles().filter((f) => f.fileName.includes('/node_modules/whittle/dist/'));
  assert.ok(whittleFiles.length > 20, 'the consumer type-checked whittle\'s declarations');
  assert.ok(!whittleFiles.some((f) => f.fileName.includes('/dist/cli/')), 'no CLI declarations reached');
});

test('(3) esbuild bundles whittle/browser for the browser; headless Chromium decodes the PQ file to the Node logits', { skip: browserSkipReason() ?? false }, async () => {
  const project = join(dir, 'consumer');
  const node = JSON.parse(run(process.execPath, ['train-and-pq.mjs', join(dir, 'model2.pq')], project).trim().split('\n').at(-1)!) as { logits: number[] };
  const x = (await import('../../src/core/rng.js')).Rng;
  const input = new x(6).fillNormal(new Float32Array(2 * 8 * 8 * 3), 0, 1);
  const web = await browserLogits(new Uint8Array(readFileSync(join(dir, 'model2.pq'))), input, [2, 8, 8, 3], { entry: 'whittle/browser', nodePaths: [join(project, 'node_modules')] });
  assert.equal(web.backend, 'cpu');
  const err = Math.max(...Array.from(web.logits, (v, i) => Math.abs(v - node.logits[i])));
  assert.ok(err <= 1e-5, `browser vs node max |Δlogit| = ${err}`);
});

test('(4) npx whittle --help works from the installed package', () => {
  const project = join(dir, 'consumer');
  const help = execFileSync(NPM, ['exec', '--offline', '--', 'whittle', '--help'], { cwd: project, encoding: 'utf8' });
  assert.match(help, /Usage: whittle/);
  assert.match(help, /\n {2}train\s/);
});
