import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { ClipModel } from '../../src/clip/model/clip.js';
import { readClipWeights } from '../../src/clip/load.js';
import { FIX, readJson, maxAbsDiff, tokenRows, captureItem0, type GoldenTensor } from './helpers.js';

interface RnGolden {
  clip_constructor_args: Record<string, number | number[]>;
  vision_heads: number;
  images: GoldenTensor; tokens: GoldenTensor; image_features: GoldenTensor; text_features: GoldenTensor;
  logits_per_image: GoldenTensor; logits_per_text: GoldenTensor; intermediates: Record<string, GoldenTensor>;
}
const g = readJson<RnGolden>(join(FIX, 'rn', 'golden.json'));

for (const file of ['tiny_rn_state_dict.pt', 'tiny_rn_jit.pt']) {
  test(`ModifiedResNet CLIP (${file}): config, features, logits and per-stage intermediates within 1e-4`, async () => {
    await initBackend('cpu');
    const before = tf.memory().numTensors;
    const { stateDict, format } = readClipWeights(join(FIX, 'rn', file));
    assert.equal(format, file.includes('jit') ? 'torchscript' : 'state_dict');
    const m = new ClipModel(stateDict);
    const a = g.clip_constructor_args;
    assert.deepEqual(m.config.visionLayers, a.vision_layers);
    assert.equal(m.config.visionWidth, a.vision_width);
    assert.equal(m.config.visionHeads, g.vision_heads);
    assert.equal(m.config.imageResolution, a.image_resolution);
    assert.equal(m.config.embedDim, a.embed_dim);
    assert.equal(m.config.vocabSize, a.vocab_size);
    assert.equal(m.isVit, false);
    const images = Float32Array.from(g.images.data);
    const texts = tokenRows(g.tokens);
    const { capture, got } = captureItem0();
    const img = m.encodeImage(images, capture);
    const txt = m.encodeText(texts, capture);
    const out = m.logits(img, txt);
    const checks: Array<[string, tf.Tensor, GoldenTensor]> = [
      ['image_features', img, g.image_features], ['text_features', txt, g.text_features],
      ['logits_per_image', out.logitsPerImage, g.logits_per_image], ['logits_per_text', out.logitsPerText, g.logits_per_text],
    ];
    for (const [name, t, ref] of checks) {
      assert.deepEqual(t.shape, ref.shape, name);
      const d = maxAbsDiff(t.dataSync(), ref.data);
      assert.ok(d <= 1e-4, `${name}: max |diff| ${d}`);
    }
    for (const [name, ref] of Object.entries(g.intermediates)) {
      const mine = got.get(name);
      assert.ok(mine, `no intermediate ${name}`);
      const d = maxAbsDiff(mine.subarray(0, ref.data.length), ref.data);
      assert.ok(d <= 1e-4, `${name}: max |diff| ${d}`);
    }
    tf.dispose([img, txt, out.logitsPerImage, out.logitsPerText]);
    m.dispose();
    assert.equal(tf.memory().numTensors, before, 'no tensors leak');
  });
}

test('ModifiedResNet CLIP: wrong image size and out-of-vocabulary ids give clear errors', async () => {
  await initBackend('cpu');
  const m = new ClipModel(readClipWeights(join(FIX, 'rn', 'tiny_rn_state_dict.pt')).stateDict);
  assert.throws(() => m.encodeImage(new Float32Array(3 * 16 * 16)), /multiple of 3·32·32/);
  assert.throws(() => m.encodeText([new Int32Array(77).fill(100)]), /outside the vocabulary of 100/);
  assert.throws(() => m.encodeText([new Int32Array(10)]), /context length is 77/);
  m.dispose();
});
