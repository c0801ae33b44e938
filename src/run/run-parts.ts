/** Run-config sections → the training core's optimizer and schedule configs. */
import type { OptimizerConfig, ScheduleConfig } from '../train/index.js';
import type { RunConfig } from '../config/run-config.js';

type TrainSection = RunConfig['train'];

export function optimizerConfig(t: TrainSection): OptimizerConfig {
  const o = t.optimizer;
  if (o.type === 'sgd') return { type: 'sgd', momentum: o.momentum, dampening: o.dampening, nesterov: o.nesterov, weightDecay: o.weightDecay };
  return { type: o.type, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay };
}

/** `base` is train.lr; cosine's `total` defaults to the whole run in the schedule's unit. */
export function scheduleConfig(t: TrainSection, stepsPerEpoch: number): ScheduleConfig {
  const s = t.schedule;
  const base = t.lr;
  switch (s.type) {
    case 'constant':
      return { type: 'constant', base };
    case 'step':
      return { type: 'step', base, stepSize: s.stepSize!, gamma: typeof s.gamma === 'number' ? s.gamma : undefined, unit: s.unit };
    case 'multistep':
      return { type: 'multistep', base, milestones: s.milestones!, gamma: s.gamma, unit: s.unit };
    case 'cosine': {
      const total = s.total ?? (s.unit === 'epoch' ? t.epochs : t.epochs * stepsPerEpoch);
      return { type: 'cosine', base, total, min: s.min, warmup: s.warmup, warmupStartFactor: s.warmupStartFactor, unit: s.unit };
    }
  }
}
