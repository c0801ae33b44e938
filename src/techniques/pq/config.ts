/**
 * Per-layer PQ configuration (methods.md §5.4). Defaults follow the vision settings of kill-the-bits
 * ("small blocks": 3×3 → 9, 1×1 → 4) and fairseq's pq/utils.py docstring for Linear (8); K = 256.
 * Overrides are regexes on layer names, first match wins.
 */
import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';
import { checkDivisible, layerKind, numBlocks, type KernelGeom, type LayerKind } from './blocks.js';

const kinds = z.strictObject({
  conv3x3: z.number().int().positive().optional(),
  conv1x1: z.number().int().positive().optional(),
  convkxk: z.number().int().positive().optional(),
  dense: z.number().int().positive().optional(),
});

export const PQLayerOverride = z.strictObject({
  pattern: z.string(),
  blockSize: z.number().int().positive().optional(),
  k: z.number().int().min(2).optional(),
  subspaces: z.number().int().positive().optional(),
  skip: z.boolean().optional(),
});

export const PQConfigSchema = z.strictObject({
  /** Default number of centroids (fairseq/kill-the-bits 256). */
  k: z.number().int().min(2).default(256),
  kByKind: kinds.default({}),
  /** Block size by layer kind; convkxk defaults to one whole kh·kw kernel. */
  blockSizes: kinds.default({}),
  /** m: sub-vectors per block, each with its own codebook (true PQ). 1 = VQ of blocks (fairseq). */
  subspaces: z.number().int().positive().default(1),
  layers: z.array(PQLayerOverride).default([]),
  include: z.string().default('.*'),
  exclude: z.string().optional(),
  /**
   * kill-the-bits `n_centroids_threshold`: when a layer has fewer than 4·K blocks, K is lowered to the
   * largest power of 2 ≤ #blocks/4. When false such a layer is an error.
   */
  clampK: z.boolean().default(true),
  iterations: z.number().int().nonnegative().default(15),
  maxTentatives: z.number().int().nonnegative().default(100),
  eps: z.number().nonnegative().default(1e-6),
  seed: z.number().int().default(0),
  /** Storage dtype of the codebooks (fairseq's size accounting assumes fp16, §5.6). */
  centroidDtype: z.enum(['F16', 'F32']).default('F16'),
});
export type PQConfig = z.output<typeof PQConfigSchema>;
export type PQConfigInput = z.input<typeof PQConfigSchema>;

export const DEFAULT_BLOCK: Record<LayerKind, number | undefined> = { conv3x3: 9, conv1x1: 4, dense: 8, convkxk: undefined };

export function parsePQConfig(input: PQConfigInput = {}): PQConfig {
  const r = PQConfigSchema.safeParse(input);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new ConfigError(`pq.${i.path.join('.')}`, i.message);
  }
  return r.data;
}

/** Parses `conv3x3:9,conv1x1:4,dense:8` (the CLI's --block). */
export function parseBlockSpec(spec: string): Partial<Record<LayerKind, number>> {
  const out: Partial<Record<LayerKind, number>> = {};
  for (const part of spec.split(',').filter(Boolean)) {
    const [kind, v] = part.split(':');
    if (!['conv3x3', 'conv1x1', 'convkxk', 'dense'].includes(kind) || !/^\d+$/.test(v ?? '')) {
      throw new ConfigError('--block', `"${part}" is not KIND:SIZE with KIND one of conv3x3, conv1x1, convkxk, dense`);
    }
    out[kind as LayerKind] = Number(v);
  }
  return out;
}

/** What PQ does to one layer. */
export interface LayerPlan {
  layer: string;
  kind: LayerKind;
  blockSize: number;
  k: number;
  /** m (1 = VQ). */
  subspaces: number;
  /** K requested before clamping. */
  kRequested: number;
  nBlocks: number;
}

/** Resolves the plan for one layer, or null when the layer is not selected. */
export function planLayer(cfg: PQConfig, layer: string, g: KernelGeom, isDense: boolean): LayerPlan | null {
  if (!new RegExp(cfg.include).test(layer)) return null;
  if (cfg.exclude && new RegExp(cfg.exclude).test(layer)) return null;
  const ov = cfg.layers.find((o) => new RegExp(o.pattern).test(layer));
  if (ov?.skip) return null;
  const kind = layerKind(g, isDense);
  const bs = ov?.blockSize ?? cfg.blockSizes[kind] ?? DEFAULT_BLOCK[kind] ?? g.kh * g.kw;
  checkDivisible(layer, g, bs);
  const m = ov?.subspaces ?? cfg.subspaces;
  if (bs % m !== 0) throw new ConfigError(`pq.subspaces[${layer}]`, `layer "${layer}": block size ${bs} is not divisible into ${m} sub-vectors`);
  const kRequested = ov?.k ?? cfg.kByKind[kind] ?? cfg.k;
  const nb = numBlocks(g, bs);
  let k = kRequested;
  if (nb < 4 * k) {
    if (!cfg.clampK) {
      throw new ConfigError(`pq.k[${layer}]`, `layer "${layer}" has ${nb} blocks of ${bs}, fewer than 4·K = ${4 * k}; lower K or enable clampK`);
    }
    k = 2 ** Math.floor(Math.log2(Math.max(1, nb / 4)));
    if (k < 2) return null; // too small to cluster meaningfully: left in fp32
  }
  return { layer, kind, blockSize: bs, k, subspaces: m, kRequested, nBlocks: nb };
}
