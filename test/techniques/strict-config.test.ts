// Library configs are strict like the CLI's: a misspelt option is an error naming it, never a silent default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reprConfigSchema, sfpConfigSchema, ReprHook, pq, stochasticDepth } from '../../src/index.js';
import { parseSurvivalRule } from '../../src/techniques/stochastic-depth/survival.js';

test('misspelt technique options are errors that name the key', () => {
  assert.throws(() => reprConfigSchema.parse({ dropFracton: 0.9 }), /dropFracton/);
  assert.throws(() => new ReprHook({ dropFracton: 0.9 } as never), /dropFracton/);
  assert.throws(() => sfpConfigSchema.parse({ keepRat: 0.5 }), /keepRat/);
  assert.throws(() => pq.parsePQConfig({ blockSize: { dense: 4 } } as never), /blockSize/);
  assert.throws(() => pq.PQConfigSchema.parse({ k: 16, layers: [{ pattern: 'fc', kk: 4 }] }), /kk/);
  assert.throws(() => stochasticDepth.stochasticDepthSchema.parse({ rule: { rule: 'linear', pl: 0.5 } }), /pl/);
  assert.equal(reprConfigSchema.parse({ dropFraction: 0.9 }).dropFraction, 0.9);
  assert.equal(parseSurvivalRule('linear:0.5').rule, 'linear');
});
