/**
 * svdTopK yardstick (issue #4: "~1–2 s for 512×4608 via the Gram route; a general SVD takes 19 s").
 * Times svdTopK on a random rows×cols matrix (all min(rows, cols) triplets by default) with its phases
 * (Gram, symmetric EVD, V recovery; JavaScript vs WebAssembly gemm kernels), then runs
 * bench/linalg/svd_ref.py on the same matrix: NumPy/SciPy/PyTorch SVDs and NumPy's Gram + eigh, timed,
 * and Whittle's σ and leading singular vectors checked against LAPACK's.
 * Usage: npm run bench:svd -- [--rows 512] [--cols 4608] [--k N] [--rounds 3] [--threads 1] [--no-ref]
 * CPU time is the figure to compare on a shared machine (everything here is single-threaded unless
 * --threads is raised for the Python side).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { svdTopK, transpose } from '../../src/linalg/svd.js';
import { symmetricEigenRows } from '../../src/linalg/eigen.js';
import { gemmNT, gramNT, wasmGemmAvailable } from '../../src/linalg/gemm.js';
import { Rng } from '../../src/core/rng.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const rows = arg('rows', 512);
const cols = arg('cols', 4608);
const n = Math.min(rows, cols);
const m = Math.max(rows, cols);
const k = arg('k', n);
const rounds = arg('rounds', 3);
const threads = arg('threads', 1);
const a = new Rng(1).fillNormal(new Float32Array(rows * cols), 0, 0.05);

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
function time<T>(f: () => T): { value: T; wall: number; cpu: number } {
  const c0 = cpuMs();
  const t0 = performance.now();
  const value = f();
  return { value, wall: performance.now() - t0, cpu: cpuMs() - c0 };
}
const fmt = (x: number) => x.toFixed(0).padStart(5);

svdTopK(a.subarray(0, 64 * 576), 64, 576); // JIT warm-up
console.log(`svdTopK ${rows}×${cols}, k = ${k}; WebAssembly SIMD gemm: ${wasmGemmAvailable() ? 'yes' : 'no (JavaScript kernel)'}`);
let result = svdTopK(a, rows, cols, k);
for (let r = 0; r < rounds; r++) {
  const whole = time(() => svdTopK(a, rows, cols, k));
  result = whole.value;
  // The same phases by hand (B = the wide orientation of A, n×m).
  const b = rows <= cols ? Float64Array.from(a) : transpose(a, rows, cols);
  const bt = transpose(b, n, m);
  const gram = time(() => gramNT(b, n, m));
  const evd = time(() => symmetricEigenRows(gram.value, n));
  const pt = evd.value.rows.subarray((n - k) * n);
  const proj = time(() => gemmNT(pt, bt, k, m, n));
  const gramJs = time(() => gramNT(b, n, m, { impl: 'js' }));
  const projJs = time(() => gemmNT(pt, bt, k, m, n, { impl: 'js' }));
  console.log(
    `round ${r + 1}: svdTopK wall ${fmt(whole.wall)} ms cpu ${fmt(whole.cpu)} ms | Gram ${fmt(gram.cpu)} (js ${fmt(gramJs.cpu)}) ` +
      `EVD ${fmt(evd.cpu)}  V recovery ${fmt(proj.cpu)} (js ${fmt(projJs.cpu)}) ms cpu`,
  );
}

if (!process.argv.includes('--no-ref')) {
  const dir = mkdtempSync(join(tmpdir(), 'whittle-svd-'));
  writeFileSync(join(dir, 'a.f32'), new Uint8Array(a.buffer));
  writeFileSync(join(dir, 's.f64'), new Uint8Array(result.S.buffer));
  writeFileSync(join(dir, 'u.f64'), new Uint8Array(result.U.buffer, result.U.byteOffset, result.U.byteLength));
  const py = join(dirname(fileURLToPath(import.meta.url)), 'svd_ref.py');
  // Debian's python3-numpy/scipy/torch live under /usr/bin/python3 (a pyenv python3 may shadow it).
  const python = process.env.PYTHON ?? '/usr/bin/python3';
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  const p = spawnSync(python, [py, dir, String(rows), String(cols), String(k), String(rounds)], { encoding: 'utf8', env });
  rmSync(dir, { recursive: true, force: true });
  if (p.status !== 0) console.log(`reference: unavailable (${(p.stderr || p.error?.message || '').trim().split('\n').pop()})`);
  else process.stdout.write(p.stdout);
}
