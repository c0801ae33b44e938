/**
 * Accuracy parity with PyTorch (issue 2, Benchmarks): the same recipe in Whittle and in PyTorch —
 * vanilla, CIFAR-10 batches 1-4 → train, data_batch_5 → validation, plain SGD lr 0.01, batch 128,
 * 2 epochs, random crop (pad 4) + flip, RePr normalisation — and both validation accuracies. Different
 * RNGs (init, order, augmentation) mean the two runs are statistically, not bitwise, comparable: they
 * should agree within about 2 points on the full recipe; short runs (subsets, 1 epoch) are noisier.
 *
 * Usage: npx tsx bench/parity/run.ts [--epochs 2] [--train-subset N] [--val-subset N] [--data-dir DIR]
 *        [--backend auto|wasm|...] [--threads 2] [--seed 0] [--skip-torch] [--skip-whittle]
 * (bench/parity/run.sh wraps it.) Never run in tests: the full recipe takes tens of minutes on 2 cores.
 * When the accuracies differ, bench/parity/grad-check.ts compares one batch's gradients with PyTorch.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultCifar10Dir } from '../../src/data/paths.js';
import { parseRunConfig } from '../../src/config/load.js';
import { runTraining } from '../../src/run/run-training.js';
import { createReporter } from '../../src/cli/progress.js';

const { values: a } = parseArgs({
  options: {
    epochs: { type: 'string', default: '2' },
    'train-subset': { type: 'string' },
    'val-subset': { type: 'string' },
    'data-dir': { type: 'string' },
    backend: { type: 'string', default: 'auto' },
    threads: { type: 'string', default: '2' },
    seed: { type: 'string', default: '0' },
    python: { type: 'string', default: process.env.PYTHON ?? '/usr/bin/python3' },
    'skip-torch': { type: 'boolean', default: false },
    'skip-whittle': { type: 'boolean', default: false },
  },
});

const dataDir = a['data-dir'] ?? defaultCifar10Dir();
const epochs = Number(a.epochs);
const trainSubset = a['train-subset'] ? Number(a['train-subset']) : undefined;
const valSubset = a['val-subset'] ? Number(a['val-subset']) : undefined;
const seed = Number(a.seed);
const threads = Number(a.threads);
const pct = (v: number | null | undefined) => (typeof v === 'number' ? `${(100 * v).toFixed(2)}%` : 'n/a');

interface Side {
  valTop1: number | null;
  valLoss: number | null;
  seconds: number;
  detail: string;
}

async function whittle(): Promise<Side> {
  const out = mkdtempSync(join(tmpdir(), 'whittle-parity-'));
  try {
    const config = parseRunConfig({
      model: { name: 'vanilla' },
      data: { name: 'cifar10', dir: dataDir, valBatches: [5], augment: true, normalization: 'repr', trainSubset, valSubset },
      train: { epochs, batchSize: 128, lr: 0.01, optimizer: { type: 'sgd', momentum: 0, weightDecay: 0 }, schedule: { type: 'constant' } },
      seed,
      backend: a.backend,
      threads,
      out,
    });
    const s = await runTraining(config, { command: 'parity', reporter: createReporter() });
    return { valTop1: s.val?.top1 ?? null, valLoss: s.val?.loss ?? null, seconds: s.wallSeconds, detail: `${s.backend}, ${s.imagesPerSecond.toFixed(1)} img/s` };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function torch(): Side {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'torch_parity.py');
  const args = [script, '--data-dir', dataDir, '--epochs', String(epochs), '--seed', String(seed), '--threads', String(threads)];
  if (trainSubset) args.push('--train-subset', String(trainSubset));
  if (valSubset) args.push('--val-subset', String(valSubset));
  const r = spawnSync(a.python!, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT '));
  if (r.status !== 0 || !line) throw new Error(`${a.python} torch_parity.py failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}); is torch installed there?`);
  const j = JSON.parse(line.slice(7)) as { valTop1: number; valLoss: number; seconds: number; torch: string };
  return { valTop1: j.valTop1, valLoss: j.valLoss, seconds: j.seconds, detail: `torch ${j.torch}, ${threads} threads` };
}

const recipe = `vanilla, CIFAR-10 ${trainSubset ?? 40000} train / ${valSubset ?? 10000} val (data_batch_5), SGD lr 0.01, batch 128, ${epochs} epoch(s), crop+flip, seed ${seed}`;
process.stderr.write(`parity: ${recipe}\n`);
const w = a['skip-whittle'] ? undefined : await whittle();
const t = a['skip-torch'] ? undefined : torch();
const row = (name: string, s: Side | undefined) => (s ? `${name.padEnd(8)} val top-1 ${pct(s.valTop1).padStart(7)}  val loss ${s.valLoss?.toFixed(4) ?? 'n/a'}  ${s.seconds.toFixed(0)} s (${s.detail})` : `${name.padEnd(8)} skipped`);
console.log(`recipe: ${recipe}`);
console.log(row('whittle', w));
console.log(row('pytorch', t));
if (w?.valTop1 != null && t?.valTop1 != null) {
  const diff = 100 * (w.valTop1 - t.valTop1);
  console.log(`difference (whittle − pytorch): ${diff >= 0 ? '+' : ''}${diff.toFixed(2)} points${Math.abs(diff) > 2 ? '  — more than 2 points apart' : ''}`);
}
