/**
 * Hugging Face `transformers` CLIPModel key names (openai/clip-vit-* model.safetensors) → openai/CLIP names,
 * in one table. q/k/v projections are concatenated into the packed in_proj; the two projections are transposed
 * (HF stores Linear [embed, width], openai a parameter [width, embed]).
 */
import { ShapeError } from '../core/errors.js';
import type { RawTensor, StateDict } from './model/weights.js';

/** [HF pattern, openai replacement]; "$L" is the layer number. Entries mapped to '' are dropped. */
export const HF_KEY_TABLE: Array<[RegExp, string]> = [
  [/^text_model\.embeddings\.token_embedding\.weight$/, 'token_embedding.weight'],
  [/^text_model\.embeddings\.position_embedding\.weight$/, 'positional_embedding'],
  [/^text_model\.final_layer_norm\.(weight|bias)$/, 'ln_final.$1'],
  [/^text_model\.encoder\.layers\.(\d+)\./, 'transformer.resblocks.$1.'],
  [/^text_projection\.weight$/, 'text_projection'],
  [/^logit_scale$/, 'logit_scale'],
  [/^vision_model\.embeddings\.class_embedding$/, 'visual.class_embedding'],
  [/^vision_model\.embeddings\.patch_embedding\.weight$/, 'visual.conv1.weight'],
  [/^vision_model\.embeddings\.position_embedding\.weight$/, 'visual.positional_embedding'],
  [/^vision_model\.pre_layrnorm\.(weight|bias)$/, 'visual.ln_pre.$1'],
  [/^vision_model\.post_layernorm\.(weight|bias)$/, 'visual.ln_post.$1'],
  [/^vision_model\.encoder\.layers\.(\d+)\./, 'visual.transformer.resblocks.$1.'],
  [/^visual_projection\.weight$/, 'visual.proj'],
  [/\.position_ids$/, ''],
];
/** Inside a resblock. */
const BLOCK_TABLE: Array<[RegExp, string]> = [
  [/self_attn\.out_proj\.(weight|bias)$/, 'attn.out_proj.$1'],
  [/layer_norm1\.(weight|bias)$/, 'ln_1.$1'],
  [/layer_norm2\.(weight|bias)$/, 'ln_2.$1'],
  [/mlp\.fc1\.(weight|bias)$/, 'mlp.c_fc.$1'],
  [/mlp\.fc2\.(weight|bias)$/, 'mlp.c_proj.$1'],
];

export function isHfClip(keys: Iterable<string>): boolean {
  for (const k of keys) if (k.startsWith('text_model.') || k.startsWith('vision_model.')) return true;
  return false;
}

function transpose2d(t: RawTensor): RawTensor {
  const [r, c] = t.shape;
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j];
  return { shape: [c, r], data: out };
}

function concat0(parts: RawTensor[]): RawTensor {
  const n = parts.reduce((a, p) => a + p.data.length, 0);
  const out = new Float32Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p.data, off);
    off += p.data.length;
  }
  return { shape: [parts.reduce((a, p) => a + p.shape[0], 0), ...parts[0].shape.slice(1)], data: out };
}

export function hfToOpenai(hf: StateDict): StateDict {
  const out: StateDict = new Map();
  const qkv = new Map<string, Partial<Record<'q' | 'k' | 'v', RawTensor>>>();
  for (const [key, t] of hf) {
    const rule = HF_KEY_TABLE.find(([re]) => re.test(key));
    if (!rule) throw new ShapeError(`Hugging Face CLIP key "${key}" has no openai/CLIP equivalent`);
    if (rule[1] === '') continue;
    let name = key.replace(rule[0], rule[1]);
    const m = /^(.*resblocks\.\d+\.)(.*)$/.exec(name);
    if (m) {
      const proj = /^self_attn\.([qkv])_proj\.(weight|bias)$/.exec(m[2]);
      if (proj) {
        const id = `${m[1]}attn.in_proj_${proj[2]}`;
        qkv.set(id, { ...qkv.get(id), [proj[1]]: t });
        continue;
      }
      const b = BLOCK_TABLE.find(([re]) => re.test(m[2]));
      if (!b) throw new ShapeError(`Hugging Face CLIP key "${key}" has no openai/CLIP equivalent`);
      name = m[1] + m[2].replace(b[0], b[1]);
    }
    out.set(name, name === 'text_projection' || name === 'visual.proj' ? transpose2d(t) : t);
  }
  for (const [id, p] of qkv) {
    if (!p.q || !p.k || !p.v) throw new ShapeError(`Hugging Face CLIP: incomplete q/k/v projections for ${id}`);
    out.set(id, concat0([p.q, p.k, p.v]));
  }
  return out;
}
