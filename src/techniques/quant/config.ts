/**
 * Quant-Noise / QAT configuration (methods.md §4.2). `noiseRate` 1 is QAT, 0 trains the clamped float
 * weights; evaluation is always fully quantised. Defaults follow fairseq's `quantize_model_scalar`
 * (histogram observer, update every 1000 steps, 8 bits) except where fairseq is buggy (§4.2 quirks).
 */
import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';

export const OBSERVER_KINDS = ['minmax', 'ema', 'histogram'] as const;
export type ObserverKind = (typeof OBSERVER_KINDS)[number];

/** Which weights a Quant-Noise mask draws together (methods.md §4.1/§4.3). */
export const NoiseBlockSchema = z.union([z.literal('element'), z.literal('kernel'), z.number().int().positive()]);
export type NoiseBlock = z.infer<typeof NoiseBlockSchema>;

export const ObserverSpecSchema = z.strictObject({
  kind: z.enum(OBSERVER_KINDS).default('histogram'),
  /** EMA: range ← momentum·range + (1 − momentum)·batch range (PyTorch averaging_constant = 1 − momentum). */
  momentum: z.number().min(0).max(1).default(0.99),
  /** Histogram: number of bins (PyTorch HistogramObserver uses 2048). */
  bins: z.number().int().min(8).max(65536).default(2048),
});
export type ObserverSpec = z.infer<typeof ObserverSpecSchema>;

export const ActivationQuantSchema = z.strictObject({
  bits: z.number().int().min(2).max(8).default(8),
  observer: ObserverSpecSchema.default({ kind: 'histogram', momentum: 0.99, bins: 2048 }),
  symmetric: z.boolean().default(false),
  /** fairseq ActivationQuantizer default: 1000. */
  updateStep: z.number().int().positive().default(1000),
});
export type ActivationQuantSpec = z.infer<typeof ActivationQuantSchema>;

/** Everything one wrapped layer needs; JSON-serialisable, stored in the layer's config. */
export const LayerQuantSpecSchema = z.strictObject({
  bits: z.number().int().min(2).max(8).default(8),
  noiseRate: z.number().min(0).max(1).default(1),
  observer: ObserverSpecSchema.default({ kind: 'histogram', momentum: 0.99, bins: 2048 }),
  symmetric: z.boolean().default(false),
  perChannel: z.boolean().default(false),
  updateStep: z.number().int().positive().default(1000),
  noiseBlock: NoiseBlockSchema.default('element'),
  /** Seed of this layer's noise stream (derived per layer from the run seed and the layer name). */
  seed: z.number().int().default(0),
  activation: ActivationQuantSchema.optional(),
});
export type LayerQuantSpec = z.infer<typeof LayerQuantSpecSchema>;

export const QuantConfigSchema = LayerQuantSpecSchema.extend({
  /** Regexes (full match) on layer names to quantise; default all Conv2D/Dense layers. */
  layers: z.array(z.string()).default(['.*']),
  /** Regexes (full match) of layer names to leave in float. */
  exclude: z.array(z.string()).default([]),
  layerTypes: z.array(z.enum(['Conv2D', 'Dense'])).default(['Conv2D', 'Dense']),
});
export type QuantConfig = z.infer<typeof QuantConfigSchema>;
export type QuantConfigInput = z.input<typeof QuantConfigSchema>;

/** Validates a config, throwing ConfigError naming the first bad field. */
export function parseQuantConfig(input: unknown, field = 'quant'): QuantConfig {
  const r = QuantConfigSchema.safeParse(input ?? {});
  if (!r.success) {
    const iss = r.error.issues[0];
    throw new ConfigError([field, ...iss.path.map(String)].join('.'), iss.message);
  }
  for (const p of [...r.data.layers, ...r.data.exclude]) {
    try {
      new RegExp(p);
    } catch (e) {
      throw new ConfigError(`${field}.layers`, `invalid regex ${JSON.stringify(p)} (${(e as Error).message})`);
    }
  }
  return r.data;
}

export function parseLayerSpec(input: unknown, field = 'quant'): LayerQuantSpec {
  const r = LayerQuantSpecSchema.safeParse(input ?? {});
  if (!r.success) {
    const iss = r.error.issues[0];
    throw new ConfigError([field, ...iss.path.map(String)].join('.'), iss.message);
  }
  return r.data;
}
