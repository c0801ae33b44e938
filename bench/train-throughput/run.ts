/**
 * Training throughput, Whittle (each available backend) vs PyTorch, on the same random batches.
 *   node --import tsx bench/train-throughput/run.ts [--models vanilla,resnet56] [--batches 64,128]
 *     [--backends native,wasm] [--rounds 2] [--steps 10] [--reps 3] [--threads 2] [--profile] [--no-torch]
 *     [--torch default,passive]
 * Every engine runs in its own process, interleaved round by round with PyTorch; the ratio
 * Whittle/PyTorch is taken within a round (the machine is shared and noisy). Child mode: --child.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tf } from '../../src/engine/tf.js';

const here = dirname(fileURLToPath(import.meta.url));
const NB = 4; // distinct batches, cycled

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);

/** Deterministic batches (uniform [-1,1) images NHWC, labels 0..9) shared with torch_ref.py. */
function batchFile(batch: number): string {
  const dir = join(tmpdir(), 'whittle-train-throughput');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `batches-${batch}.bin`);
  if (existsSync(path)) return path;
  const nx = NB * batch * 32 * 32 * 3;
  const buf = Buffer.alloc(nx * 4 + NB * batch * 4);
  let s = 12345;
  for (let i = 0; i < nx; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    buf.writeFloatLE(s / 2 ** 31 - 1, i * 4);
  }
  for (let i = 0; i < NB * batch; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    buf.writeInt32LE(s % 10, nx * 4 + i * 4);
  }
  writeFileSync(path, buf);
  return path;
}

interface Result { engine: string; model: string; batch: number; ips: number; reps: number[]; loss: number; note?: string }

async function child(): Promise<void> {
  const backend = arg('backend', 'native');
  const modelName = arg('model', 'vanilla') as 'vanilla' | 'resnet56';
  const batch = Number(arg('batch', '64'));
  const steps = Number(arg('steps', '10'));
  const reps = Number(arg('reps', '3'));
  const threads = Number(arg('threads', '2'));
  const { initBackend } = await import('../../src/engine/backend.js');
  const info = await initBackend(backend as 'native' | 'wasm', { threads });
  const { buildModel } = await import('./models.js');
  const { model, source } = await buildModel(modelName);
  const raw = readFileSync(batchFile(batch));
  const nx = batch * 32 * 32 * 3;
  const xs: tf.Tensor[] = [];
  const ys: tf.Tensor[] = [];
  for (let b = 0; b < NB; b++) {
    const x = new Float32Array(raw.buffer.slice(raw.byteOffset + b * nx * 4, raw.byteOffset + (b + 1) * nx * 4));
    const y = new Int32Array(raw.buffer.slice(raw.byteOffset + NB * nx * 4 + b * batch * 4, raw.byteOffset + NB * nx * 4 + (b + 1) * batch * 4));
    xs.push(tf.tensor4d(x, [batch, 32, 32, 3]));
    ys.push(tf.oneHot(tf.tensor1d(y, 'int32'), 10));
  }
  const opt = tf.train.sgd(0.01);
  let it = 0;
  let lastLoss: tf.Scalar | undefined;
  const step = (): void => {
    const b = it++ % NB;
    lastLoss?.dispose();
    lastLoss = opt.minimize(() => {
      const logits = model.apply(xs[b], { training: true }) as tf.Tensor;
      return tf.losses.softmaxCrossEntropy(ys[b], logits) as tf.Scalar;
    }, true) as tf.Scalar;
  };
  for (let i = 0; i < 3; i++) step();
  lastLoss?.dataSync();
  let prof: unknown;
  if (flag('profile') && backend === 'native') {
    const nat = await import('../../src/engine/native/index.js');
    nat.startProfile();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) step();
    lastLoss?.dataSync();
    const ms = (performance.now() - t0) / steps;
    const rows = nat.stopProfile();
    const total = rows.reduce((a, r) => a + r.ms, 0) / steps;
    prof = { msPerStep: ms, kernelMsPerStep: total, rows: rows.slice(0, 25).map((r) => ({ ...r, ms: +(r.ms / steps).toFixed(2), cpuMs: +(r.cpuMs / steps).toFixed(2), calls: r.calls / steps, nativeCalls: r.nativeCalls / steps })) };
  }
  const rates: number[] = [];
  const cpuMs: number[] = []; // process CPU time per step (all threads): less sensitive to other load than wall time
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 0; i < steps; i++) step();
    lastLoss?.dataSync();
    rates.push((steps * batch) / ((performance.now() - t0) / 1000));
    const c = process.cpuUsage(c0);
    cpuMs.push((c.user + c.system) / 1000 / steps);
  }
  const sorted = [...rates].sort((a, b) => a - b);
  const out: Result & { prof?: unknown; numTensors: number; backend: string; cpuMsPerStep: number } = {
    engine: `whittle-${info.name}`, model: modelName, batch, ips: sorted[Math.floor(sorted.length / 2)], reps: rates.map(Math.round),
    loss: lastLoss ? lastLoss.dataSync()[0] : NaN, note: `models: ${source}`, numTensors: tf.memory().numTensors, backend: info.name, prof,
    cpuMsPerStep: +[...cpuMs].sort((a, b) => a - b)[Math.floor(cpuMs.length / 2)].toFixed(1),
  };
  process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
  process.exit(0); // wasm pthreads (if any) keep the loop alive
}

