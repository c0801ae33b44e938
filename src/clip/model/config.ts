/** Architecture inferred from state-dict shapes exactly as openai/CLIP's `build_model` does (methods.md §7.2). */
import { ShapeError } from '../../core/errors.js';
import type { StateDict } from './weights.js';

export interface ClipConfig {
  embedDim: number;
  imageResolution: number;
  /** ViT: number of layers; ModifiedResNet: blocks per stage. */
  visionLayers: number | [number, number, number, number];
  visionWidth: number;
  visionPatchSize: number | null;
  visionHeads: number;
  contextLength: number;
  vocabSize: number;
  transformerWidth: number;
  transformerHeads: number;
  transformerLayers: number;
}

function shape(sd: StateDict, key: string): number[] {
  const t = sd.get(key);
  if (!t) throw new ShapeError(`CLIP state dict has no "${key}" (not a CLIP checkpoint?)`);
  return t.shape;
}

function distinct(sd: StateDict, prefix: string, part: number): number {
  const s = new Set<string>();
  for (const k of sd.keys()) if (k.startsWith(prefix)) s.add(k.split('.')[part]);
  return s.size;
}

export function inferConfig(sd: StateDict): ClipConfig {
  const vit = sd.has('visual.proj');
  let visionLayers: ClipConfig['visionLayers'];
  let visionWidth: number;
  let visionPatchSize: number | null = null;
  let imageResolution: number;
  if (vit) {
    const conv = shape(sd, 'visual.conv1.weight');
    visionWidth = conv[0];
    visionLayers = [...sd.keys()].filter((k) => k.startsWith('visual.') && k.endsWith('.attn.in_proj_weight')).length;
    visionPatchSize = conv[conv.length - 1];
    const grid = Math.round(Math.sqrt(shape(sd, 'visual.positional_embedding')[0] - 1));
    imageResolution = visionPatchSize * grid;
  } else {
    visionLayers = [1, 2, 3, 4].map((b) => distinct(sd, `visual.layer${b}.`, 2)) as [number, number, number, number];
    visionWidth = shape(sd, 'visual.layer1.0.conv1.weight')[0];
    const out = Math.round(Math.sqrt(shape(sd, 'visual.attnpool.positional_embedding')[0] - 1));
    imageResolution = out * 32;
  }
  const transformerWidth = shape(sd, 'ln_final.weight')[0];
  return {
    embedDim: shape(sd, 'text_projection')[1],
    imageResolution,
    visionLayers,
    visionWidth,
    visionPatchSize,
    visionHeads: vit ? Math.floor(visionWidth / 64) : Math.floor((visionWidth * 32) / 64),
    contextLength: shape(sd, 'positional_embedding')[0],
    vocabSize: shape(sd, 'token_embedding.weight')[0],
    transformerWidth,
    transformerHeads: Math.floor(transformerWidth / 64),
    transformerLayers: distinct(sd, 'transformer.resblocks', 2),
  };
}
