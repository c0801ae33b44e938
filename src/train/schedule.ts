/**
 * Learning-rate schedules as pure functions of (epoch, iteration), so a resumed run recomputes the exact
 * lr from its position alone. `unit` says which clock a schedule reads: 'epoch' (0-based epoch index,
 * constant within an epoch, like PyTorch schedulers stepped per epoch) or 'iteration' (global step).
 */
import { ConfigError } from '../core/errors.js';

export type LrSchedule = (epoch: number, iteration: number) => number;
export type ScheduleUnit = 'epoch' | 'iteration';

const clock = (unit: ScheduleUnit) => (epoch: number, iteration: number) => (unit === 'epoch' ? epoch : iteration);

export function constant(base: number): LrSchedule {
  return () => base;
}

/** lr = base · gamma^⌊t / stepSize⌋ (PyTorch StepLR). */
export function step(opts: { base: number; stepSize: number; gamma?: number; unit?: ScheduleUnit }): LrSchedule {
  if (!(opts.stepSize > 0)) throw new ConfigError('schedule.stepSize', `must be > 0, got ${opts.stepSize}`);
  const t = clock(opts.unit ?? 'epoch');
  const gamma = opts.gamma ?? 0.1;
  return (e, i) => opts.base * gamma ** Math.floor(t(e, i) / opts.stepSize);
}

/**
 * lr = base · Π gammas[j] over milestones[j] ≤ t (PyTorch MultiStepLR when `gamma` is one number; SFP's
 * `--schedule 1 60 120 160 --gammas 10 0.2 0.2 0.2` with a list, one gamma per milestone).
 */
export function multiStep(opts: { base: number; milestones: number[]; gamma?: number | number[]; unit?: ScheduleUnit }): LrSchedule {
  const { milestones } = opts;
  const gammas = Array.isArray(opts.gamma) ? opts.gamma : milestones.map(() => (opts.gamma as number | undefined) ?? 0.1);
  if (gammas.length !== milestones.length) {
    throw new ConfigError('schedule.gamma', `${gammas.length} gammas for ${milestones.length} milestones`);
  }
  for (let j = 1; j < milestones.length; j++) {
    if (milestones[j] <= milestones[j - 1]) throw new ConfigError('schedule.milestones', `must increase, got [${milestones}]`);
  }
  const t = clock(opts.unit ?? 'epoch');
  return (e, i) => {
    const now = t(e, i);
    let lr = opts.base;
    for (let j = 0; j < milestones.length && milestones[j] <= now; j++) lr *= gammas[j];
    return lr;
  };
}

/**
 * Cosine annealing from `base` to `min` over `total` units (PyTorch CosineAnnealingLR closed form),
 * optionally after a linear warm-up of `warmup` units whose factor rises from `warmupStartFactor` to 1
 * (PyTorch LinearLR then cosine over the remaining `total − warmup`). Past `total` it stays at `min`.
 */
export function cosine(opts: {
  base: number;
  total: number;
  min?: number;
  warmup?: number;
  warmupStartFactor?: number;
  unit?: ScheduleUnit;
}): LrSchedule {
  const warmup = opts.warmup ?? 0;
  const min = opts.min ?? 0;
  const f0 = opts.warmupStartFactor ?? 0.1;
  if (!(opts.total > warmup)) throw new ConfigError('schedule.total', `must exceed warmup (${warmup}), got ${opts.total}`);
  const t = clock(opts.unit ?? 'epoch');
  return (e, i) => {
    const now = t(e, i);
    if (now < warmup) return opts.base * (f0 + ((1 - f0) * now) / warmup);
    const c = Math.min(now - warmup, opts.total - warmup) / (opts.total - warmup);
    return min + ((opts.base - min) * (1 + Math.cos(Math.PI * c))) / 2;
  };
}

/** Schedules by config (CLI / YAML): `base` is the initial learning rate. */
export type ScheduleConfig =
  | { type: 'constant'; base: number }
  | { type: 'step'; base: number; stepSize: number; gamma?: number; unit?: ScheduleUnit }
  | { type: 'multistep'; base: number; milestones: number[]; gamma?: number | number[]; unit?: ScheduleUnit }
  | { type: 'cosine'; base: number; total: number; min?: number; warmup?: number; warmupStartFactor?: number; unit?: ScheduleUnit };

export function createSchedule(cfg: ScheduleConfig): LrSchedule {
  switch (cfg.type) {
    case 'constant': return constant(cfg.base);
    case 'step': return step(cfg);
    case 'multistep': return multiStep(cfg);
    case 'cosine': return cosine(cfg);
    default: throw new ConfigError('schedule.type', `unknown schedule "${(cfg as { type: string }).type}" (constant, step, multistep, cosine)`);
  }
}
