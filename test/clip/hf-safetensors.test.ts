import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { readTorchFile } from '../../src/io/torch-pt.js';
import { writeSafetensors, float32ToHalf, type TensorInput } from '../../src/io/safetensors.js';
import { load } from '../../src/clip/load.js';
import { SHARED, readJson, maxAbsDiff, tokenRows, type GoldenTensor } from './helpers.js';

/** openai name → Hugging Face CLIPModel name (the inverse of src/clip/hf.ts, written independently here). */
function toHf(key: string): string {
  const block = (rest: string) => rest
    .replace('attn.out_proj', 'self_attn.out_proj').replace('ln_1', 'layer_norm1').replace('ln_2', 'layer_norm2')
    .replace('mlp.c_fc', 'mlp.fc1').replace('mlp.c_proj', 'mlp.fc2');
  let m = /^visual\.transformer\.resblocks\.(\d+)\.(.*)$/.exec(key);
  if (m) return `vision_model.encoder.layers.${m[1]}.${block(m[2])}`;
  m = /^transformer\.resblocks\.(\d+)\.(.*)$/.exec(key);
  if (m) return `text_model.encoder.layers.${m[1]}.${block(m[2])}`;
  const fixed: Record<string, string> = {
    token_embedding: 'text_model.embeddings.token_embedding', positional_embedding: 'text_model.embeddings.position_embedding.weight',
    ln_final: 'text_model.final_layer_norm', text_projection: 'text_projection.weight', logit_scale: 'logit_scale',
    'visual.class_embedding': 'vision_model.embeddings.class_embedding', 'visual.conv1': 'vision_model.embeddings.patch_embedding',
    'visual.positional_embedding': 'vision_model.embeddings.position_embedding.weight', 'visual.ln_pre': 'vision_model.pre_layrnorm',
    'visual.ln_post': 'vision_model.post_layernorm', 'visual.proj': 'visual_projection.weight',
  };
  for (const [k, v] of Object.entries(fixed)) {
    if (key === k) return v;
    if (key.startsWith(`${k}.`)) return v + key.slice(k.length);
  }
  throw new Error(`unmapped ${key}`);
}

test('HF model.safetensors (CLIPModel key names, fp16) loads and matches the official outputs', async () => {
  await initBackend('cpu');
  const sd = readTorchFile(new Uint8Array(readFileSync(join(SHARED, 'tiny_vit', 'tiny_clip_vit_state_dict.pt')))).tensors;
  const out = new Map<string, TensorInput>();
  const put = (name: string, shape: number[], data: Float32Array) => out.set(name, { dtype: 'F16', shape, data: float32ToHalf(data) });
  for (const [k, t] of sd) {
    const data = t.data as Float32Array;
    if (k.endsWith('attn.in_proj_weight') || k.endsWith('attn.in_proj_bias')) {
      const w = t.shape[0] / 3;
      const per = data.length / 3;
      const base = toHf(k.replace(/attn\.in_proj_(weight|bias)$/, 'ln_1.weight')).replace(/layer_norm1\.weight$/, '');
      const kind = k.endsWith('weight') ? 'weight' : 'bias';
      ['q', 'k', 'v'].forEach((p, i) => put(`${base}self_attn.${p}_proj.${kind}`, [w, ...t.shape.slice(1)], data.slice(i * per, (i + 1) * per)));
    } else if (k === 'text_projection' || k === 'visual.proj') {
      const [r, c] = t.shape;
      const tr = new Float32Array(r * c);
      for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) tr[j * r + i] = data[i * c + j];
      put(toHf(k), [c, r], tr);
    } else put(toHf(k), t.shape, data);
  }
  out.set('text_model.embeddings.position_ids', { dtype: 'I64', shape: [1, 77], data: new BigInt64Array(77) });
  const dir = mkdtempSync(join(tmpdir(), 'whittle-hf-'));
  try {
    const path = join(dir, 'model.safetensors');
    writeFileSync(path, writeSafetensors(out));
    const clip = await load(path);
    assert.equal(clip.format, 'safetensors');
    const g = readJson<Record<string, GoldenTensor>>(join(SHARED, 'tiny_vit', 'golden.json'));
    const o = clip.model.forward(Float32Array.from(g.preprocessed_images.data), tokenRows(g.tokens));
    const d = maxAbsDiff(o.logitsPerImage.dataSync(), g.logits_per_image.data);
    assert.ok(d <= 1e-4, `logits max |diff| ${d}`);
    tf.dispose([o.logitsPerImage, o.logitsPerText]);
    clip.model.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
