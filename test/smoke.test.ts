import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as whittle from '../src/index.js';

test('the public entry point exposes every part of the toolkit', () => {
  for (const name of ['initBackend', 'createModel', 'listModels', 'train', 'Sgd', 'Adam', 'loadDataset', 'svdTopK', 'pivotedQr', 'ReprHook', 'SfpHook', 'runExperiment', 'buildReport', 'readSafetensors']) {
    assert.equal(typeof (whittle as Record<string, unknown>)[name], 'function', name);
  }
  for (const ns of ['enc', 'quant', 'pq', 'clip', 'pruneExport', 'stochasticDepth', 'filterMask']) assert.equal(typeof (whittle as Record<string, unknown>)[ns], 'object', ns);
  assert.deepEqual(whittle.listModels(), ['vanilla', 'resnet20', 'resnet32', 'resnet56', 'resnet110', 'vgg16']);
});
