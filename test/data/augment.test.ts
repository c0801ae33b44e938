import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import {
  augmentImage, drawAugment, identityLut, normalizationLut, writeImage, CIFAR_NORM_REPR, CIFAR_NORM_TRUE_STD,
  IDENTITY_AUGMENT, UNIT_SCALE,
} from '../../src/data/augment.js';

function randomImage(h: number, w: number, c: number, seed: number): Uint8Array {
  const r = new Rng(seed);
  return Uint8Array.from({ length: h * w * c }, () => 1 + r.int(255)); // never 0, so the border is visible
}

for (const [h, w, c] of [[32, 32, 3], [7, 9, 2], [6, 5, 1]] as const) {
  test(`crop is a shifted copy with a zero border, flip an exact mirror (${h}x${w}x${c})`, () => {
    const img = randomImage(h, w, c, h * w + c);
    for (let dy = -4; dy <= 4; dy++) for (let dx = -4; dx <= 4; dx++) for (const flip of [false, true]) {
      const out = augmentImage(img, h, w, c, { dy, dx, flip });
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
        const sy = y + dy;
        const sx = (flip ? w - 1 - x : x) + dx;
        for (let k = 0; k < c; k++) {
          const want = sy >= 0 && sy < h && sx >= 0 && sx < w ? img[(sy * w + sx) * c + k] : 0;
          assert.equal(out[(y * w + x) * c + k], want, `dy=${dy} dx=${dx} flip=${flip} at (${y},${x},${k})`);
        }
      }
    }
  });
}

test('flip applied twice is the identity; no-op params copy the image', () => {
  const img = randomImage(32, 32, 3, 1);
  const once = augmentImage(img, 32, 32, 3, { dy: 0, dx: 0, flip: true });
  assert.notDeepEqual(once, img);
  assert.deepEqual(augmentImage(once, 32, 32, 3, { dy: 0, dx: 0, flip: true }), img);
  assert.deepEqual(augmentImage(img, 32, 32, 3, IDENTITY_AUGMENT), img);
});

test('drawAugment: offsets uniform over [-4, 4], flip about half, 3 draws per image', () => {
  const rng = new Rng(5);
  const seen = new Map<number, number>();
  let flips = 0;
  const N = 9000;
  for (let i = 0; i < N; i++) {
    const p = drawAugment(rng);
    seen.set(p.dy, (seen.get(p.dy) ?? 0) + 1);
    assert.ok(p.dx >= -4 && p.dx <= 4, `dx ${p.dx}`);
    if (p.flip) flips++;
  }
  assert.deepEqual([...seen.keys()].sort((a, b) => a - b), [-4, -3, -2, -1, 0, 1, 2, 3, 4]);
  for (const v of seen.values()) assert.ok(Math.abs(v - N / 9) < 150, `count ${v}`);
  assert.ok(Math.abs(flips / N - 0.5) < 0.03, `flip rate ${flips / N}`);
  const a = new Rng(9);
  const b = new Rng(9);
  drawAugment(a);
  for (let i = 0; i < 3; i++) b.nextUint32();
  assert.deepEqual(a.getState(), b.getState());
  // padding 0 and no flip: no draws, identity.
  const c = new Rng(9);
  assert.deepEqual(drawAugment(c, { padding: 0, flip: false }), { dy: 0, dx: 0, flip: false });
  assert.deepEqual(c.getState(), new Rng(9).getState());
});

test('normalisation matches (v/255 − mean)/std per channel; padding is normalised zero', () => {
  for (const norm of [CIFAR_NORM_REPR, CIFAR_NORM_TRUE_STD, { mean: [0.1, 0.2, 0.3], std: [0.5, 2, 1] }]) {
    const img = randomImage(32, 32, 3, 7);
    const lut = normalizationLut(norm, 3);
    const out = new Float32Array(img.length + 6);
    writeImage(img, 0, 32, 32, 3, IDENTITY_AUGMENT, lut, out, 6); // non-zero output offset
    for (let i = 0; i < img.length; i++) {
      const c = i % 3;
      assert.ok(Math.abs(out[6 + i] - (img[i] / 255 - norm.mean[c]) / norm.std[c]) < 1e-6, `value ${i}`);
    }
    writeImage(img, 0, 32, 32, 3, { dy: -32, dx: 0, flip: false }, lut, out, 0);
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(out[c] - -norm.mean[c] / norm.std[c]) < 1e-6, `padding channel ${c}`);
  }
  assert.equal(CIFAR_NORM_REPR.std[0], 0.2023);
  assert.equal(CIFAR_NORM_TRUE_STD.std[2], 0.2616);
  const unit = normalizationLut(UNIT_SCALE(3), 3);
  assert.equal(unit[255], 1);
  assert.equal(unit[256 + 51], Math.fround(0.2));
  assert.deepEqual([...identityLut(1).subarray(0, 3)], [0, 1, 2]);
  assert.throws(() => normalizationLut({ mean: [0, 0], std: [1, 1] }, 3), /normalize/);
  assert.throws(() => normalizationLut({ mean: [0, 0, 0], std: [1, 0, 1] }, 3), /std\[1\]/);
});
