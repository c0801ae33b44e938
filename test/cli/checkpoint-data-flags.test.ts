import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCheckpointData } from '../../src/cli/checkpoint-data-flags.js';
import { ConfigError } from '../../src/core/errors.js';

test('checkpoint data flags (whittle quant / pq): numbers parsed, bad values name their flag', () => {
  assert.deepEqual(parseCheckpointData({ batchSize: '64', dataset: 'shapes', limitTrain: '100' }), {
    batchSize: 64, dataset: 'shapes', dataDir: undefined, limitTrain: 100, limitVal: undefined,
  });
  const bad = (o: Parameters<typeof parseCheckpointData>[0], flag: string) =>
    assert.throws(() => parseCheckpointData(o), (e: unknown) => e instanceof ConfigError && e.field === flag, flag);
  bad({ batchSize: 'x' }, '--batch-size');
  bad({ batchSize: '0' }, '--batch-size');
  bad({ batchSize: '64', limitTrain: '1e9.5' }, '--limit-train');
  bad({ batchSize: '64', limitVal: '-3' }, '--limit-val');
  bad({ batchSize: '64', dataset: 'imagenet' }, '--dataset');
});
