/** Optimizers by config, for the CLI and experiment configs. */
import { Adam, type AdamOptions } from './adam.js';
import { Sgd, type SgdOptions } from './sgd.js';
import type { Optimizer } from './optimizer.js';

export type OptimizerConfig =
  | ({ type: 'sgd' } & Omit<SgdOptions, 'decay'>)
  | ({ type: 'adam' | 'adamw' } & Omit<AdamOptions, 'decay' | 'decoupled'>);

/** `decay` selects the params that get weight decay (default all, as PyTorch). */
export function createOptimizer(cfg: OptimizerConfig, decay?: (key: string) => boolean): Optimizer {
  if (cfg.type === 'sgd') return new Sgd({ ...cfg, decay });
  return new Adam({ ...cfg, decoupled: cfg.type === 'adamw', decay });
}

export { Sgd, Adam };
export type { SgdOptions, AdamOptions, Optimizer };
export type { OptimizerState } from './optimizer.js';
