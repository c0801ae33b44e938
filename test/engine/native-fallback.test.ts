import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { addonPath } from '../../src/engine/native/addon.js';
import { nativeSkipReason } from './native-helpers.js';

/** Runs initBackend('auto') in a fresh process (backend choice is process-global) with `env`. */
function autoIn(env: Record<string, string>): { name: string; reasons: string[] } {
  const code = `import { initBackend } from './src/engine/backend.ts';
const i = await initBackend('auto'); console.log('INFO ' + JSON.stringify({ name: i.name, reasons: i.reasons })); process.exit(0);`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000,
  });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('INFO '));
  assert.ok(line, `child failed: ${r.stderr}`);
  return JSON.parse(line.slice(5)) as { name: string; reasons: string[] };
}

test('auto falls back to wasm, saying why, when the addon is missing', () => {
  const info = autoIn({ WHITTLE_NATIVE_ADDON: '/nonexistent/whittle_native.node' });
  assert.equal(info.name, 'wasm');
  assert.match(info.reasons.join('; '), /native backend unavailable \(addon not built/);
});

const built = existsSync(addonPath());
test('auto falls back to wasm when libdnnl cannot be loaded', { skip: built ? false : 'native addon not built' }, () => {
  const info = autoIn({ WHITTLE_DNNL_LIB: '/nonexistent/libdnnl.so.2' });
  assert.equal(info.name, 'wasm');
  assert.match(info.reasons.join('; '), /cannot load \/nonexistent\/libdnnl\.so\.2/);
});

const nativeSkip = await nativeSkipReason();
test('auto picks native when the addon and oneDNN load', { skip: nativeSkip }, () => {
  const info = autoIn({});
  assert.equal(info.name, 'native', `reasons: ${info.reasons.join('; ')}`);
});
