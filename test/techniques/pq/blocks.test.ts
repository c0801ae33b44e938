import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blocksToKernel, kernelToBlocks } from '../../../src/techniques/pq/blocks.js';
import { parsePQConfig, parseBlockSpec, planLayer } from '../../../src/techniques/pq/config.js';
import { Rng } from '../../../src/core/rng.js';

/** fairseq's layout computed directly from an OIHW weight: row j·out + o = W[o].flatten()[j·bs : (j+1)·bs]. */
function fairseqBlocks(oihw: Float32Array, out: number, per: number, bs: number): Float32Array {
  const r = new Float32Array(oihw.length);
  for (let j = 0; j < per / bs; j++) for (let o = 0; o < out; o++) for (let t = 0; t < bs; t++) r[(j * out + o) * bs + t] = oihw[o * per + j * bs + t];
  return r;
}

test('conv blocks follow fairseq (in, kh, kw) order from an HWIO kernel', () => {
  const [kh, kw, cin, cout] = [3, 3, 4, 5];
  const hwio = new Rng(1).fillNormal(new Float32Array(kh * kw * cin * cout), 0, 1);
  const oihw = new Float32Array(hwio.length);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) {
    oihw[((o * cin + i) * kh + y) * kw + x] = hwio[((y * kw + x) * cin + i) * cout + o];
  }
  for (const bs of [9, 18, 4, 36]) {
    const b = kernelToBlocks(hwio, [kh, kw, cin, cout], bs);
    assert.deepEqual(b, fairseqBlocks(oihw, cout, cin * kh * kw, bs), `bs ${bs}`);
    assert.deepEqual(blocksToKernel(b, [kh, kw, cin, cout], bs), hwio);
  }
  // bs 9: block 0 of filter 0 is the whole 3×3 kernel of input channel 0.
  const b9 = kernelToBlocks(hwio, [kh, kw, cin, cout], 9);
  assert.deepEqual([...b9.subarray(0, 9)], [...oihw.subarray(0, 9)]);
});

test('dense: blocks are consecutive input weights of one output unit (Linear [out,in] rows)', () => {
  const [cin, cout] = [8, 3];
  const k = new Rng(2).fillNormal(new Float32Array(cin * cout), 0, 1); // tfjs [in, out]
  const b = kernelToBlocks(k, [cin, cout], 4);
  // row j·out + o = W_torch[o, 4j..4j+4] = k[4j..4j+4, o]
  for (let j = 0; j < 2; j++) for (let o = 0; o < cout; o++) for (let t = 0; t < 4; t++) assert.equal(b[(j * cout + o) * 4 + t], k[(4 * j + t) * cout + o]);
  assert.deepEqual(blocksToKernel(b, [cin, cout], 4), k);
});

test('1x1 conv blocks are consecutive input channels', () => {
  const k = new Rng(3).fillNormal(new Float32Array(8 * 2), 0, 1);
  const b = kernelToBlocks(k, [1, 1, 8, 2], 4);
  // row (j=0, o=1) = input channels 0..3 of output 1
  for (let t = 0; t < 4; t++) assert.equal(b[4 + t], k[t * 2 + 1]);
});

test('non-divisible block size names the layer', () => {
  assert.throws(() => kernelToBlocks(new Float32Array(3 * 3 * 3 * 4), [3, 3, 3, 4], 18, 'stage1.block0.conv1'), /stage1\.block0\.conv1.*27 values per filter.*block size 18/);
  const cfg = parsePQConfig({ blockSizes: { dense: 7 } });
  assert.throws(() => planLayer(cfg, 'fc', { kh: 1, kw: 1, cin: 64, cout: 10 }, true), /"fc".*not divisible by block size 7/);
});

test('plans: defaults §5.4, overrides, K clamp', () => {
  const cfg = parsePQConfig({ layers: [{ pattern: '^fc$', blockSize: 4, k: 16 }], blockSizes: parseBlockSpec('conv3x3:18,conv1x1:4') });
  const p = planLayer(cfg, 'c', { kh: 3, kw: 3, cin: 64, cout: 64 }, false)!;
  assert.deepEqual([p.kind, p.blockSize, p.k, p.nBlocks], ['conv3x3', 18, 256, 2048]);
  const fc = planLayer(cfg, 'fc', { kh: 1, kw: 1, cin: 64, cout: 10 }, true)!;
  assert.deepEqual([fc.blockSize, fc.k], [4, 16]);
  const small = planLayer(parsePQConfig({}), 'conv1', { kh: 3, kw: 3, cin: 3, cout: 16 }, false)!;
  assert.deepEqual([small.nBlocks, small.k, small.kRequested], [48, 8, 256]); // 2^floor(log2(48/4))
  assert.throws(() => planLayer(parsePQConfig({ clampK: false }), 'conv1', { kh: 3, kw: 3, cin: 3, cout: 16 }, false), /conv1.*48 blocks/);
  assert.throws(() => parseBlockSpec('conv5x5:3'), /KIND:SIZE/);
});