function runChild(cmd: string, args: string[], timeoutMs: number, env: Record<string, string> = {}): Result | { error: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2', ...env } });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) return { error: `${cmd} exited ${r.status ?? r.signal}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}` };
  return JSON.parse(line.slice(7)) as Result;
}

async function main(): Promise<void> {
  if (flag('child')) return child();
  const models = arg('models', 'vanilla,resnet56').split(',');
  const batches = arg('batches', '64,128').split(',').map(Number);
  const backends = arg('backends', 'native,wasm').split(',');
  const rounds = Number(arg('rounds', '2'));
  const steps = arg('steps', '10');
  const reps = arg('reps', '3');
  const threads = arg('threads', '2');
  const torch = !flag('no-torch');
  // PyTorch variants: its default OpenMP settings, and 'passive' (OMP_WAIT_POLICY=passive, as Whittle's
  // native backend sets for itself), which matters when other processes share the cores.
  const torchVariants = arg('torch', 'default,passive').split(',').filter(Boolean);
  const rows: string[] = [];
  console.log(`threads ${threads}, steps ${steps} x reps ${reps} (median), rounds ${rounds}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  for (let round = 1; round <= rounds; round++) {
    for (const model of models) {
      for (const batch of batches) {
        const file = batchFile(batch);
        const common = ['--model', model, '--batch', String(batch), '--threads', threads];
        const refs: Array<Result | { error: string }> = [];
        const python = process.env.WHITTLE_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
        const runTorch = (variant: string): Result | { error: string } => {
          const env: Record<string, string> = variant === 'passive' ? { OMP_WAIT_POLICY: 'passive' } : {};
          const r = runChild(python, [join(here, 'torch_ref.py'), ...common, '--data', file, '--steps', steps, '--reps', reps], 600_000, env);
          if (!('error' in r)) r.engine += variant === 'default' ? '' : ` (${variant})`;
          return r;
        };
        const print = (r: Result | { error: string }, engine: string): void => {
          const la = loadavg()[0].toFixed(2);
          if ('error' in r) {
            rows.push(`${round}\t${model}\t${batch}\t${engine}\t-\t-\t${r.error}`);
          } else {
            const ratio = refs.length ? refs.map((ref) => ('error' in ref ? '-' : (r.ips / ref.ips).toFixed(2))).join(' / ') : '-';
            rows.push(`${round}\t${model}\t${batch}\t${r.engine}\t${r.ips.toFixed(0)}\t${ratio}\tloss ${r.loss.toFixed(4)} reps ${r.reps.join('/')} load ${la}`);
            const p = (r as { prof?: unknown }).prof;
            if (p) console.log(JSON.stringify(p, null, 1));
          }
          console.log(rows[rows.length - 1]);
        };
        const order = round % 2 === 1 ? torchVariants : [...torchVariants].reverse();
        const results = new Map<string, Result | { error: string }>();
        if (torch) for (const v of order) results.set(v, runTorch(v));
        for (const v of torchVariants) if (results.has(v)) refs.push(results.get(v)!);
        refs.forEach((r, i) => print(r, `pytorch ${torchVariants[i]}`));
        for (const be of backends) {
          // wasm is ~5x slower: fewer steps keep the round short.
          const st = be === 'wasm' ? String(Math.max(2, Math.ceil(Number(steps) / 4))) : steps;
          const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', '--backend', be, ...common, '--steps', st, '--reps', reps];
          if (flag('profile')) args.push('--profile');
          print(runChild(process.execPath, args, 900_000), `whittle-${be}`);
        }
      }
    }
  }
  console.log(`\nround\tmodel\tbatch\tengine\timages/s\tvs PyTorch (${torchVariants.join(' / ')})\tnotes`);
  for (const r of rows) console.log(r);
}

await main();
