import { test } from 'node:test';
import assert from 'node:assert/strict';
import { relError, randomArray, tf } from '../helpers/backends.js';
import { nativeSkipReason, onBoth } from './native-helpers.js';

const skip = await nativeSkipReason();
const TOL = 1e-5;

function t4(shape: number[], seed: number): tf.Tensor4D {
  return tf.tensor(randomArray(shape.reduce((a, b) => a * b, 1), seed), shape as [number, number, number, number]) as tf.Tensor4D;
}
function tn(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(randomArray(shape.reduce((a, b) => a * b, 1), seed), shape);
}
async function check(name: string, fn: () => tf.Tensor | tf.Tensor[], tol = TOL): Promise<void> {
  const r = await onBoth(fn);
  r.cpu.forEach((ref, i) => {
    const e = relError(r.native[i], ref);
    assert.ok(e <= tol, `${name} output ${i} shape ${r.shapes[i]}: rel err ${e}`);
  });
}

interface ConvCase { n: number; h: number; w: number; ci: number; co: number; k: [number, number]; s: number; pad: 'same' | 'valid' | number; d?: number }
const convCases: ConvCase[] = [
  { n: 2, h: 7, w: 9, ci: 3, co: 5, k: [3, 3], s: 1, pad: 'same' },
  { n: 3, h: 8, w: 8, ci: 4, co: 6, k: [3, 3], s: 2, pad: 'same' },
  { n: 2, h: 9, w: 7, ci: 2, co: 3, k: [3, 3], s: 1, pad: 'valid' },
  { n: 2, h: 11, w: 10, ci: 5, co: 4, k: [3, 3], s: 2, pad: 'valid' },
  { n: 1, h: 6, w: 6, ci: 3, co: 2, k: [1, 1], s: 2, pad: 'valid' },
  { n: 2, h: 5, w: 13, ci: 3, co: 7, k: [5, 3], s: 1, pad: 'same' },
  { n: 2, h: 9, w: 9, ci: 3, co: 4, k: [3, 3], s: 1, pad: 1 },
  { n: 2, h: 8, w: 8, ci: 3, co: 4, k: [7, 7], s: 2, pad: 'same' },
  { n: 2, h: 12, w: 12, ci: 16, co: 32, k: [3, 3], s: 2, pad: 'same' },
  { n: 2, h: 9, w: 9, ci: 3, co: 4, k: [3, 3], s: 1, pad: 'same', d: 2 },
  // 3x3 / stride 1 / pad 1 with 32+ channels in and out: oneDNN Winograd (blocked layout) on native
  { n: 3, h: 10, w: 10, ci: 32, co: 48, k: [3, 3], s: 1, pad: 'same' },
  { n: 2, h: 8, w: 8, ci: 64, co: 64, k: [3, 3], s: 1, pad: 1 },
  // 16 channels in and out, 3x3 / stride 1 / pad 1: Whittle's AVX-512 direct kernel (direct16.cc) where the
  // CPU has it. Widths cover every block size (16, 8, 4, 2, 1) with and without the padding edges; h = 1
  // has neither the row above nor below.
  { n: 2, h: 5, w: 32, ci: 16, co: 16, k: [3, 3], s: 1, pad: 'same' },
  { n: 1, h: 3, w: 31, ci: 16, co: 16, k: [3, 3], s: 1, pad: 1 },
  { n: 3, h: 1, w: 16, ci: 16, co: 16, k: [3, 3], s: 1, pad: 'same' },
  { n: 2, h: 4, w: 1, ci: 16, co: 16, k: [3, 3], s: 1, pad: 'same' },
  { n: 2, h: 6, w: 19, ci: 16, co: 16, k: [3, 3], s: 1, pad: 'same' },
];

