/**
 * CLI flags that set run-config fields, declared once as a table: commander options are generated
 * from it, and parsed values become one config layer per flag, so a validation error names both the
 * field and the flag (`config field "train.lr": Expected number, received string (from --lr)`).
 * No commander defaults: a flag left out must not override the config file (zod supplies defaults).
 */
import { Option, type Command } from 'commander';
import type { ConfigLayer, ConfigTree } from '../config/load.js';
import { toNumber, type FlagKind, type FlagSpec } from '../config/flag-spec.js';
import type { SectionTechnique } from '../techniques/descriptor.js';
import { TECHNIQUES } from '../techniques/registry.js';

export type { FlagKind, FlagSpec };

export const TRAIN_FLAGS: FlagSpec[] = [
  { flags: '--model <name>', field: 'model.name', kind: 'string', description: 'model from the registry (see `whittle info`; e.g. vanilla, resnet20, resnet56, vgg16)' },
  { flags: '--data <name>', field: 'data.name', kind: 'string', description: 'dataset: cifar10|cifar100|shapes' },
  { flags: '--data-dir <dir>', field: 'data.dir', kind: 'string', description: 'folder with the CIFAR .bin files' },
  { flags: '--download', field: 'data.download', kind: 'bool', description: 'download CIFAR-10 into the cache when --data-dir lacks it' },
  { flags: '--val-batches <list>', field: 'data.valBatches', kind: 'numlist', description: 'CIFAR-10 training batches held out for validation (default 5)' },
  { flags: '--val-count <n>', field: 'data.valCount', kind: 'number', description: 'hold out N random training images for validation instead' },
  { flags: '--augment', field: 'data.augment', kind: 'bool', description: 'random crop (pad 4) + flip (default on)' },
  { flags: '--no-augment', field: 'data.augment', kind: 'bool', description: 'no augmentation' },
  { flags: '--normalization <name>', field: 'data.normalization', kind: 'string', description: 'repr|true-std|dataset' },
  { flags: '--train-subset <n>', field: 'data.trainSubset', kind: 'number', description: 'train on the first N images only (quick runs)' },
  { flags: '--val-subset <n>', field: 'data.valSubset', kind: 'number', description: 'validate on the first N images only' },
  { flags: '--epochs <n>', field: 'train.epochs', kind: 'number', description: 'epochs (default 1)' },
  { flags: '--batch-size <n>', field: 'train.batchSize', kind: 'number', description: 'batch size (default 128)' },
  { flags: '--lr <x>', field: 'train.lr', kind: 'number', description: 'initial learning rate (default 0.01)' },
  { flags: '--optimizer <name>', field: 'train.optimizer.type', kind: 'string', description: 'sgd|adam|adamw (default sgd)' },
  { flags: '--momentum <x>', field: 'train.optimizer.momentum', kind: 'number', description: 'SGD momentum (default 0)' },
  { flags: '--nesterov', field: 'train.optimizer.nesterov', kind: 'bool', description: 'Nesterov momentum' },
  { flags: '--weight-decay <x>', field: 'train.optimizer.weightDecay', kind: 'number', description: 'weight decay (default 0)' },
  { flags: '--schedule <type>', field: 'train.schedule.type', kind: 'string', description: 'constant|step|multistep|cosine' },
  { flags: '--schedule-unit <unit>', field: 'train.schedule.unit', kind: 'string', description: 'epoch|iteration (default epoch)' },
  { flags: '--step-size <n>', field: 'train.schedule.stepSize', kind: 'number', description: 'step schedule period' },
  { flags: '--milestones <list>', field: 'train.schedule.milestones', kind: 'numlist', description: 'multistep milestones, e.g. 100,150' },
  { flags: '--gamma <x>', field: 'train.schedule.gamma', kind: 'numlist', description: 'decay factor, or one per milestone (0.1 or 10,0.2,0.2)', map: (v) => (Array.isArray(v) && v.length === 1 ? v[0] : v) },
  { flags: '--lr-min <x>', field: 'train.schedule.min', kind: 'number', description: 'cosine floor' },
  { flags: '--warmup <n>', field: 'train.schedule.warmup', kind: 'number', description: 'cosine linear warm-up length' },
  { flags: '--eval-every <n>', field: 'train.evalEvery', kind: 'number', description: 'validate every N epochs (default 1)' },
  { flags: '--log-every <n>', field: 'train.logEvery', kind: 'number', description: 'a step event in log.jsonl every N steps (default 50)' },
  { flags: '--max-iterations <n>', field: 'train.maxIterations', kind: 'number', description: 'stop with a checkpoint after N global steps' },
  { flags: '--checkpoint-every <n>', field: 'checkpoint.everySteps', kind: 'number', description: 'also checkpoint every N steps (default: epoch ends only)' },
  { flags: '--seed <n>', field: 'seed', kind: 'number', description: 'seed of init, data order, augmentation and techniques (default 0)' },
  { flags: '--backend <name>', field: 'backend', kind: 'string', description: 'auto|native|node|wasm|cpu (default auto)' },
  { flags: '--threads <n>', field: 'threads', kind: 'number', description: 'backend threads' },
  { flags: '--out <dir>', field: 'out', kind: 'string', description: 'run directory (default runs/<model>-<data>)' },
];

function attributeName(spec: FlagSpec): string {
  return new Option(spec.flags).attributeName();
}

/** Adds the flags' options to a command (no defaults). */
export function addFlags(cmd: Command, specs: readonly FlagSpec[]): Command {
  for (const s of specs) cmd.addOption(new Option(s.flags, s.description));
  return cmd;
}

function convert(kind: FlagKind, raw: unknown): unknown {
  if (kind === 'bool' || typeof raw !== 'string') return raw;
  if (kind === 'number') return toNumber(raw);
  const parts = raw.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
  return kind === 'numlist' ? parts.map(toNumber) : kind === 'list' ? parts : raw;
}

function setPath(tree: ConfigTree, field: string, value: unknown): ConfigTree {
  const keys = field.split('.');
  let cur = tree;
  for (const k of keys.slice(0, -1)) cur = (cur[k] ??= {}) as ConfigTree;
  cur[keys[keys.length - 1]] = value;
  return tree;
}

/** One config layer per flag given on the command line (commander's parsed options in). */
export function flagLayers(opts: Record<string, unknown>, specs: readonly FlagSpec[]): ConfigLayer[] {
  const seen = new Set<string>();
  const layers: ConfigLayer[] = [];
  for (const s of specs) {
    const attr = attributeName(s);
    const v = opts[attr];
    if (v === undefined || seen.has(attr)) continue;
    seen.add(attr);
    let value = convert(s.kind, v);
    if (s.map) value = s.map(value);
    const flag = s.kind === 'bool' && v === false ? `--no-${s.flags.replace(/^--(no-)?/, '').split(' ')[0]}` : s.flags.split(' ')[0];
    // `null` (e.g. --stochastic-depth none) removes the whole section.
    const field = value === null ? s.field.split('.').slice(0, -1).join('.') || s.field : s.field;
    layers.push({ source: flag, values: setPath({}, field, value) });
  }
  return layers;
}

/**
 * Every flag of a training command: the common table, every technique's training flags, and the flags
 * of the technique whose own command this is (`whittle repr` → RePr's).
 */
export function trainingFlags(own?: SectionTechnique): FlagSpec[] {
  return [...TRAIN_FLAGS, ...TECHNIQUES.flatMap((t) => t.cli?.trainingFlags ?? []), ...(own?.cli?.commandFlags ?? [])];
}
