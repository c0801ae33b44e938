import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kmeans } from '../../../src/techniques/pq/kmeans.js';
import { quantizeKernel, decodeKernel } from '../../../src/techniques/pq/quantize.js';
import { blocksToKernel, kernelToBlocks } from '../../../src/techniques/pq/blocks.js';
import { Rng } from '../../../src/core/rng.js';

test('k-means objective never increases across iterations', () => {
  for (const [d, k, seed] of [[9, 32, 1], [4, 16, 2], [3, 64, 3], [40, 8, 4]]) {
    const x = new Rng(seed).fillNormal(new Float32Array(2000 * d), 0, 1);
    const r = kmeans(x, d, { k, iterations: 12, seed });
    assert.equal(r.objective.length, 13);
    for (let i = 1; i < r.objective.length; i++) assert.ok(r.objective[i] <= r.objective[i - 1] * (1 + 1e-12), `d=${d} it ${i}: ${r.objective[i]} > ${r.objective[i - 1]}`);
    assert.ok(r.objective.at(-1)! < r.objective[0]);
    assert.equal(r.counts.reduce((a, b) => a + b, 0), 2000);
  }
});

test('assignment is the exhaustive argmin (specialised and generic kernels agree with brute force)', () => {
  for (const d of [9, 33]) { // 33 > 32 uses the generic tiled path
    const x = new Rng(5).fillNormal(new Float32Array(301 * d), 0, 1); // odd n: the unpaired last row
    const r = kmeans(x, d, { k: 70, iterations: 2, seed: 5 });
    for (let i = 0; i < 301; i++) {
      let best = Infinity, bi = -1;
      for (let c = 0; c < 70; c++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += (x[i * d + j] - r.centroids[c * d + j]) ** 2;
        if (s < best) { best = s; bi = c; }
      }
      let got = 0;
      for (let j = 0; j < d; j++) got += (x[i * d + j] - r.centroids[r.assignments[i] * d + j]) ** 2;
      assert.ok(got <= best + 1e-9, `row ${i}: assigned ${r.assignments[i]} (${got}) vs best ${bi} (${best})`);
    }
  }
});

test('seeded: same seed, same result', () => {
  const x = new Rng(9).fillNormal(new Float32Array(500 * 4), 0, 1);
  assert.deepEqual(kmeans(x, 4, { k: 16, seed: 3 }).assignments, kmeans(x, 4, { k: 16, seed: 3 }).assignments);
});

test('empty clusters: resolved by splitting, bounded retries reported', () => {
  // 8 tight groups, K = 12: some centroids must be re-seeded by splitting the most populated cluster.
  const rng = new Rng(4);
  const x = new Float32Array(400 * 2);
  for (let i = 0; i < 400; i++) { x[2 * i] = (i % 8) * 10 + rng.normal(0, 0.01); x[2 * i + 1] = rng.normal(0, 0.01); }
  const r = kmeans(x, 2, { k: 12, iterations: 10, seed: 1 });
  assert.ok(r.emptyClusterError === undefined, r.emptyClusterError);
  assert.ok([...r.counts].every((c) => c > 0));
  const stuck = kmeans(x, 2, { k: 12, iterations: 10, seed: 1, maxTentatives: 0, eps: 0 });
  // with no retries allowed a stuck run stops and says so (or happened to have no empty cluster)
  if (stuck.emptyClusterError) assert.match(stuck.emptyClusterError, /after 0 tentatives/);
});

test('decode(encode(W)) is exact when K ≥ #distinct blocks (VQ and PQ)', () => {
  const rng = new Rng(7);
  const shape = [3, 3, 8, 16];
  const palette = Array.from({ length: 20 }, () => rng.fillNormal(new Float32Array(9), 0, 1));
  const blocks = new Float32Array(8 * 16 * 9);
  for (let b = 0; b < 128; b++) blocks.set(palette[rng.int(20)], b * 9);
  // Build a kernel whose blocks are exactly the palette rows (blocks.ts layout, inverted).
  const w = blocksToKernel(blocks, shape, 9);
  assert.deepEqual(kernelToBlocks(w, shape, 9), blocks);
  for (const [k, m] of [[20, 1], [32, 1], [32, 3]]) {
    const q = quantizeKernel(w, shape, { blockSize: 9, k, subspaces: m, seed: 1 });
    assert.deepEqual(decodeKernel(q), w, `K=${k} m=${m}`);
    assert.equal(q.objective.at(-1), 0);
  }
});