for (const c of convCases) {
  test(`native conv2d forward + gradients match cpu: ${JSON.stringify(c)}`, { skip }, async () => {
    const xs = [c.n, c.h, c.w, c.ci];
    const fs = [c.k[0], c.k[1], c.ci, c.co];
    await check('conv2d', () => tf.conv2d(t4(xs, 1), t4(fs, 2), c.s, c.pad, 'NHWC', c.d ?? 1));
    if (c.d) return; // tfjs has no dilated conv gradients
    await check('conv2d grads', () => {
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad), tf.scalar(1.5))));
      return g([t4(xs, 1), t4(fs, 2)]);
    });
    await check('fused conv2d bias relu', () =>
      tf.fused.conv2d({ x: t4(xs, 3), filter: t4(fs, 4), strides: c.s, pad: c.pad, bias: tn([c.co], 5), activation: 'relu' }),
    );
    await check('fused conv2d linear grads', () => {
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) =>
        tf.sum(tf.square(tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: c.s, pad: c.pad, bias }))),
      );
      return g([t4(xs, 6), t4(fs, 7), tn([c.co], 8)]);
    });
  });
}

const mmCases: Array<{ a: number[]; b: number[]; ta?: boolean; tb?: boolean }> = [
  { a: [5, 7], b: [7, 3] },
  { a: [7, 5], b: [7, 3], ta: true },
  { a: [5, 7], b: [3, 7], tb: true },
  { a: [7, 5], b: [3, 7], ta: true, tb: true },
  { a: [3, 4, 6], b: [3, 6, 2] },
  { a: [3, 4, 6], b: [6, 2] },
  { a: [64, 300], b: [300, 10] },
  // many small products (attention heads): one OpenMP region over the batch on native
  { a: [24, 9, 16], b: [24, 16, 9] },
  { a: [12, 16, 9], b: [12, 7, 16], ta: true, tb: true },
  { a: [10, 5, 8], b: [8, 6] },
];
for (const c of mmCases) {
  test(`native matMul matches cpu: ${JSON.stringify(c)}`, { skip }, async () => {
    await check('matMul', () => tf.matMul(tn(c.a, 1), tn(c.b, 2), c.ta, c.tb));
    const n = c.tb ? c.b[c.b.length - 2] : c.b[c.b.length - 1];
    await check('fused matMul', () =>
      tf.fused.matMul({ a: tn(c.a, 3), b: tn(c.b, 4), transposeA: c.ta, transposeB: c.tb, bias: tn([n], 5), activation: 'relu' }),
    );
    if (c.a.length !== c.b.length) return; // tfjs cannot differentiate a broadcast batch matmul
    await check('matMul grads', () => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.matMul(a, b, c.ta, c.tb))))([tn(c.a, 6), tn(c.b, 7)]));
  });
}

const bcast: Array<[number[], number[]]> = [
  [[2, 3, 4], [2, 3, 4]],
  [[2, 3, 4], [4]],
  [[2, 3, 4], [2, 1, 4]],
  [[2, 3, 4], [3, 1]],
  [[3, 1], [1, 5]],
  [[2, 3, 4], []],
  [[], [5, 6]],
  [[64, 9, 9, 33], [33]],
  [[4, 1, 5, 1, 3], [1, 6, 5, 2, 1]],
  [[300, 400], [300, 400]],
];
const binOps: Array<[string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor]> = [
  ['add', tf.add], ['sub', tf.sub], ['mul', tf.mul], ['div', tf.div], ['maximum', tf.maximum],
  ['minimum', tf.minimum], ['squaredDifference', tf.squaredDifference],
];
test('native binary ops with broadcasting match cpu', { skip }, async () => {
  for (const [name, op] of binOps) {
    for (const [sa, sb] of bcast) {
      await check(`${name} ${JSON.stringify([sa, sb])}`, () => {
        const b = tf.add(tn(sb, 2), tf.scalar(name === 'div' ? 3 : 0));
        return op(tn(sa, 1), b);
      });
    }
  }
});

const unOps: Array<[string, (x: tf.Tensor) => tf.Tensor]> = [
  ['relu', tf.relu], ['step', (x) => tf.step(x, 0.1)], ['sqrt', (x) => tf.sqrt(tf.abs(x))], ['rsqrt', (x) => tf.rsqrt(tf.add(tf.abs(x), 0.5))],
  ['square', tf.square], ['exp', tf.exp], ['log', (x) => tf.log(tf.add(tf.abs(x), 0.1))], ['neg', tf.neg], ['abs', tf.abs],
  ['sigmoid', tf.sigmoid], ['tanh', tf.tanh], ['reciprocal', (x) => tf.reciprocal(tf.add(x, 3))], ['relu6', (x) => tf.relu6(tf.mul(x, 8))],
  ['elu', tf.elu], ['sign', tf.sign], ['leakyRelu', (x) => tf.leakyRelu(x, 0.3)],
];
test('native unary ops match cpu (small and large, multi-threaded)', { skip }, async () => {
  for (const [name, op] of unOps) {
    for (const shape of [[3, 5], [64, 32, 33]]) await check(`${name} ${shape}`, () => op(tn(shape, 9)));
  }
});

