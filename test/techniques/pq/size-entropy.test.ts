import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quantLayerSize, modelSize, bitsPerIndex } from '../../../src/techniques/pq/size.js';
import { huffmanEncode, huffmanDecode, empiricalEntropy, entropyReport, huffmanCodeLengths } from '../../../src/techniques/pq/entropy.js';
import { packBits, unpackBits } from '../../../src/techniques/pq/pack.js';
import { Rng } from '../../../src/core/rng.js';

test("size: the research note's 64×64×3×3, K 256, block 9 = 8,704 B (fp16) vs 147,456 B fp32", () => {
  const s = quantLayerSize('conv', 64 * 64 * 3 * 3, 9, 256);
  assert.equal(s.nBlocks, 4096);
  assert.equal(s.indexBytes, 4096);
  assert.equal(s.codebookBytes, 4608);
  assert.equal(s.bytes, 8704);
  assert.equal(s.fp32Bytes, 147456);
  assert.equal(quantLayerSize('conv', 36864, 9, 256, { centroidBytes: 4 }).bytes, 4096 + 9216);
});

test('size: closed forms for K, block size, sub-spaces; model totals', () => {
  for (const [numel, bs, k, m, cb] of [[36864, 18, 256, 1, 2], [36864, 9, 16, 1, 4], [36864, 9, 256, 3, 2], [640, 8, 16, 1, 2], [36864, 9, 100, 1, 2]] as const) {
    const s = quantLayerSize('l', numel, bs, k, { subspaces: m, centroidBytes: cb });
    assert.equal(s.bitsPerIndex, Math.ceil(Math.log2(k)));
    assert.equal(s.indexBytes, Math.ceil(((numel / bs) * m * Math.ceil(Math.log2(k))) / 8));
    assert.equal(s.codebookBytes, k * bs * cb);
  }
  assert.equal(bitsPerIndex(2), 1);
  const l = quantLayerSize('conv', 36864, 9, 256);
  const ms = modelSize(36864 + 64 + 100, [l]);
  assert.equal(ms.compressedBytes, 8704 + 4 * 164);
  assert.equal(ms.fp32Bytes, 4 * 37028);
  assert.ok(Math.abs(ms.ratio - (4 * 37028) / (8704 + 656)) < 1e-12);
  assert.throws(() => quantLayerSize('x', 10, 4, 16), /not a multiple/);
});

function check(symbols: Int32Array, k: number): void {
  const s = huffmanEncode(symbols, k);
  assert.deepEqual(huffmanDecode(s.lengths, s.data, s.count), symbols);
  const r = entropyReport(symbols, k);
  assert.ok(r.huffmanBits <= r.entropy + 1 + 1e-12, `${r.huffmanBits} > H + 1 = ${r.entropy + 1}`);
  assert.ok(r.huffmanBits >= r.entropy - 1e-12);
}

test('Huffman round trip on random and skewed index streams; bits ≤ entropy + 1', () => {
  const rng = new Rng(11);
  check(Int32Array.from({ length: 5000 }, () => rng.int(256)), 256); // ~uniform
  // skewed (geometric-ish) usage, as k-means centroids are used unevenly
  const skew = Int32Array.from({ length: 8000 }, () => Math.min(255, Math.floor(-Math.log(1 - rng.next()) * 6)));
  check(skew, 256);
  const r = entropyReport(skew, 256);
  assert.ok(r.entropy < 5 && r.huffmanBits < 8, JSON.stringify(r));
  check(new Int32Array(100).fill(3), 16); // one symbol: 1 bit each
  check(Int32Array.from({ length: 300 }, (_, i) => (i % 7 === 0 ? 1 : 0)), 2);
  // very skewed frequencies trigger the length limit; still a valid prefix code
  const fib = [1, 1];
  for (let i = 2; i < 40; i++) fib.push(fib[i - 1] + fib[i - 2]);
  const lens = huffmanCodeLengths(fib, 24);
  assert.ok(Math.max(...lens) <= 24);
  assert.ok(lens.reduce((s, l) => s + 2 ** -l, 0) <= 1 + 1e-12); // Kraft
  assert.throws(() => huffmanEncode([300], 256), /outside/);
});

test('empirical entropy and bit packing', () => {
  assert.equal(empiricalEntropy([0, 1, 2, 3], 4), 2);
  assert.equal(empiricalEntropy([5, 5, 5], 8), 0);
  const rng = new Rng(2);
  for (const bits of [1, 3, 8, 11]) {
    const v = Int32Array.from({ length: 1001 }, () => rng.int(2 ** bits));
    const p = packBits(v, bits);
    assert.equal(p.length, Math.ceil((1001 * bits) / 8));
    assert.deepEqual(unpackBits(p, bits, 1001), v);
  }
  assert.throws(() => packBits([4], 2), /does not fit/);
});
