/**
 * CLI flags that set run-config fields, declared once as a table: commander options are generated
 * from it, and parsed values become one config layer per flag, so a validation error names both the
 * field and the flag (`config field "train.lr": Expected number, received string (from --lr)`).
 * No commander defaults: a flag left out must not override the config file (zod supplies defaults).
 */
import { Option, type Command } from 'commander';
import type { ConfigLayer, ConfigTree } from '../config/load.js';

export type FlagKind = 'string' | 'number' | 'bool' | 'list' | 'numlist';

export interface FlagSpec {
  /** Commander flags, e.g. '--batch-size <n>'. */
  flags: string;
  /** Dotted config field it sets. */
  field: string;
  kind: FlagKind;
  description: string;
  /** Rewrites the parsed value (e.g. 'per-layer' → 'perLayer'); `null` removes the section. */
  map?: (v: unknown) => unknown;
}

const NUMBER_RE = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
/** Numbers where they look like numbers; anything else stays a string so zod reports its type. */
const toNumber = (s: string): number | string => (NUMBER_RE.test(s.trim()) ? Number(s) : s);

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
  { flags: '--stochastic-depth <rule>', field: 'stochasticDepth.rule', kind: 'string', description: 'gates on residual branches: linear:P, linear-timm:P, uniform:P, explicit:P1,P2,..., none', map: (v) => (v === 'none' ? null : v) },
  { flags: '--sd-mode <mode>', field: 'stochasticDepth.mode', kind: 'string', description: 'stochastic depth: batch|sample' },
  { flags: '--sd-scaling <s>', field: 'stochasticDepth.scaling', kind: 'string', description: 'stochastic depth: test-multiply|train-divide' },
];

export const REPR_FLAGS: FlagSpec[] = [
  { flags: '--s1 <n>', field: 'repr.s1', kind: 'number', description: 'RePr: full-network phase length (default 20)' },
  { flags: '--s2 <n>', field: 'repr.s2', kind: 'number', description: 'RePr: pruned phase length (default 10)' },
  { flags: '--cycles <n>', field: 'repr.cycles', kind: 'number', description: 'RePr: drop/re-init cycles (default 3)' },
  { flags: '--unit <unit>', field: 'repr.unit', kind: 'string', description: 'RePr: s1/s2 in epoch|iteration' },
  { flags: '--drop-fraction <p>', field: 'repr.dropFraction', kind: 'number', description: 'RePr: fraction of ranked filters dropped (default 0.3)' },
  { flags: '--criterion <name>', field: 'repr.criterion', kind: 'string', description: 'RePr: orthogonality|l2|l1' },
  { flags: '--scope <scope>', field: 'repr.scope', kind: 'string', description: 'RePr: global|per-layer ranking', map: (v) => (v === 'per-layer' ? 'perLayer' : v) },
  { flags: '--exclude <list>', field: 'repr.exclude', kind: 'list', description: 'RePr: conv layers left alone (names or /regex/, comma-separated)' },
  { flags: '--fan-in-exponent <x>', field: 'repr.fanInExponent', kind: 'number', description: 'RePr: score × fanIn^x (0 none, 0.5 sqrt, 0.25)' },
  { flags: '--max-layer-fraction <x>', field: 'repr.maxLayerFraction', kind: 'number', description: 'RePr: cap on the fraction dropped per layer' },
  { flags: '--min-keep <n>', field: 'repr.minKeep', kind: 'number', description: 'RePr: filters every layer keeps (default 1)' },
  { flags: '--reinit-scale <mode>', field: 'repr.reinitScale', kind: 'string', description: 'RePr: clamp|match-kept' },
  { flags: '--next-layer <mode>', field: 'repr.nextLayer', kind: 'string', description: 'RePr: keep|zero|random incoming weights of the next layer' },
  { flags: '--bias <mode>', field: 'repr.bias', kind: 'string', description: 'RePr: keep|reset biases of re-initialised filters' },
  { flags: '--mask-bias', field: 'repr.maskBias', kind: 'bool', description: 'RePr: freeze the biases of dropped filters too' },
  { flags: '--amplify <factor:steps>', field: 'repr.gradientAmplification', kind: 'string', description: 'RePr: multiply re-initialised filters\' gradients by FACTOR for STEPS steps', map: parseAmplify },
  { flags: '--redrop-same', field: 'repr.redropSame', kind: 'bool', description: 'RePr: re-drop the filters re-initialised last cycle' },
];

export const SFP_FLAGS: FlagSpec[] = [
  { flags: '--keep-rate <x>', field: 'sfp.keepRate', kind: 'number', description: 'SFP: fraction of filters kept per layer (default 0.7)' },
  { flags: '--epoch-prune <n>', field: 'sfp.epochPrune', kind: 'number', description: 'SFP: zero every N epochs (default 1)' },
  { flags: '--criterion <name>', field: 'sfp.criterion', kind: 'string', description: 'SFP: l2|l1' },
  { flags: '--exclude <list>', field: 'sfp.exclude', kind: 'list', description: 'SFP: conv layers never zeroed (names or /regex/, comma-separated)' },
  { flags: '--skip-shortcut', field: 'sfp.skipShortcut', kind: 'bool', description: 'SFP: leave projection-shortcut convs alone' },
];

function parseAmplify(v: unknown): unknown {
  const m = /^([^:]+):([^:]+)$/.exec(String(v));
  return m ? { factor: toNumber(m[1]), steps: toNumber(m[2]) } : v;
}

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

/** Quant-Noise / QAT inside `whittle train` (any of them enables the `quant` section). */
export const QUANT_TRAIN_FLAGS: FlagSpec[] = [
  { flags: '--quant-bits <b>', field: 'quant.bits', kind: 'number', description: 'Quant-Noise: fake-quantise conv/dense weights to b bits (2..8) while training' },
  { flags: '--quant-noise-rate <p>', field: 'quant.noiseRate', kind: 'number', description: 'Quant-Noise: fraction of weights quantised per step (1 = QAT)' },
  { flags: '--quant-observer <kind>', field: 'quant.observer.kind', kind: 'string', description: 'Quant-Noise: minmax|ema|histogram' },
  { flags: '--quant-per-channel', field: 'quant.perChannel', kind: 'bool', description: 'Quant-Noise: one scale per output channel' },
];