test('native reductions match cpu over contiguous and scattered axes', { skip }, async () => {
  const cases: Array<[number[], number | number[] | undefined, boolean]> = [
    [[16, 16, 16, 32], [0, 1, 2], false], [[16, 16, 16, 32], [1, 2], true], [[16, 16, 16, 32], 3, false],
    [[16, 16, 16, 32], undefined, false], [[7, 5], 0, false], [[7, 5], -1, true], [[3, 4, 5], [0, 2], false],
    [[3, 1, 5], [0, 1], true], [[128, 10], 1, true], [[5, 300, 7], 1, false],
  ];
  for (const [shape, axis, keep] of cases) {
    await check(`sum ${shape} ${axis}`, () => tf.sum(tn(shape, 3), axis, keep));
    await check(`mean ${shape} ${axis}`, () => tf.mean(tn(shape, 4), axis, keep));
    await check(`max ${shape} ${axis}`, () => tf.max(tn(shape, 5), axis, keep));
    await check(`min ${shape} ${axis}`, () => tf.min(tn(shape, 6), axis, keep));
  }
});

test('native batchNorm, softmax, transpose and addN match cpu', { skip }, async () => {
  for (const shape of [[2, 5, 5, 3], [64, 8, 8, 16]]) {
    const c = shape[3];
    await check('batchNorm', () =>
      tf.batchNorm(tn(shape, 1), tn([c], 2), tf.add(tf.abs(tn([c], 3)), 0.1), tn([c], 4), tn([c], 5), 1e-5),
    );
    await check('batchNorm no scale/offset', () => tf.batchNorm(tn(shape, 1), tn([c], 2), tf.add(tf.abs(tn([c], 3)), 0.1)));
    await check('transpose', () => tf.transpose(tn(shape, 6), [3, 0, 2, 1]));
    await check('addN', () => tf.addN([tn(shape, 1), tn(shape, 2), tn(shape, 3)]));
  }
  await check('softmax', () => tf.softmax(tf.mul(tn([64, 10], 7), 5)));
  await check('softmax grads', () => tf.grads((x: tf.Tensor) => tf.sum(tf.mul(tf.softmax(x), tn([64, 10], 3))))([tn([64, 10], 7)]));
  await check('softmax CE grads', () =>
    tf.grads((x: tf.Tensor) => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d([1, 2, 3, 0], 'int32'), 10), x))([tn([4, 10], 8)]),
  );
});

