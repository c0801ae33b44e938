/** A tiny functional CNN with deterministic weights for the quantisation tests. */
import { tf, tfl } from '../../../src/engine/tf.js';
import { randomArray } from '../../helpers/backends.js';
import { Rng } from '../../../src/core/rng.js';
import type { Batch, BatchSource } from '../../../src/train/types.js';

export function tinyModel(seed = 1): tfl.LayersModel {
  const inp = tfl.input({ shape: [6, 6, 2] });
  let h = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'conv1', kernelInitializer: 'zeros' }).apply(inp) as tfl.SymbolicTensor;
  h = tfl.layers.activation({ activation: 'relu', name: 'relu1' }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'valid', name: 'stage1.block0.conv1', kernelInitializer: 'zeros' }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.flatten({ name: 'flat' }).apply(h) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 3, name: 'fc', kernelInitializer: 'zeros' }).apply(h) as tfl.SymbolicTensor;
  const m = tfl.model({ inputs: inp, outputs: out });
  let s = seed;
  for (const l of m.layers) {
    const ws = l.getWeights();
    if (!ws.length) continue;
    const next = ws.map((w) => tf.tensor(randomArray(w.size, ++s).map((v) => v * 0.5), w.shape));
    l.setWeights(next);
    tf.dispose(next);
  }
  return m;
}

export function input(n = 2, seed = 99): tf.Tensor {
  return tf.tensor(randomArray(n * 6 * 6 * 2, seed), [n, 6, 6, 2]);
}

export function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync(), (v) => v + 0);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** A learnable toy problem for tinyModel's [6, 6, 2] input and 3 classes, as a seeded BatchSource. */
export function toySource(n: number, batchSize: number, seed: number): BatchSource & { all(): Batch } {
  const rng = new Rng(seed);
  const per = 6 * 6 * 2;
  const x = rng.fillNormal(new Float32Array(n * per), 0, 0.5);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = rng.int(3);
    for (let j = 0; j < 12; j++) x[i * per + y[i] * 24 + j] += 1.5;
  }
  return {
    stepsPerEpoch: Math.ceil(n / batchSize),
    *epoch(_e: number, r: Rng): Iterable<Batch> {
      const order = r.permutation(n);
      for (let lo = 0; lo < n; lo += batchSize) {
        const m = Math.min(batchSize, n - lo);
        const bx = new Float32Array(m * per);
        const by = new Int32Array(m);
        for (let i = 0; i < m; i++) {
          bx.set(x.subarray(order[lo + i] * per, (order[lo + i] + 1) * per), i * per);
          by[i] = y[order[lo + i]];
        }
        yield { x: bx, y: by, n: m };
      }
    },
    all: () => ({ x, y, n }),
  };
}
