/**
 * Run configs (YAML/JSON) through loadConfigFile + resolveRunConfig, as `whittle train --config` reads them:
 * mutated text, mutated trees (hostile values, deep nesting), alias bombs, semantic errors (a stochastic-depth
 * survival list of the wrong length, unknown names) and paths that are not regular files.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfigFile, resolveRunConfig } from '../../../src/config/load.js';
import type { Rng } from '../../../src/core/rng.js';
import type { FuzzTarget } from '../target.js';
import { bitFlips, deepJson, mutateJson, pick, stringifyJson, truncate } from '../mutate.js';

const SEEDS: Record<string, unknown>[] = [
  { model: { name: 'resnet20' }, data: { name: 'cifar10', normalization: 'repr', valBatches: [5] }, train: { epochs: 3, batchSize: 64, lr: 0.1, optimizer: { type: 'sgd', momentum: 0.9 }, schedule: { type: 'multistep', milestones: [1, 2], gamma: 0.1 } }, seed: 1 },
  { model: { name: 'resnet20' }, stochasticDepth: { rule: { rule: 'explicit', survival: [1, 1, 0.9, 0.9, 0.8, 0.8, 0.7, 0.7, 0.6] }, mode: 'batch' }, train: { epochs: 1 } },
  { model: { name: 'vanilla', options: { width: 32 } }, repr: { s1: 2, s2: 1, pruneRatio: 0.3 }, data: { name: 'shapes', shapesTrain: 64 }, train: { schedule: { type: 'cosine', warmup: 1 } } },
  { model: { name: 'resnet32' }, sfp: { rate: 0.3 }, data: { normalization: { mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, 0.2] } }, checkpoint: { everySteps: 10, keep: 3 } },
];

function configText(rng: Rng): { label: string; text: string } {
  const seed = pick(rng, SEEDS);
  switch (rng.int(8)) {
    case 0: {
      const b = new TextEncoder().encode(stringify(seed));
      return { label: 'YAML bytes: bit flips', text: new TextDecoder().decode(bitFlips(rng, b)) };
    }
    case 1: return { label: 'YAML truncated', text: new TextDecoder().decode(truncate(rng, new TextEncoder().encode(stringify(seed)))) };
    case 2: {
      const n = 1000 + rng.int(100_000);
      return { label: `flow nesting ${n} deep`, text: `model:\n  options:\n    x: ${deepJson(n, pick(rng, ['array', 'object']))}\n` };
    }
    case 3: {
      const refs = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`).join('\n');
      return { label: 'YAML alias bomb', text: `${refs}\nmodel:\n  options:\n    x: *i\n` };
    }
    case 4: {
      const len = pick(rng, [0, 1, 8, 10, 100000]);
      return { label: `explicit survival list of ${len} for resnet20`, text: JSON.stringify({ model: { name: 'resnet20' }, stochasticDepth: { rule: { rule: 'explicit', survival: Array(len).fill(0.9) } } }) };
    }
    case 5: {
      const [field, value] = pick(rng, [['data.normalization', 'imagenet'], ['stochasticDepth.rule', 'explicit:1,0.5'], ['stochasticDepth.rule', 'cubic:0.3'], ['model.name', 'resnet21'], ['backend', 'gpu'], ['train.optimizer.type', 'lion'], ['stochasticDepth.rule', 'linear:7']] as const);
      const [a, b] = field.split('.');
      const tree: Record<string, unknown> = b === undefined ? { [a]: value } : { model: { name: 'resnet20' }, [a]: { [b]: value } };
      return { label: `semantic: ${field} = ${value}`, text: JSON.stringify(tree) };
    }
    default: {
      const m = mutateJson(rng, seed);
      const json = stringifyJson(m.value);
      // YAML text only for trees the yaml library itself can serialise (deep-nesting cases stay JSON)
      const asJson = m.label.includes('deep') || rng.int(2) === 1;
      return { label: `tree ${m.label} as ${asJson ? 'JSON' : 'YAML'}`, text: asJson ? json : stringify(m.value) };
    }
  }
}

export const configTarget: FuzzTarget = {
  name: 'config',
  async setup() {},
  async run({ rng, work, label, reading }) {
    const file = join(work, 'run.yaml');
    const r = rng.int(20);
    if (r === 0) {
      label('a directory where the config should be');
      mkdirSync(file);
    } else if (r === 1) {
      label('a FIFO where the config should be');
      execFileSync('mkfifo', [file]);
    } else if (r === 2) {
      label('a symlink to /dev/zero');
      symlinkSync('/dev/zero', file);
    } else if (r === 3) {
      label('an 8 MiB config');
      writeFileSync(file, `model:\n  options:\n    x: "${'a'.repeat(8 << 20)}"\n`);
    } else {
      const t = configText(rng);
      label(t.label);
      writeFileSync(file, t.text);
    }
    reading();
    resolveRunConfig([{ source: file, values: loadConfigFile(file) }]);
  },
};
