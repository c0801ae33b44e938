import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { readTorchFile } from '../../src/io/torch-pt.js';
import { ClipModel } from '../../src/clip/model/clip.js';
import { SHARED, readJson, maxAbsDiff, tokenRows, captureItem0, type GoldenTensor } from './helpers.js';

const g = readJson<Record<string, GoldenTensor> & { clip_constructor_args: Record<string, number>; intermediates_image0_text0: Record<string, GoldenTensor>; logit_scale_exp: number }>(
  join(SHARED, 'tiny_vit', 'golden.json'),
);

test('ViT CLIP: config inferred from shapes, features/logits/probs match the official outputs within 1e-4', async () => {
  await initBackend('cpu');
  const before = tf.memory().numTensors;
  const f = readTorchFile(new Uint8Array(readFileSync(join(SHARED, 'tiny_vit', 'tiny_clip_vit_state_dict.pt'))));
  const m = new ClipModel(f.tensors);
  const a = g.clip_constructor_args;
  assert.deepEqual(
    [m.config.embedDim, m.config.imageResolution, m.config.visionLayers, m.config.visionWidth, m.config.visionPatchSize, m.config.contextLength, m.config.vocabSize, m.config.transformerWidth, m.config.transformerHeads, m.config.transformerLayers],
    [a.embed_dim, a.image_resolution, a.vision_layers, a.vision_width, a.vision_patch_size, a.context_length, a.vocab_size, a.transformer_width, a.transformer_heads, a.transformer_layers],
  );
  assert.ok(Math.abs(m.logitScale - g.logit_scale_exp) < 1e-5);
  const images = Float32Array.from(g.preprocessed_images.data);
  const texts = tokenRows(g.tokens);
  const img = m.encodeImage(images);
  const txt = m.encodeText(texts);
  const out = m.forward(images, texts);
  const probs = tf.softmax(out.logitsPerImage);
  const checks: Array<[string, tf.Tensor, GoldenTensor]> = [
    ['image_features', img, g.image_features], ['text_features', txt, g.text_features],
    ['logits_per_image', out.logitsPerImage, g.logits_per_image], ['logits_per_text', out.logitsPerText, g.logits_per_text],
    ['probs', probs, g.probs],
  ];
  for (const [name, t, ref] of checks) {
    assert.deepEqual(t.shape, ref.shape, name);
    const d = maxAbsDiff(t.dataSync(), ref.data);
    assert.ok(d <= 1e-4, `${name}: max |diff| ${d}`);
  }
  tf.dispose([img, txt, out.logitsPerImage, out.logitsPerText, probs]);
  m.dispose();
  assert.equal(tf.memory().numTensors, before, 'no tensors leak');
});

test('ViT CLIP: per-layer intermediates (image 0, text 0) match within 1e-4', async () => {
  await initBackend('cpu');
  const f = readTorchFile(new Uint8Array(readFileSync(join(SHARED, 'tiny_vit', 'tiny_clip_vit_state_dict.pt'))));
  const m = new ClipModel(f.tensors);
  const { capture, got } = captureItem0();
  const images = Float32Array.from(g.preprocessed_images.data.slice(0, 3 * 32 * 32));
  tf.dispose([m.encodeImage(images, capture), m.encodeText(tokenRows(g.tokens).slice(0, 1), capture)]);
  for (const [name, ref] of Object.entries(g.intermediates_image0_text0)) {
    const mine = got.get(name);
    assert.ok(mine, `no intermediate ${name}`);
    const d = maxAbsDiff(mine, ref.data);
    assert.ok(d <= 1e-4, `${name}: max |diff| ${d}`);
  }
  m.dispose();
});

test('text tower: running only up to the last EOT (default) equals the full 77-position pass', async () => {
  await initBackend('cpu');
  const m = new ClipModel(readTorchFile(new Uint8Array(readFileSync(join(SHARED, 'tiny_vit', 'tiny_clip_vit_state_dict.pt')))).tensors);
  const texts = tokenRows(g.tokens);
  const short = m.encodeText(texts);
  const full = m.encodeText(texts, () => undefined); // a capture forces all positions
  const d = maxAbsDiff(short.dataSync(), Array.from(full.dataSync()));
  assert.ok(d <= 1e-6, `max |diff| ${d}`);
  tf.dispose([short, full]);
  m.dispose();
});
