#!/usr/bin/env node
// Builds the optional oneDNN addon (native/ → native/build/Release/whittle_native.node) with node-gyp.
// Skips with a reason, exiting 0, when the toolchain or oneDNN headers are missing: Whittle then runs on
// wasm. The addon does not link libdnnl; it dlopens libdnnl.so.2 at run time (Debian: libdnnl2).
// Usage: node scripts/build-native.mjs [--force]   (WHITTLE_SKIP_NATIVE=1 skips)
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const skip = (why) => {
  console.log(`whittle: native oneDNN backend not built (${why}); Whittle will use wasm.`);
  process.exit(0);
};

if (process.env.WHITTLE_SKIP_NATIVE) skip('WHITTLE_SKIP_NATIVE is set');
if (process.platform !== 'linux' || process.arch !== 'x64') skip(`only linux-x64 is supported, this is ${process.platform}-${process.arch}`);
const incDirs = (process.env.DNNL_INCLUDE_DIR ? [process.env.DNNL_INCLUDE_DIR] : []).concat(['/usr/include', '/usr/local/include']);
const inc = incDirs.find((d) => existsSync(join(d, 'oneapi', 'dnnl', 'dnnl.hpp')));
if (!inc) skip('oneDNN headers not found (oneapi/dnnl/dnnl.hpp); on Debian/Ubuntu: apt-get install libdnnl-dev');
const version = spawnSync('grep', ['-E', 'define DNNL_VERSION_MAJOR', join(inc, 'oneapi', 'dnnl', 'dnnl_version.h')], { encoding: 'utf8' }).stdout;
if (!/MAJOR\s+2\b/.test(version)) skip(`oneDNN 2.x headers required, found: ${version.trim() || 'unknown version'}`);
for (const tool of ['g++', 'make', 'python3']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) skip(`${tool} not found`);
}
const require = createRequire(import.meta.url);
let gyp;
try {
  require.resolve('node-addon-api', { paths: [root] });
} catch (e) {
  skip(`node-addon-api missing (${e.message.split('\n')[0]})`);
}
try {
  gyp = require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] });
} catch {
  // During `npm install` lifecycle scripts npm exposes its bundled node-gyp.
  gyp = process.env.npm_config_node_gyp;
  if (!gyp || !existsSync(gyp)) skip('node-gyp not found (devDependency, or npm\'s bundled one)');
}
const out = join(nativeDir, 'build', 'Release', 'whittle_native.node');
const args = [gyp, process.argv.includes('--force') || !existsSync(out) ? 'rebuild' : 'build'];
if (existsSync('/usr/include/node/node_api.h')) args.push(`--nodedir=/usr`); // system headers: no download
const r = spawnSync(process.execPath, args, { cwd: nativeDir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
if (r.status !== 0) {
  process.stderr.write((r.stdout ?? '') + (r.stderr ?? ''));
  skip(`node-gyp failed with status ${r.status} (output above)`);
}
console.log(`whittle: built ${out} (oneDNN headers in ${inc})`);