test('native data movement (slice, stridedSlice, pad, tile, transpose, avgPool) matches cpu', { skip }, async () => {
  const s = [4, 9, 7, 6];
  await check('slice', () => tf.slice(tn(s, 1), [1, 2, 0, 3], [2, 5, -1, 3]));
  await check('slice grad', () => tf.grads((x: tf.Tensor) => tf.sum(tf.square(tf.slice(x, [1, 2, 0, 3], [2, 5, -1, 3]))))([tn(s, 1)]));
  await check('stridedSlice', () => tf.stridedSlice(tn(s, 2), [0, 1, 0, 0], [4, 9, 7, 6], [1, 2, 3, 1]));
  await check('stridedSlice neg', () => tf.stridedSlice(tn(s, 2), [3, 8, 6, 5], [0, 0, 0, 0], [-1, -2, -1, -2], 0, 0, 0, 0, 0));
  await check('stridedSlice shrink', () => tf.stridedSlice(tn(s, 2), [1, 0, 0, 0], [2, 9, 7, 6], [1, 1, 1, 1], 0, 0, 0, 0, 1));
  await check('pad', () => tf.pad(tn(s, 3), [[0, 0], [1, 2], [0, 1], [3, 3]], 0.5));
  await check('tile', () => tf.tile(tn([1, 1, 3, 6], 4), [4, 9, 2, 1]));
  await check('tile 2', () => tf.tile(tn([2, 3], 4), [3, 2]));
  await check('transpose', () => tf.transpose(tn(s, 5), [0, 3, 1, 2]));
  for (const st of [1, 2, 3]) {
    await check(`avgPool 1x1 stride ${st}`, () => tf.avgPool(t4([4, 9, 8, 6], 6), 1, st, 'valid'));
    await check(`avgPool 1x1 grad stride ${st}`, () =>
      tf.grads((x: tf.Tensor) => tf.sum(tf.square(tf.avgPool(x as tf.Tensor4D, 1, st, 'valid'))))([t4([4, 9, 8, 6], 6)]),
    );
  }
  // Windowed pools (CLIP RN50's 2×2 anti-aliasing pools); 'same' padding is left out of the divisor.
  const pools: Array<[number[], number | [number, number], number | [number, number], 'same' | 'valid']> = [
    [[2, 8, 8, 5], 2, 2, 'valid'], [[2, 9, 8, 3], 3, 2, 'same'], [[1, 7, 9, 4], 3, 1, 'same'], [[3, 10, 7, 2], [2, 3], [1, 2], 'valid'],
    [[1, 14, 14, 64], 7, 7, 'valid'], [[2, 64, 64, 32], 2, 2, 'same'], // (the last one multi-threaded)
  ];
  for (const [shape, f, st, pad] of pools) {
    await check(`avgPool ${JSON.stringify([shape, f, st, pad])}`, () => tf.avgPool(t4(shape, 6), f, st, pad));
  }
});

test('native fused gradients (relu, square, mean, batch-norm through moments) match cpu', { skip }, async () => {
  const s = [8, 6, 5, 16];
  await check('relu grad', () => tf.grads((x: tf.Tensor) => tf.sum(tf.mul(tf.relu(x), tn(s, 2))))([tn(s, 1)]));
  await check('square grad', () => tf.grads((x: tf.Tensor) => tf.sum(tf.mul(tf.square(x), tn(s, 2))))([tn(s, 1)]));
  await check('mean grad', () => tf.grads((x: tf.Tensor) => tf.sum(tf.mul(tf.mean(x, [0, 1, 2]), tn([16], 2))))([tn(s, 1)]));
  await check('mean grad keepDims', () => tf.grads((x: tf.Tensor) => tf.sum(tf.mul(tf.mean(x, 1, true), tn([8, 1, 5, 16], 2))))([tn(s, 1)]));
  // tfjs-layers BatchNormalization in training: moments + batchNorm, gradients for x, gamma, beta.
  await check('batch-norm training grads', () =>
    tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return tf.sum(tf.mul(tf.batchNorm(x, mean, variance, b, g, 1e-5), tn(s, 9)));
    })([tn(s, 1), tf.add(tn([16], 2), 1.5), tn([16], 3)]),
  TOL);
  // (tfjs cannot differentiate batchNorm without scale or offset on any backend: it saves the missing input.)
  await check('batch-norm training grads, odd shape', () =>
    tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return tf.sum(tf.mul(tf.batchNorm(x, mean, variance, b, g, 1e-3), tn([5, 7, 3, 3], 9)));
    })([tn([5, 7, 3, 3], 1), tn([3], 2), tn([3], 3)]),
  TOL);
});

