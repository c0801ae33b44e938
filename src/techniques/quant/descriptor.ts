/** Scalar quantisation as a registry entry: the `quant` section trains with Quant-Noise / QAT; its layer classes. */
import { defineTechnique } from '../descriptor.js';
import { QuantConfigSchema } from './config.js';
import { quantTechnique } from './technique.js';
import './layers.js';

export const technique = defineTechnique({
  name: 'quant',
  description: 'Quant-Noise / QAT: fake-quantise a random fraction of the conv/dense weights while training; int8/int4 export',
  section: { key: 'quant', schema: QuantConfigSchema, description: 'scalar fake quantisation with Quant-Noise (p = 1 is QAT) on the selected conv/dense layers' },
  // Quantisation wraps the finished model (its layers are rebuilt as quantised subclasses).
  wrapModel: (model, cfg) => {
    const q = quantTechnique(model, cfg);
    return { model: q.model, hooks: q.hooks };
  },
  cli: {
    trainingFlags: [
      { flags: '--quant-bits <b>', field: 'quant.bits', kind: 'number', description: 'Quant-Noise: fake-quantise conv/dense weights to b bits (2..8) while training' },
      { flags: '--quant-noise-rate <p>', field: 'quant.noiseRate', kind: 'number', description: 'Quant-Noise: fraction of weights quantised per step (1 = QAT)' },
      { flags: '--quant-observer <kind>', field: 'quant.observer.kind', kind: 'string', description: 'Quant-Noise: minmax|ema|histogram' },
      { flags: '--quant-per-channel', field: 'quant.perChannel', kind: 'bool', description: 'Quant-Noise: one scale per output channel' },
    ],
  },
  layers: [
    { className: 'WhittleQuantConv2D', kind: 'conv', kernelVariable: true },
    { className: 'WhittleQuantDense', kind: 'dense', kernelVariable: true },
  ],
});
