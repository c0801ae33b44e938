/** Stochastic depth as a registry entry: the `stochasticDepth` section builds a gated CIFAR ResNet. */
import { ConfigError } from '../../core/errors.js';
import { defineTechnique } from '../descriptor.js';
import { stochasticDepthConfigSchema, survivalRule } from './config.js';
import { createStochasticDepthResNet, stochasticDepthForward, StochasticDepthHook } from './model.js';
import './gate.js';

export const technique = defineTechnique({
  name: 'stochastic-depth',
  description: 'Stochastic Depth: a gate drops each residual branch with a per-block probability while training',
  section: { key: 'stochasticDepth', schema: stochasticDepthConfigSchema, description: 'gates on residual branches (CIFAR ResNets only)' },
  buildModel: (sd, ctx) => {
    if (!/^resnet\d+$/.test(ctx.modelName)) {
      throw new ConfigError('stochasticDepth', `needs a residual model (resnet20/32/56/110), got "${ctx.modelName}"`);
    }
    const model = createStochasticDepthResNet(ctx.modelName, ctx.modelOptions, { rule: survivalRule(sd), mode: sd.mode, scaling: sd.scaling });
    return { model, forward: stochasticDepthForward(model) };
  },
  hooks: () => [new StochasticDepthHook()],
  cli: {
    trainingFlags: [
      { flags: '--stochastic-depth <rule>', field: 'stochasticDepth.rule', kind: 'string', description: 'gates on residual branches: linear:P, linear-timm:P, uniform:P, explicit:P1,P2,..., none', map: (v) => (v === 'none' ? null : v) },
      { flags: '--sd-mode <mode>', field: 'stochasticDepth.mode', kind: 'string', description: 'stochastic depth: batch|sample' },
      { flags: '--sd-scaling <s>', field: 'stochasticDepth.scaling', kind: 'string', description: 'stochastic depth: test-multiply|train-divide' },
    ],
  },
  layers: [{ className: 'WhittleStochasticDepthGate', kind: 'other', kernelVariable: false }],
});