test('the hot kernels of a conv/BN/dense training step run natively (no cpu fallback)', { skip }, async () => {
  const { startProfile, stopProfile } = await import('../../src/engine/native/index.js');
  const { initBackend } = await import('../../src/engine/backend.js');
  await initBackend('native');
  const x = t4([4, 8, 8, 3], 1);
  const w1 = tf.variable(t4([3, 3, 3, 8], 2));
  const b1 = tf.variable(tn([8], 3));
  const g = tf.variable(tf.ones([8]));
  const be = tf.variable(tf.zeros([8]));
  const w2 = tf.variable(tn([8 * 8 * 8, 10], 4));
  const y = tf.oneHot(tf.tensor1d([1, 2, 3, 4], 'int32'), 10);
  const opt = tf.train.sgd(0.1);
  startProfile();
  opt.minimize(() => {
    const h = tf.fused.conv2d({ x, filter: w1, bias: b1, pad: 'same', strides: 1 });
    const { mean, variance } = tf.moments(h, [0, 1, 2]);
    const r = tf.relu(tf.batchNorm(h, mean, variance, be, g, 1e-5));
    const logits = tf.fused.matMul({ a: tf.reshape(r, [4, -1]), b: w2 });
    return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
  });
  const rows = stopProfile();
  tf.dispose([x, w1, b1, g, be, w2, y]);
  const hot = ['FusedConv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', '_FusedMatMul', 'BatchMatMul', 'FusedBatchNorm',
    'WhittleBatchNormGrad', 'WhittleReluGrad', 'WhittleMeanGrad', 'Mean', 'Sum', 'Relu', 'Multiply', 'Add', 'Sub'];
  for (const k of hot) {
    const r = rows.find((row) => row.kernel === k);
    assert.ok(r, `${k} did not run (kernels: ${rows.map((row) => row.kernel).join(', ')})`);
    assert.equal(r.nativeCalls, r.calls, `${k}: ${r.calls - r.nativeCalls} of ${r.calls} calls fell back to cpu`);
  }
});

test('batchNormTraining (fused, native) matches the tfjs moments + batchNorm composition on cpu', { skip }, async () => {
  const { batchNormTraining } = await import('../../src/engine/native/batchnorm.js');
  // 16/32/64 channels run compile-time-width loops; the larger shapes split rows across threads (rows not
  // a multiple of the 32-row accumulation block).
  for (const s of [[8, 6, 5, 16], [5, 7, 3, 3], [64, 10], [7, 19, 23, 16], [5, 13, 17, 32], [3, 15, 17, 64], [3, 5, 7, 80]]) {
    const c = s[s.length - 1];
    await check(`batchNormTraining ${s}`, () => {
      const r = batchNormTraining(tn(s, 1), tf.add(tn([c], 2), 1.5), tn([c], 3), 1e-5);
      return [r.y, r.mean, r.variance];
    });
    await check(`batchNormTraining grads ${s}`, () =>
      tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(batchNormTraining(x, g, b, 1e-5).y, tn(s, 9))))(
        [tn(s, 1), tf.add(tn([c], 2), 1.5), tn([c], 3)],
      ),
    TOL);
  }
});

test('large same-shape Add (lazy on native) and ReLU gradients of gradient sums match cpu', { skip }, async () => {
  const s = [2, 130, 130, 2]; // 67600 elements: above the lazy-add threshold
  await check('lazy add', () => tf.add(tn(s, 1), tn(s, 2)));
  await check('lazy add chain', () => tf.add(tf.add(tn(s, 1), tn(s, 2)), tf.add(tn(s, 3), tn(s, 4))));
  // y feeds two products, so its gradient is a sum (a lazy Add) that Relu's gradient consumes fused.
  await check('relu grad of a gradient sum', () =>
    tf.grads((x: tf.Tensor) => {
      const y = tf.relu(x);
      return tf.add(tf.sum(tf.mul(y, tn(s, 5))), tf.sum(tf.mul(y, tn(s, 6))));
    })([tn(s, 7)]),
  );
  // Unread lazy sums are skipped and their operands released.
  await initBackendForTest();
  const before = tf.memory().numTensors;
  tf.tidy(() => { tf.add(tn(s, 1), tn(s, 2)); });
  assert.equal(tf.memory().numTensors, before);
});

test('Winograd conv backward: dx and dfilter from one native call (dx lazy, then dfilter) match cpu', { skip }, async () => {
  // The first gradient of a geometry runs eagerly; later ones make dx lazy and the filter kernel computes
  // both passes at once, sharing dy's reorder. Several steps, with dx read before and after dfilter.
  const xs = [3, 10, 10, 32];
  const fs = [3, 3, 32, 32];
  for (let i = 0; i < 3; i++) {
    await check(`conv grads, call ${i}`, () => {
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), tn([3, 10, 10, 32], 9 + i))));
      return g([t4(xs, 1 + i), t4(fs, 2 + i)]);
    });
  }
});

