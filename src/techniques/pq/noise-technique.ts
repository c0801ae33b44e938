/**
 * Quant-Noise for iPQ during training, as a run-config section (`pqNoise`): the float Conv2D/Dense layers
 * that PQ will later quantise train as BlockNoiseConv2D/Dense (noise-layers.ts: each §5.2 block dropped
 * with probability p, the rest scaled by 1/(1 − p), on a temporary), so the trained model is ready for
 * `whittle pq` / the pq-sweep step (methods.md §4.3; Fan et al. train with the noise from the start).
 * Block sizes come from the same PQ config as the later quantisation, so the noise drops exactly the
 * blocks k-means will encode. The layers keep the parameter names `kernel`/`bias`; `withoutBlockNoise`
 * (or the sync `stripBlockNoise`) turns a trained model back into plain layers.
 */
import { z } from 'zod';
import type { tf, tfl } from '../../engine/tf.js';
import { ConfigError } from '../../core/errors.js';
import type { TrainHook } from '../../train/hooks.js';
import { rebuildModel } from '../quant/clone.js';
import { parsePQConfig } from './config.js';
import { noiseStateHook, planModel } from './ipq.js';
import { BlockNoiseConv2D, BlockNoiseDense, isBlockNoiseLayer } from './noise-layers.js';
import { PQNoiseConfigSchema, type PQNoiseConfig } from './noise-config.js';

export { PQNoiseConfigSchema, type PQNoiseConfig };


/** The model with block noise on its PQ-quantisable layers, and the hook that checkpoints the noise streams. */
export function pqNoiseTechnique(model: tfl.LayersModel, section: z.input<typeof PQNoiseConfigSchema>, seed: number): { model: tfl.LayersModel; hooks: TrainHook[] } {
  const r = PQNoiseConfigSchema.safeParse(section);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new ConfigError(['pqNoise', ...i.path.map(String)].join('.'), i.message);
  }
  const cfg = r.data;
  let plans;
  try {
    plans = planModel(model, parsePQConfig({ blockSizes: cfg.blockSizes, include: cfg.include, exclude: cfg.exclude }));
  } catch (e) {
    throw new ConfigError('pqNoise', (e as Error).message);
  }
  if (plans.length === 0) throw new ConfigError('pqNoise', `no Conv2D/Dense layer of ${model.name} matches include=${cfg.include}`);
  const sizes = new Map(plans.map((p) => [p.layer, p.blockSize]));
  const noisy = rebuildModel(model, (l) => {
    const bs = sizes.get(l.name);
    if (bs === undefined) return null;
    const c = l.getConfig();
    const dense = l.getClassName() === 'Dense';
    const shape = l.getWeights()[0].shape;
    return {
      className: dense ? BlockNoiseDense.className : BlockNoiseConv2D.className,
      config: {
        name: l.name, trainable: c.trainable, kernelShape: dense ? [1, 1, ...shape] : shape, blockSize: bs, noiseRate: cfg.rate,
        noiseSeed: seed, useBias: c.useBias, activation: c.activation, strides: c.strides, padding: c.padding, dilationRate: c.dilationRate,
      } as unknown as tf.serialization.ConfigDict,
    };
  });
  return { model: noisy, hooks: [blockNoiseHook(noisy)] };
}

/** Checkpoints the block-noise RNG streams (exact resume). */
export function blockNoiseHook(model: tfl.LayersModel): TrainHook {
  return noiseStateHook('pq-block-noise', () => model.layers.filter(isBlockNoiseLayer));
}
