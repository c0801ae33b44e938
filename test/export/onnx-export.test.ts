/**
 * `whittle export --format onnx`: every zoo model and ResNet-20 after every technique, run by
 * onnxruntime-node, equal Whittle's outputs within 1e-4 (relative to the largest logit). QAT models carry
 * their kernels as uint8 codes + DequantizeLinear with the learned scales: exact with onnxruntime's graph
 * optimisations off; with them on, onnxruntime turns the dense layer into an 8-bit MatMulNBits that also
 * quantises its input, hence a looser bound there.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { tf, tfl } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { WhittleError } from '../../src/core/errors.js';
import { toOnnx } from '../../src/export/onnx/index.js';
import { randomArray, relError } from '../helpers/backends.js';
import { TECHNIQUE_VARIANTS, ZOO_VARIANTS, type Variant } from './variants.js';

before(async () => {
  await initBackend('wasm');
});

async function compare(v: Variant, optimized = true): Promise<{ err: number; bytes: Uint8Array; quantizedKernels: string[] }> {
  const model = await v.build();
  const shape = [2, ...v.inputShape];
  const x = randomArray(shape.reduce((a, b) => a * b, 1), 11);
  const want = tf.tidy(() => (model.predict(tf.tensor(x, shape)) as tf.Tensor).dataSync() as Float32Array);
  const r = await toOnnx(model);
  model.dispose();
  const session = await ort.InferenceSession.create(r.bytes, optimized ? {} : { graphOptimizationLevel: 'disabled' });
  const out = await session.run({ input: new ort.Tensor('float32', x, shape) });
  await session.release();
  return { err: relError(out.output.data as Float32Array, want), bytes: r.bytes, quantizedKernels: r.quantizedKernels };
}

for (const v of [...ZOO_VARIANTS, ...TECHNIQUE_VARIANTS]) {
  const qat = v.name.includes('qat');
  test(`${v.name}: onnxruntime-node runs the ONNX export with Whittle's outputs (< 1e-4${qat ? ', optimisations off' : ''})`, async () => {
    const r = await compare(v, !qat);
    assert.ok(r.err < 1e-4, `max |Δ| / max |y| = ${r.err}`);
    const m = onnxProto.onnx.ModelProto.decode(r.bytes);
    assert.ok(Number(m.opsetImport[0].version) >= 13);
    const ops = new Set(m.graph!.node!.map((n) => n.opType));
    if (qat) {
      assert.equal(r.quantizedKernels.length, 20);
      assert.ok(ops.has('DequantizeLinear'));
      const codes = m.graph!.initializer!.filter((t) => t.name!.endsWith('/kernel_codes'));
      assert.equal(codes.length, 20);
      assert.ok(codes.every((t) => t.dataType === onnxProto.onnx.TensorProto.DataType.UINT8));
    }
  });
}

test('QAT export with onnxruntime\'s default optimisations (int8 MatMulNBits for the dense layer) stays close', async () => {
  const r = await compare(TECHNIQUE_VARIANTS.find((v) => v.name === 'resnet20+qat8')!, true);
  assert.ok(r.err < 2e-2, `${r.err}`);
});

test('a layer without an ONNX mapping is named in the error', async () => {
  const inp = tfl.input({ shape: [4, 4, 2] });
  const y = tfl.layers.upSampling2d({ size: [2, 2], name: 'up' }).apply(inp) as tfl.SymbolicTensor;
  const m = tfl.model({ inputs: inp, outputs: tfl.layers.flatten({ name: 'flat' }).apply(y) as tfl.SymbolicTensor });
  await assert.rejects(toOnnx(m), (e: Error) => e instanceof WhittleError && /layer "up" \(UpSampling2D\) has no ONNX converter/.test(e.message));
});
