import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quantizeAffine, quantizeFloat16, toFloat16Bits } from '../../src/export/tfjs-quantize.js';

test('float16 bits: exact values, rounding to nearest even, subnormals, overflow', () => {
  const cases: Array<[number, number]> = [
    [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff], [65520, 0x7c00], [1e6, 0x7c00],
    [2 ** -24, 0x0001], [2 ** -25, 0x0000], [3 * 2 ** -25, 0x0002], [2 ** -14, 0x0400], [Infinity, 0x7c00],
    [1 + 2 ** -11, 0x3c00], // halfway between 1 and the next half: ties to even (1)
    [1 + 3 * 2 ** -11, 0x3c02], // halfway, odd below: rounds up
  ];
  for (const [v, bits] of cases) assert.equal(toFloat16Bits(v), bits, `${v}`);
  assert.equal(toFloat16Bits(NaN) & 0x7c00, 0x7c00);
  assert.equal(quantizeFloat16(new Float32Array([1, -2])).bytes.length, 4);
});

test('uint8/uint16 as tensorflowjs_converter: range nudged so 0 is a code; codes decode as code·scale + min', () => {
  const w = new Float32Array([-1, -0.3, 0, 0.2, 2]);
  const r = quantizeAffine(w, 'uint8');
  const { min, scale } = r.quantization as { min: number; scale: number };
  assert.equal(scale, 3 / 255);
  assert.equal(min, -Math.round(1 / scale) * scale); // zero point 85
  const codes = r.bytes;
  assert.equal(codes[2] * scale + min, 0, 'zero is exact');
  for (let i = 0; i < w.length; i++) assert.ok(Math.abs(codes[i] * scale + min - w[i]) <= scale / 2 + 1e-9, `${i}`);
  const pos = quantizeAffine(new Float32Array([1, 2, 3]), 'uint16');
  assert.equal(pos.quantization.min, 1, 'no nudge when 0 is outside the range');
  assert.equal(pos.bytes.length, 6);
  const flat = quantizeAffine(new Float32Array([0.7, 0.7]), 'uint8');
  assert.deepEqual({ ...flat.quantization }, { dtype: 'uint8', min: Math.fround(0.7), scale: 1, original_dtype: 'float32' });
});
