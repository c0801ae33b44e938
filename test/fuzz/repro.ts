/** Re-runs fuzz cases in this process: `npx tsx test/fuzz/repro.ts <reader> <seed> <index...>` (prints the mutation first). */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { runCase } from './case.js';
import { TARGETS } from './targets/index.js';

const [reader, seed, ...indices] = process.argv.slice(2);
const target = TARGETS[reader];
const root = mkdtempSync('/tmp/whittle-fuzz-repro-');
mkdirSync(join(root, reader));
await initBackend('cpu');
await target.setup(join(root, reader));
for (const i of indices) {
  const t0 = Date.now();
  let t1 = t0;
  const r = await runCase(target, Number(seed), Number(i), { corpus: root, work: join(root, 'work') }, { label: (l) => console.log(`#${i}: ${l}`), reading: () => (t1 = Date.now()) });
  console.log(`#${i} ${r.outcome}: made in ${t1 - t0} ms, read in ${Date.now() - t1} ms: ${r.error ?? ''}`);
}
