/**
 * CLIP encoding latency/throughput: ViT-B/32-shaped and RN50-shaped models with random weights, image and text
 * encoding at batch 1 and 32, in Whittle (tfjs backend of choice) and in PyTorch on the same machine
 * (bench/clip/clip_bench_torch.py, same shapes), with Whittle's speed relative to PyTorch printed (PyTorch
 * time / Whittle time: > 1 means Whittle is faster). With --rounds N, Whittle and PyTorch alternate N times
 * and each round gets its own ratio (the machine's speed drifts between minutes).
 * Usage: npx tsx bench/clip/clip-bench.ts [--backend auto|native|wasm|cpu] [--models ViT-B/32,RN50]
 *        [--batches 1,32] [--reps 3] [--rounds 1] [--threads N] [--no-torch]
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, type BackendName } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { ClipModel } from '../../src/clip/model/clip.js';
import { OFFICIAL_CONFIGS, randomClipStateDict } from '../../src/clip/model/shapes.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}
const backend = arg('backend', 'auto') as BackendName;
const models = arg('models', 'ViT-B/32,RN50').split(',');
const batches = arg('batches', '1,32').split(',').map(Number);
const reps = Number(arg('reps', '3'));
const threads = Number(arg('threads', '0')) || undefined;
const rounds = Math.max(1, Number(arg('rounds', '1')) || 1);

function time(fn: () => tf.Tensor): number {
  tf.dispose(fn()); // warm-up (kernel compilation, weight layout caches)
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) {
    const t = fn();
    t.dataSync();
    t.dispose();
  }
  return (performance.now() - t0) / reps;
}

const info = await initBackend(backend, { threads });
console.log(`whittle backend: ${info.name}  reps ${reps}`);
console.log('note: prompts have 13 tokens; Whittle runs the text tower only up to the last EOT (exact under the causal mask), PyTorch all 77');
for (let round = 1; round <= rounds; round++) {
  if (rounds > 1) console.log(`round ${round}/${rounds}`);
  const ours: Record<string, number> = {};
  for (const name of models) {
    const cfg = OFFICIAL_CONFIGS[name];
    const m = new ClipModel(randomClipStateDict(cfg, 7));
    const r = cfg.imageResolution;
    for (const b of batches) {
      const images = new Float32Array(b * 3 * r * r).map((_, i) => Math.sin(i) * 0.5);
      const texts = Array.from({ length: b }, (_, i) => {
        const row = new Int32Array(77);
        for (let j = 0; j < 12; j++) row[j] = 1 + ((i * 131 + j * 17) % 40000);
        row[12] = 49407;
        return row;
      });
      const ti = time(() => m.encodeImage(images));
      const tt = time(() => m.encodeText(texts));
      ours[`${name} image b${b}`] = ti;
      ours[`${name} text b${b}`] = tt;
      console.log(`whittle ${name.padEnd(9)} b=${String(b).padStart(2)}  image ${ti.toFixed(1)} ms (${((1000 * b) / ti).toFixed(1)}/s)  text ${tt.toFixed(1)} ms (${((1000 * b) / tt).toFixed(1)}/s)`);
    }
    m.dispose();
  }

  if (!process.argv.includes('--no-torch')) {
    const py = join(dirname(fileURLToPath(import.meta.url)), 'clip_bench_torch.py');
    const python = process.env.PYTHON ?? '/usr/bin/python3';
    const p = spawnSync(python, [py, models.join(','), batches.join(','), String(reps), String(info.threads ?? 0)], { encoding: 'utf8' });
    if (p.status !== 0) console.log(`torch: unavailable (${(p.stderr || p.error?.message || '').trim().split('\n').pop()})`);
    else {
      process.stdout.write(p.stdout);
      for (const m of p.stdout.matchAll(/^torch (\S+) b=\s*(\d+)\s+image ([\d.]+) ms .* text ([\d.]+) ms/gm)) {
        const [, name, b, ti, tt] = m;
        const oi = ours[`${name} image b${b}`];
        const ot = ours[`${name} text b${b}`];
        if (oi && ot) console.log(`whittle speed vs torch ${name} b=${b}: image ${(Number(ti) / oi).toFixed(2)}×  text ${(Number(tt) / ot).toFixed(2)}×`);
      }
    }
  }
}
