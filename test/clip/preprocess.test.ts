import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImageFile } from '../../src/clip/preprocess/decode.js';
import { preprocess, transformToRgb, resizedSize, centerCropOffsets, type ImageLike } from '../../src/clip/preprocess/index.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'clip', 'preprocess');
const SHARED = join(import.meta.dirname, '..', '..', '..', 'shared', 'clip');

test('preprocess: bit-exact to the official pipeline on golden.json images (RGB and L inputs)', async () => {
  const g = JSON.parse(readFileSync(join(SHARED, 'tiny_vit', 'golden.json'), 'utf8'));
  const n = g.clip_constructor_args.image_resolution as number;
  const ref = (g.preprocessed_images.data as number[]).map(Math.fround);
  for (let i = 0; i < g.images.length; i++) {
    const img = await decodeImageFile(join(SHARED, g.images[i].file));
    const x = preprocess(img, n);
    let maxDiff = 0;
    for (let j = 0; j < x.length; j++) maxDiff = Math.max(maxDiff, Math.abs(x[j] - ref[i * x.length + j]));
    assert.equal(maxDiff, 0, `${g.images[i].file}: max |diff| ${maxDiff}`);
  }
});

test('preprocess: PIL-exact resize/crop/convert for RGBA, LA, P, 1, L, RGB, upscaling and odd sizes', async () => {
  const g = JSON.parse(readFileSync(join(FIX, 'golden.json'), 'utf8'));
  for (const c of g.cases as Array<{ file: string; n_px: number; rgb_uint8_base64: string }>) {
    const img = await decodeImageFile(join(FIX, c.file));
    const got = transformToRgb(img, c.n_px);
    const want = Buffer.from(c.rgb_uint8_base64, 'base64');
    let maxDiff = 0;
    for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
    assert.equal(maxDiff, 0, `${c.file}: max |diff| ${maxDiff} levels`);
  }
});

test('preprocess: torchvision size and crop rules', () => {
  assert.deepEqual(resizedSize(80, 60, 32), [42, 32]); // int(32·80/60) = 42
  assert.deepEqual(resizedSize(45, 71, 32), [32, 50]);
  assert.deepEqual(resizedSize(7, 7, 224), [224, 224]);
  assert.deepEqual(centerCropOffsets(42, 32, 32), [5, 0]);
  assert.deepEqual(centerCropOffsets(37, 32, 32), [2, 0]); // round(2.5) = 2 (half to even)
  assert.deepEqual(centerCropOffsets(39, 32, 32), [4, 0]); // round(3.5) = 4
});

test('preprocess: browser ImageData (opaque RGBA) gives the same tensor as RGB', () => {
  const w = 23;
  const h = 17;
  const rgb = new Uint8Array(w * h * 3);
  const rgba = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    for (let c = 0; c < 3; c++) rgba[i * 4 + c] = rgb[i * 3 + c] = (i * 37 + c * 91) % 256;
    rgba[i * 4 + 3] = 255;
  }
  const a = preprocess({ data: rgb, width: w, height: h, channels: 3 }, 12);
  const b = preprocess({ data: rgba, width: w, height: h } as ImageLike, 12);
  assert.deepEqual(a, b);
  assert.throws(() => preprocess({ data: new Uint8Array(10), width: 3, height: 3 }, 4), /not 3×3/);
});
