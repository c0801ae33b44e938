/**
 * The official CLIP configurations (methods.md §7.1) and the state-dict key → shape layout that openai/CLIP's
 * `CLIP(...)` creates for a config. Used to build random-weight models (benchmarks) and to check that
 * `inferConfig` recovers every official architecture from shapes alone.
 */
import type { ClipConfig } from './config.js';
import type { StateDict } from './weights.js';

type Cfg = Omit<ClipConfig, 'visionHeads' | 'transformerHeads'>;
const text = (w: number) => ({ contextLength: 77, vocabSize: 49408, transformerWidth: w, transformerLayers: 12 });
const rn = (embed: number, res: number, layers: [number, number, number, number], width: number, tw: number): Cfg =>
  ({ embedDim: embed, imageResolution: res, visionLayers: layers, visionWidth: width, visionPatchSize: null, ...text(tw) });
const vit = (embed: number, res: number, layers: number, width: number, patch: number, tw: number): Cfg =>
  ({ embedDim: embed, imageResolution: res, visionLayers: layers, visionWidth: width, visionPatchSize: patch, ...text(tw) });

export const OFFICIAL_CONFIGS: Record<string, Cfg> = {
  RN50: rn(1024, 224, [3, 4, 6, 3], 64, 512),
  RN101: rn(512, 224, [3, 4, 23, 3], 64, 512),
  RN50x4: rn(640, 288, [4, 6, 10, 6], 80, 640),
  RN50x16: rn(768, 384, [6, 8, 18, 8], 96, 768),
  RN50x64: rn(1024, 448, [3, 15, 36, 10], 128, 1024),
  'ViT-B/32': vit(512, 224, 12, 768, 32, 512),
  'ViT-B/16': vit(512, 224, 12, 768, 16, 512),
  'ViT-L/14': vit(768, 224, 24, 1024, 14, 768),
  'ViT-L/14@336px': vit(768, 336, 24, 1024, 14, 768),
};

function block(out: Map<string, number[]>, p: string, w: number): void {
  const add = (k: string, s: number[]) => out.set(`${p}.${k}`, s);
  add('attn.in_proj_weight', [3 * w, w]);
  add('attn.in_proj_bias', [3 * w]);
  add('attn.out_proj.weight', [w, w]);
  add('attn.out_proj.bias', [w]);
  for (const ln of ['ln_1', 'ln_2']) for (const k of ['weight', 'bias']) add(`${ln}.${k}`, [w]);
  add('mlp.c_fc.weight', [4 * w, w]);
  add('mlp.c_fc.bias', [4 * w]);
  add('mlp.c_proj.weight', [w, 4 * w]);
  add('mlp.c_proj.bias', [w]);
}

function bn(out: Map<string, number[]>, p: string, c: number): void {
  for (const k of ['weight', 'bias', 'running_mean', 'running_var']) out.set(`${p}.${k}`, [c]);
  out.set(`${p}.num_batches_tracked`, []);
}

/** Key → shape, in openai/CLIP's naming, for a config. */
export function clipStateDictShapes(c: Cfg): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const tw = c.transformerWidth;
  out.set('positional_embedding', [c.contextLength, tw]);
  out.set('text_projection', [tw, c.embedDim]);
  out.set('logit_scale', []);
  if (typeof c.visionLayers === 'number') {
    const w = c.visionWidth;
    const p = c.visionPatchSize!;
    out.set('visual.class_embedding', [w]);
    out.set('visual.positional_embedding', [(c.imageResolution / p) ** 2 + 1, w]);
    out.set('visual.proj', [w, c.embedDim]);
    out.set('visual.conv1.weight', [w, 3, p, p]);
    for (const ln of ['ln_pre', 'ln_post']) for (const k of ['weight', 'bias']) out.set(`visual.${ln}.${k}`, [w]);
    for (let i = 0; i < c.visionLayers; i++) block(out, `visual.transformer.resblocks.${i}`, w);
  } else {
    const w = c.visionWidth;
    out.set('visual.conv1.weight', [w / 2, 3, 3, 3]);
    bn(out, 'visual.bn1', w / 2);
    out.set('visual.conv2.weight', [w / 2, w / 2, 3, 3]);
    bn(out, 'visual.bn2', w / 2);
    out.set('visual.conv3.weight', [w, w / 2, 3, 3]);
    bn(out, 'visual.bn3', w);
    let inplanes = w;
    c.visionLayers.forEach((blocks, s) => {
      const planes = w * 2 ** s;
      for (let b = 0; b < blocks; b++) {
        const p = `visual.layer${s + 1}.${b}`;
        out.set(`${p}.conv1.weight`, [planes, inplanes, 1, 1]);
        bn(out, `${p}.bn1`, planes);
        out.set(`${p}.conv2.weight`, [planes, planes, 3, 3]);
        bn(out, `${p}.bn2`, planes);
        out.set(`${p}.conv3.weight`, [planes * 4, planes, 1, 1]);
        bn(out, `${p}.bn3`, planes * 4);
        if ((s > 0 && b === 0) || inplanes !== planes * 4) {
          out.set(`${p}.downsample.0.weight`, [planes * 4, inplanes, 1, 1]);
          bn(out, `${p}.downsample.1`, planes * 4);
        }
        inplanes = planes * 4;
      }
    });
    const e = w * 32;
    const ap = 'visual.attnpool';
    out.set(`${ap}.positional_embedding`, [(c.imageResolution / 32) ** 2 + 1, e]);
    for (const q of ['q_proj', 'k_proj', 'v_proj']) {
      out.set(`${ap}.${q}.weight`, [e, e]);
      out.set(`${ap}.${q}.bias`, [e]);
    }
    out.set(`${ap}.c_proj.weight`, [c.embedDim, e]);
    out.set(`${ap}.c_proj.bias`, [c.embedDim]);
  }
  out.set('token_embedding.weight', [c.vocabSize, tw]);
  out.set('ln_final.weight', [tw]);
  out.set('ln_final.bias', [tw]);
  for (let i = 0; i < c.transformerLayers; i++) block(out, `transformer.resblocks.${i}`, tw);
  return out;
}

/** Random weights (seeded; N(0, 0.02²)-like, LayerNorm/BN scales ≈ 1, BN variances ≈ 1) for benchmarks. */
export function randomClipStateDict(c: Cfg, seed = 1): StateDict {
  let s = seed >>> 0 || 1;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  const sd: StateDict = new Map();
  for (const [k, shape] of clipStateDictShapes(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (k.endsWith('num_batches_tracked')) {
      sd.set(k, { shape, data: new Int32Array(1) });
      continue;
    }
    const data = new Float32Array(n);
    const one = /(ln_\w+|ln_final|bn\d|downsample\.1)\.weight$|running_var$/.test(k);
    for (let i = 0; i < n; i++) data[i] = (one ? 1 : 0) + rnd() * 0.07;
    if (k === 'logit_scale') data[0] = Math.log(100);
    sd.set(k, { shape, data });
  }
  return sd;
}
