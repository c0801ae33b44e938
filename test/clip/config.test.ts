import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inferConfig } from '../../src/clip/model/config.js';
import { OFFICIAL_CONFIGS, clipStateDictShapes } from '../../src/clip/model/shapes.js';
import { CLIP_MEAN, CLIP_STD } from '../../src/clip/preprocess/index.js';
import type { StateDict } from '../../src/clip/model/weights.js';

test('inferConfig recovers all nine official architectures from state-dict shapes (build_model rules)', () => {
  const heads: Record<string, [number, number]> = {
    RN50: [32, 8], RN101: [32, 8], RN50x4: [40, 10], RN50x16: [48, 12], RN50x64: [64, 16],
    'ViT-B/32': [12, 8], 'ViT-B/16': [12, 8], 'ViT-L/14': [16, 12], 'ViT-L/14@336px': [16, 12],
  };
  for (const [name, cfg] of Object.entries(OFFICIAL_CONFIGS)) {
    const sd: StateDict = new Map();
    for (const [k, shape] of clipStateDictShapes(cfg)) sd.set(k, { shape, data: new Float32Array(0) });
    sd.set('input_resolution', { shape: [], data: new Int32Array(1) }); // JIT extras are ignored by the model
    const got = inferConfig(sd);
    assert.deepEqual({ ...got, visionHeads: undefined, transformerHeads: undefined }, { ...cfg, visionHeads: undefined, transformerHeads: undefined }, name);
    assert.deepEqual([got.visionHeads, got.transformerHeads], heads[name], name);
  }
});

test('CLIP normalisation constants (methods.md §7.3)', () => {
  assert.deepEqual([...CLIP_MEAN], [0.48145466, 0.4578275, 0.40821073]);
  assert.deepEqual([...CLIP_STD], [0.26862954, 0.26130258, 0.27577711]);
});