test('16-channel conv backward: dx and dfilter from one native call (direct kernel, image by image) match cpu', { skip }, async () => {
  // As above for Whittle's AVX-512 16-channel kernel: from the second gradient of a geometry on, the filter
  // kernel computes dx and dfilter in one pass over the images. Widths 1, 2, 19 and heights 1, 3 cover
  // the row edges of the three-tap weight-gradient loop.
  for (const [n, h, w] of [[3, 5, 19], [2, 1, 2], [2, 3, 1]]) {
    const xs = [n, h, w, 16];
    for (let i = 0; i < 3; i++) {
      await check(`16-channel conv grads ${xs}, call ${i}`, () => {
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), tn(xs, 19 + i))));
        return g([t4(xs, 11 + i), t4([3, 3, 16, 16], 12 + i)]);
      });
    }
  }
});

test('16-channel direct conv: the batch statistics it returns match the stats kernel on its output; a wrong-size stats array is an error', { skip }, async () => {
  const { loadAddon } = await import('../../src/engine/native/addon.js');
  const { addon } = loadAddon();
  const [n, h, w] = [3, 5, 19];
  // dims: n, h, w, c, kh, kw, o, oh, ow, sh, sw, pad top/left/bottom/right, dilation h/w
  const dims = Int32Array.from([n, h, w, 16, 3, 3, 16, h, w, 1, 1, 1, 1, 1, 1, 1, 1]);
  const x = randomArray(n * h * w * 16, 31).map((v) => v + 0.7); // a mean far from 0 exercises the shift
  const wt = randomArray(9 * 256, 32);
  const y = new Float32Array(x.length);
  const stats = new Float32Array(32);
  const r = addon.conv2d(x, wt, null, y, dims, false, null, false, null, stats);
  assert.ok(r === 0 || r === 2, `conv2d returned ${r}`);
  if (r === 2) { // only where the CPU has AVX-512 (else oneDNN ran and nothing was summed)
    const mean = new Float32Array(16), variance = new Float32Array(16);
    addon.bnStats(y, 16, mean, variance);
    assert.ok(relError(stats.subarray(0, 16), mean) < 1e-5, `mean ${relError(stats.subarray(0, 16), mean)}`);
    assert.ok(relError(stats.subarray(16), variance) < 1e-5, `variance ${relError(stats.subarray(16), variance)}`);
  }
  assert.throws(() => addon.conv2d(x, wt, null, y, dims, false, null, false, null, new Float32Array(31)), /stats must hold 2 x outChannels/);
});

async function initBackendForTest(): Promise<void> {
  const { initBackend } = await import('../../src/engine/backend.js');
  await initBackend('native');
}

test('tf.train.sgd steps (one fused WhittleSgdUpdate kernel on native) match cpu', { skip }, async () => {
  await check('sgd', () => {
    const vars = [tf.variable(tn([300, 7], 1)), tf.variable(tn([5], 2)), tf.variable(tn([70000], 3))];
    const opt = tf.train.sgd(0.05);
    for (let s = 0; s < 3; s++) {
      opt.minimize(() => tf.add(tf.add(tf.sum(tf.square(vars[0])), tf.sum(tf.mul(vars[1], tn([5], 4)))), tf.sum(tf.relu(vars[2]))) as tf.Scalar);
    }
    const out = vars.map((v) => tf.clone(v));
    opt.dispose();
    tf.dispose(vars);
    return out;
  }, 0);
});

