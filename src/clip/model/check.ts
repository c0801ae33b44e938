/**
 * Load-time check that a CLIP state dict is exactly what openai/CLIP's `build_model` + strict
 * `load_state_dict` would accept for the inferred architecture: every key present with its shape, no
 * foreign key, float weights, head counts that divide the widths. Runs before any tensor is created, so a
 * broken or hostile file fails here with a ShapeError naming the key, never later inside inference.
 */
import { ShapeError } from '../../core/errors.js';
import type { ClipConfig } from './config.js';
import { clipStateDictShapes } from './shapes.js';
import type { StateDict } from './weights.js';

const posInt = (v: number) => Number.isSafeInteger(v) && v > 0;

export function checkClipStateDict(sd: StateDict, c: ClipConfig): void {
  const layers = typeof c.visionLayers === 'number' ? [c.visionLayers] : c.visionLayers;
  const sizes: [string, number][] = [
    ['embed_dim', c.embedDim], ['image_resolution', c.imageResolution], ['vision_width', c.visionWidth], ['vision_heads', c.visionHeads],
    ['context_length', c.contextLength], ['vocab_size', c.vocabSize], ['transformer_width', c.transformerWidth],
    ['transformer_heads', c.transformerHeads], ['transformer_layers', c.transformerLayers], ['vision_patch_size', c.visionPatchSize ?? 1],
    ...layers.map((l, i): [string, number] => [`vision_layers[${i}]`, l]),
  ];
  for (const [name, v] of sizes) if (!posInt(v)) throw new ShapeError(`CLIP state dict: inferred ${name} = ${v} is not a positive integer (not a CLIP checkpoint?)`);
  if (c.visionWidth % c.visionHeads || c.transformerWidth % c.transformerHeads) {
    throw new ShapeError(`CLIP state dict: widths ${c.visionWidth}/${c.transformerWidth} are not divisible by their ${c.visionHeads}/${c.transformerHeads} heads`);
  }
  const expected = clipStateDictShapes(c);
  for (const [key, shape] of expected) {
    const t = sd.get(key);
    if (!t) throw new ShapeError(`CLIP state dict has no "${key}" (expected shape [${shape}])`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ShapeError(`CLIP state dict: "${key}" has shape [${t.shape}], the architecture needs [${shape}]`);
    }
    if (t.data.length !== shape.reduce((a, b) => a * b, 1)) throw new ShapeError(`CLIP state dict: "${key}" holds ${t.data.length} values for shape [${shape}]`);
    if (!key.endsWith('num_batches_tracked') && !(t.data instanceof Float32Array)) {
      throw new ShapeError(`CLIP state dict: "${key}" is an integer tensor, the architecture needs floating point`);
    }
  }
  for (const key of sd.keys()) if (!expected.has(key)) throw new ShapeError(`CLIP state dict has an unexpected key "${key.slice(0, 200)}"`);
}
