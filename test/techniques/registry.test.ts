// The technique registry drives the run config, the training-job builder, the CLI and the layer-kind
// lists: every one of them must agree with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/index.js';
import { tf } from '../../src/engine/tf.js';
import { TECHNIQUES, sectionTechniques, techniqueLayers } from '../../src/techniques/registry.js';
import { runConfigSchema, TECHNIQUE_SECTIONS } from '../../src/config/run-config.js';
import { CONV_CLASSES, DENSE_CLASSES, KERNEL_CONV_CLASSES, KERNEL_DENSE_CLASSES } from '../../src/models/layer-kinds.js';
import { trainingFlags } from '../../src/cli/flags.js';
import { buildModelAndTechniques } from '../../src/run/techniques.js';
import { ConfigError } from '../../src/core/errors.js';

test('one descriptor per technique folder, names unique', () => {
  const names = TECHNIQUES.map((t) => t.name);
  assert.deepEqual(new Set(names).size, names.length);
  assert.deepEqual([...names].sort(), ['enc', 'pq', 'prune-export', 'quant', 'repr', 'sfp', 'stochastic-depth']);
});

test('the run config has exactly the registry sections, each optional (absent = disabled)', () => {
  const keys = sectionTechniques().map((t) => t.section.key);
  assert.deepEqual(Object.keys(TECHNIQUE_SECTIONS), keys);
  const parsed = runConfigSchema.parse({}) as Record<string, unknown>;
  for (const k of keys) assert.equal(parsed[k], undefined, k);
  for (const k of keys) assert.ok(k in runConfigSchema.shape, k);
});

test('every layer class a descriptor declares is registered with tfjs serialization, and the kind lists follow them', () => {
  const map = tf.serialization.SerializationMap.getMap().classNameMap as Record<string, unknown>;
  for (const l of techniqueLayers()) {
    assert.ok(map[l.className], `${l.className} is not registered`);
    assert.equal(CONV_CLASSES.has(l.className), l.kind === 'conv', l.className);
    assert.equal(DENSE_CLASSES.has(l.className), l.kind === 'dense', l.className);
    assert.equal(KERNEL_CONV_CLASSES.has(l.className) || KERNEL_DENSE_CLASSES.has(l.className), l.kernelVariable && l.kind !== 'other', l.className);
  }
  assert.ok(CONV_CLASSES.has('Conv2D') && DENSE_CLASSES.has('Dense'));
  assert.ok(KERNEL_CONV_CLASSES.has('WhittleQuantConv2D') && !KERNEL_CONV_CLASSES.has('WhittlePQConv2D'));
  assert.deepEqual([...CONV_CLASSES].sort(), ['Conv2D', 'WhittleBlockNoiseConv2D', 'WhittlePQConv2D', 'WhittleQuantConv2D']);
});

test('training flags: every technique\'s training flags on every training command, no flag declared twice', () => {
  const all = trainingFlags();
  for (const t of TECHNIQUES) for (const f of t.cli?.trainingFlags ?? []) assert.ok(all.includes(f), f.flags);
  for (const t of sectionTechniques()) {
    const names = trainingFlags(t).map((f) => f.flags.split(' ')[0]);
    assert.equal(new Set(names).size, names.length, `${t.name}: ${names.join(' ')}`);
  }
});

test('builder: sections enable techniques in registry order; conflicts name the section', () => {
  const opts = { inputShape: [8, 8, 3] as [number, number, number], numClasses: 4, seed: 0 };
  const cfg = (extra: Record<string, unknown>) => runConfigSchema.parse({ model: { name: 'resnet20' }, ...extra });
  const s = buildModelAndTechniques(cfg({ repr: {}, sfp: {}, stochasticDepth: {} }), opts);
  assert.deepEqual(s.enabled, ['stochasticDepth', 'sfp', 'repr']);
  assert.ok(s.forward);
  assert.deepEqual(s.hooks.map((h) => h.name), ['stochastic-depth', 'sfp', 'repr']);
  s.model.dispose();
  assert.throws(() => buildModelAndTechniques(cfg({ stochasticDepth: {}, quant: {} }), opts), (e: unknown) => e instanceof ConfigError && /quant.*stochasticDepth/.test((e as Error).message));
  assert.throws(() => buildModelAndTechniques(cfg({ quant: {}, pqNoise: {} }), opts), (e: unknown) => e instanceof ConfigError && /pqNoise.*quant \(scalar\)/.test((e as Error).message));
  assert.throws(() => buildModelAndTechniques(runConfigSchema.parse({ model: { name: 'vanilla' }, stochasticDepth: {} }), opts), /needs a residual model/);
});
