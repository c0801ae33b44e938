/** iPQ as a registry entry: the `pqNoise` training section (Quant-Noise for PQ) and the PQ / block-noise layer classes. */
import { defineTechnique } from '../descriptor.js';
import { PQNoiseConfigSchema } from './noise-config.js';
import { pqNoiseTechnique } from './noise-technique.js';
import './layers.js';
import './noise-layers.js';

export const technique = defineTechnique({
  name: 'pq',
  description: 'iterative Product Quantisation (k-means codebooks per weight block, fine-tuned stage by stage), Quant-Noise for PQ, the .pq file format',
  section: { key: 'pqNoise', schema: PQNoiseConfigSchema, description: 'Quant-Noise for iPQ: drop PQ blocks of the float weights during training (rate p, block sizes as `whittle pq`)' },
  wrapModel: (model, cfg, ctx) => pqNoiseTechnique(model, cfg, ctx.seed),
  conflicts: (ctx) => (ctx.config.quant !== undefined ? 'cannot be combined with quant (scalar) in one run: pick one quantisation to train for' : undefined),
  layers: [
    { className: 'WhittlePQConv2D', kind: 'conv', kernelVariable: false },
    { className: 'WhittlePQDense', kind: 'dense', kernelVariable: false },
    { className: 'WhittleBlockNoiseConv2D', kind: 'conv', kernelVariable: true },
    { className: 'WhittleBlockNoiseDense', kind: 'dense', kernelVariable: true },
  ],
});
