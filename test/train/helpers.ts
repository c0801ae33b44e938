/** Tiny models and in-memory data for the training tests (fast on wasm with 1-2 cores). */
import { tf, tfl } from '../../src/engine/tf.js';
import { Rng } from '../../src/core/rng.js';
import { modelParams } from '../../src/models/params.js';
import type { Batch, BatchSource } from '../../src/train/types.js';

export const H = 8;
export const W = 8;
export const C = 3;
export const CLASSES = 4;

/** conv1(4, 3x3) → [bn1] → relu → flatten → fc(CLASSES); weights drawn from a seeded Rng (not tfjs random). */
export function tinyModel(seed: number, opts: { bn?: boolean; filters?: number } = {}): tfl.LayersModel {
  const input = tfl.input({ shape: [H, W, C] });
  let y = tfl.layers.conv2d({ filters: opts.filters ?? 4, kernelSize: 3, padding: 'same', name: 'conv1', kernelInitializer: 'zeros' }).apply(input) as tfl.SymbolicTensor;
  if (opts.bn !== false) y = tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5, name: 'bn1' }).apply(y) as tfl.SymbolicTensor;
  y = tfl.layers.activation({ activation: 'relu', name: 'relu1' }).apply(y) as tfl.SymbolicTensor;
  y = tfl.layers.flatten({ name: 'flat' }).apply(y) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: CLASSES, name: 'fc', kernelInitializer: 'zeros' }).apply(y) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: out });
  const rng = new Rng(seed);
  tf.tidy(() => {
    for (const p of modelParams(model)) {
      if (!p.trainable || p.key.startsWith('bn1/')) continue;
      const n = p.variable.size;
      p.variable.assign(tf.tensor(rng.fillNormal(new Float32Array(n), 0, 0.3), p.variable.shape));
    }
  });
  return model;
}

/** Learnable toy problem: class k brightens quadrant k of channel k % C, on seeded noise. */
export function toyData(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  const rng = new Rng(seed);
  const x = rng.fillNormal(new Float32Array(n * H * W * C), 0, 0.5);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = rng.int(CLASSES);
    y[i] = k;
    const r0 = k < 2 ? 0 : H / 2;
    const c0 = k % 2 === 0 ? 0 : W / 2;
    for (let r = r0; r < r0 + H / 2; r++) for (let c = c0; c < c0 + W / 2; c++) x[((i * H + r) * W + c) * C + (k % C)] += 1.5;
  }
  return { x, y };
}

/** Batches of one epoch: seeded shuffle plus a seeded horizontal flip per image (exercises the RNG). */
export function arraySource(data: { x: Float32Array; y: Int32Array }, batchSize: number, opts: { flip?: boolean } = {}): BatchSource {
  const n = data.y.length;
  const per = H * W * C;
  return {
    stepsPerEpoch: Math.ceil(n / batchSize),
    *epoch(_epoch: number, rng: Rng): Iterable<Batch> {
      const order = rng.permutation(n);
      for (let lo = 0; lo < n; lo += batchSize) {
        const m = Math.min(batchSize, n - lo);
        const x = new Float32Array(m * per);
        const y = new Int32Array(m);
        for (let i = 0; i < m; i++) {
          const src = order[lo + i];
          y[i] = data.y[src];
          const flip = opts.flip !== false && rng.bernoulli(0.5);
          for (let r = 0; r < H; r++) {
            for (let c = 0; c < W; c++) {
              const sc = flip ? W - 1 - c : c;
              for (let ch = 0; ch < C; ch++) x[((i * H + r) * W + c) * C + ch] = data.x[((src * H + r) * W + sc) * C + ch];
            }
          }
        }
        yield { x, y, n: m };
      }
    },
  };
}

/** Plain batches in order (evaluation). */
export function* arrayBatches(data: { x: Float32Array; y: Int32Array }, batchSize: number): Iterable<Batch> {
  const per = H * W * C;
  for (let lo = 0; lo < data.y.length; lo += batchSize) {
    const m = Math.min(batchSize, data.y.length - lo);
    yield { x: data.x.slice(lo * per, (lo + m) * per), y: data.y.slice(lo, lo + m), n: m };
  }
}

/** All weights of a model as one byte array, in key order (for bit-exact comparison). */
export function weightBytes(model: tfl.LayersModel): Buffer {
  const parts: Buffer[] = [];
  for (const p of modelParams(model)) parts.push(Buffer.from((p.variable.dataSync() as Float32Array).slice().buffer));
  return Buffer.concat(parts);
}
