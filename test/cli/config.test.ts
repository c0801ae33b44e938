import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { loadConfigFile, mergeConfig, parseRunConfig, resolveRunConfig, type ConfigLayer } from '../../src/config/load.js';
import { runConfigJsonSchema } from '../../src/config/json-schema.js';
import { addFlags, flagLayers, trainingFlags } from '../../src/cli/flags.js';
import { technique as repr } from '../../src/techniques/repr/descriptor.js';
import { scheduleConfig } from '../../src/run/run-parts.js';
import { ConfigError } from '../../src/core/errors.js';

/** Parses argv with the real commander options and returns the flag layers. */
function flags(argv: string[], specs = trainingFlags()): ConfigLayer[] {
  const cmd = addFlags(new Command('t').exitOverride(), specs);
  cmd.parse(argv, { from: 'user' });
  return flagLayers(cmd.opts(), specs);
}

test('defaults: vanilla on cifar10, SGD lr 0.01, batch 128, data_batch_5 held out, augmentation on', () => {
  const c = parseRunConfig({});
  assert.equal(c.model.name, 'vanilla');
  assert.equal(c.data.name, 'cifar10');
  assert.deepEqual(c.data.valBatches, [5]);
  assert.equal(c.data.augment, true);
  assert.equal(c.train.lr, 0.01);
  assert.equal(c.train.batchSize, 128);
  assert.equal(c.train.optimizer.type, 'sgd');
  assert.equal(c.repr, undefined);
});

test('flags win over the config file, field by field; unset flags leave file values alone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'whittle-cfg-'));
  const file = join(dir, 'run.yaml');
  writeFileSync(file, 'train:\n  lr: 0.1\n  epochs: 5\n  schedule: { type: step, stepSize: 2 }\ndata:\n  name: shapes\n  augment: false\nrepr:\n  s1: 3\n');
  const c = resolveRunConfig([{ source: file, values: loadConfigFile(file) }, ...flags(['--lr', '0.05', '--schedule', 'cosine', '--s2', '4', '--scope', 'per-layer'], trainingFlags(repr))]);
  assert.equal(c.train.lr, 0.05);
  assert.equal(c.train.epochs, 5);
  assert.equal(c.train.schedule.type, 'cosine');
  assert.equal(c.data.augment, false, 'no --augment flag given: the file value stays');
  assert.equal(c.repr?.s1, 3);
  assert.equal(c.repr?.s2, 4);
  assert.equal(c.repr?.scope, 'perLayer');
  assert.equal(resolveRunConfig(flags(['--augment'])).data.augment, true);
  assert.equal(resolveRunConfig(flags(['--no-augment'])).data.augment, false);
});

test('errors name the field and where the value came from', () => {
  assert.throws(() => resolveRunConfig(flags(['--lr', 'fast'])), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.field, 'train.lr');
    assert.match(e.message, /^config field "train\.lr": Expected number, received string \(from --lr\)$/);
    return true;
  });
  assert.throws(() => parseRunConfig({ train: { lrr: 0.1 } }, 'run.yaml'), /config field "train\.lrr": Unrecognized key.*\(from run\.yaml\)/);
  assert.throws(() => parseRunConfig({ train: { schedule: { type: 'multistep' } } }), /config field "train\.schedule\.milestones": required by the multistep schedule/);
  assert.throws(() => parseRunConfig({ repr: { dropFraction: 2 } }), /config field "repr\.dropFraction"/);
  assert.throws(() => parseRunConfig({ backend: 'gpu' }), /config field "backend"/);
});

test('list flags, --amplify, --gamma lists and --stochastic-depth none', () => {
  const c = resolveRunConfig([
    { source: 'file', values: { stochasticDepth: { rule: 'linear:0.5' } } },
    ...flags(['--milestones', '2,4', '--gamma', '10,0.2', '--schedule', 'multistep', '--exclude', 'conv1,/fc/', '--amplify', '3:50', '--stochastic-depth', 'none'], trainingFlags(repr)),
  ]);
  assert.deepEqual(c.train.schedule.milestones, [2, 4]);
  assert.deepEqual(c.train.schedule.gamma, [10, 0.2]);
  assert.deepEqual(c.repr?.exclude, ['conv1', '/fc/']);
  assert.deepEqual(c.repr?.gradientAmplification, { factor: 3, steps: 50 });
  assert.equal(c.stochasticDepth, undefined);
  assert.deepEqual(scheduleConfig(c.train, 10), { type: 'multistep', base: 0.01, milestones: [2, 4], gamma: [10, 0.2], unit: 'epoch' });
  const cos = resolveRunConfig(flags(['--schedule', 'cosine', '--epochs', '3']));
  assert.equal((scheduleConfig(cos.train, 7) as { total: number }).total, 3);
});

test('mergeConfig: objects merge, arrays replace, null removes', () => {
  assert.deepEqual(mergeConfig({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, d: null }), { a: { b: 1, c: [3] } });
});

test('docs/config.schema.json is the current JSON Schema (regenerate: whittle config-schema --out docs/config.schema.json)', () => {
  const current = runConfigJsonSchema();
  const props = current.properties as Record<string, unknown>;
  for (const k of ['model', 'data', 'train', 'checkpoint', 'seed', 'backend', 'out', 'repr', 'sfp', 'stochasticDepth']) assert.ok(k in props, k);
  const file = JSON.parse(readFileSync(new URL('../../docs/config.schema.json', import.meta.url), 'utf8'));
  assert.deepEqual(file, JSON.parse(JSON.stringify(current)));
});