test('blocked-layout (nChw16c) kernels: layout round trip and batch norm match the NHWC kernels', { skip }, async () => {
  const { loadAddon } = await import('../../src/engine/native/addon.js');
  const { addon } = loadAddon();
  // [n, hw, c]: single-threaded and multi-threaded sizes, hw not a multiple of the 32-pixel block.
  for (const [n, hw, c] of [[2, 9, 16], [3, 70, 32], [5, 81, 48], [4, 64, 64]]) {
    const N = n * hw * c;
    const x = randomArray(N, 1).map((v) => v * 2 + 0.3);
    const dy = randomArray(N, 2);
    const res = randomArray(N, 3);
    const gamma = randomArray(c, 4).map((v) => v + 1.5);
    const beta = randomArray(c, 5);
    const toB = (a: Float32Array): Float32Array => { const o = new Float32Array(N); addon.toBlocked16(a, n, hw, c, o); return o; };
    const fromB = (a: Float32Array): Float32Array => { const o = new Float32Array(N); addon.fromBlocked16(a, n, hw, c, o); return o; };
    const xb = toB(x);
    assert.deepEqual(fromB(xb), x, 'toBlocked16 then fromBlocked16 is the identity');
    // Element (image i, pixel p, channel j) sits at ((i * c/16 + j/16) * hw + p) * 16 + j % 16.
    const [i, p, j] = [n - 1, hw - 2, c - 3];
    assert.equal(xb[((i * (c / 16) + Math.floor(j / 16)) * hw + p) * 16 + (j % 16)], x[(i * hw + p) * c + j]);
    const m1 = new Float32Array(c), v1 = new Float32Array(c), m2 = new Float32Array(c), v2 = new Float32Array(c);
    addon.bnStats(x, c, m1, v1);
    addon.bnStatsB16(xb, n, hw, c, m2, v2);
    assert.ok(relError(m2, m1) < 1e-6 && relError(v2, v1) < 1e-6, `stats ${[n, hw, c]}: ${relError(m2, m1)} ${relError(v2, v1)}`);
    for (const relu of [false, true]) {
      for (const r of [null, res]) {
        const y1 = new Float32Array(N), y2 = new Float32Array(N);
        addon.bnApply(x, m1, v1, gamma, beta, 1e-5, c, r, relu, y1);
        addon.bnApplyB16(xb, n, hw, c, m1, v1, gamma, beta, 1e-5, r ? toB(r) : null, relu, y2);
        assert.deepEqual(fromB(y2), y1, `apply ${[n, hw, c]} relu ${relu} residual ${!!r}`);
      }
      const d1 = new Float32Array(N), d2 = new Float32Array(N);
      const g1 = new Float32Array(c), g2 = new Float32Array(c), b1 = new Float32Array(c), b2 = new Float32Array(c);
      addon.bnApplyBackward(x, dy, m1, v1, gamma, beta, 1e-5, c, relu, d1, g1, b1);
      addon.bnApplyBwdB16(xb, toB(dy), n, hw, c, m1, v1, gamma, beta, 1e-5, relu, d2, g2, b2);
      const e = [relError(fromB(d2), d1), relError(g2, g1), relError(b2, b1)];
      assert.ok(e.every((v) => v < 1e-5), `apply backward ${[n, hw, c]} relu ${relu}: rel errors ${e}`);
    }
  }
  assert.throws(() => addon.bnStatsB16(new Float32Array(10), 1, 10, 1, new Float32Array(1), new Float32Array(1)), /bad sizes/);
});

test('inference convs keep the weights in oneDNN layout per weight tensor: reused while it lives, never stale, freed with it', { skip }, async () => {
  const { initBackend } = await import('../../src/engine/backend.js');
  const shape: [number, number, number, number] = [2, 9, 9, 24];
  const conv = (x: tf.Tensor4D, f: tf.Tensor4D, b: tf.Tensor): tf.Tensor =>
    tf.fused.conv2d({ x, filter: f, strides: 2, pad: 'same', bias: b, activation: 'relu' });
  const runs = async (name: 'cpu' | 'native'): Promise<Float32Array[]> => {
    await initBackend(name);
    const [f1, f2, b] = [t4([3, 3, 24, 40], 21), t4([3, 3, 24, 40], 22), tn([40], 23)];
    const outs = [[1, f1], [2, f1], [3, f2], [4, f1]].map(([seed, f]) => tf.tidy(() => Float32Array.from(conv(t4(shape, seed as number), f as tf.Tensor4D, b).dataSync())));
    if (name === 'native') {
      const be = tf.backend() as unknown as { preparedCount(): number };
      const held = be.preparedCount();
      assert.ok(held >= 2, `one prepared copy per weight tensor, got ${held}`);
      f1.dispose();
      f2.dispose();
      assert.equal(be.preparedCount(), held - 2, 'copies are freed with their weights');
    } else tf.dispose([f1, f2]);
    b.dispose();
    return outs;
  };
  const ref = await runs('cpu');
  const got = await runs('native');
  ref.forEach((r, i) => assert.ok(relError(got[i], r) < TOL, `call ${i}: rel err ${relError(got[i], r)}`));
});
