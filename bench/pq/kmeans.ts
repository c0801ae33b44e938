/**
 * k-means yardstick (methods.md §5.3, ecosystem.md §2.3): 65,536 × 9 rows (a 256×256×3×3 conv at block 9),
 * K = 256, 15 EM iterations. Runs Whittle's typed-array EM, then bench/pq/kmeans_torch.py (same EM in
 * PyTorch on the same data), and prints both times and the ratio.
 * Usage: npx tsx bench/pq/kmeans.ts [--n 65536] [--d 9] [--k 256] [--iters 15] [--no-torch]
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kmeans } from '../../src/techniques/pq/kmeans.js';
import { Rng } from '../../src/core/rng.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const n = arg('n', 65536), d = arg('d', 9), k = arg('k', 256), iters = arg('iters', 15);
const x = new Rng(1).fillNormal(new Float32Array(n * d), 0, 0.05);

kmeans(x.subarray(0, 4096 * d), d, { k: 64, iterations: 2, seed: 0 }); // JIT warm-up
// Wall and CPU time: on a shared machine CPU time is the stabler of the two (both runs are single-threaded).
const t0 = performance.now();
const u0 = process.cpuUsage();
const r = kmeans(x, d, { k, iterations: iters, seed: 0 });
const u = process.cpuUsage(u0);
const ts = (performance.now() - t0) / 1000;
const cpu = (u.user + u.system) / 1e6;
console.log(`whittle  n=${n} d=${d} K=${k} iters=${r.iterations}: seconds=${ts.toFixed(3)} cpu=${cpu.toFixed(3)}  objective ${r.objective[0].toFixed(4)} → ${r.objective[r.objective.length - 1].toFixed(4)}`);

if (!process.argv.includes('--no-torch')) {
  const dir = mkdtempSync(join(tmpdir(), 'whittle-kmeans-'));
  const file = join(dir, 'x.f32');
  writeFileSync(file, new Uint8Array(x.buffer));
  const py = join(dirname(fileURLToPath(import.meta.url)), 'kmeans_torch.py');
  // Debian's python3-torch lives under /usr/bin/python3 (a pyenv python3 may shadow it).
  const python = process.env.PYTHON ?? '/usr/bin/python3';
  const p = spawnSync(python, [py, file, String(n), String(d), String(k), String(iters)], { encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  if (p.status !== 0) {
    console.log(`torch: unavailable (${(p.stderr || p.error?.message || '').trim().split('\n').pop()})`);
  } else {
    process.stdout.write(p.stdout);
    const m = /seconds=([\d.]+) cpu=([\d.]+)/.exec(p.stdout);
    if (m) console.log(`ratio whittle/torch: wall ${(ts / Number(m[1])).toFixed(2)}, cpu ${(cpu / Number(m[2])).toFixed(2)}`);
  }
}
