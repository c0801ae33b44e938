import { test } from 'node:test';
import assert from 'node:assert/strict';
import { oneBasedEpochs, type LogLine } from '../../src/report/load.js';
import { logPosition } from '../../src/train/log-position.js';

test('log positions: mid-epoch = epoch N step k, an epoch boundary = the end of the epoch before', () => {
  assert.deepEqual(logPosition({ epoch: 0, stepInEpoch: 0 }, 10), { epoch: 1, step: 0 });
  assert.deepEqual(logPosition({ epoch: 2, stepInEpoch: 3 }, 10), { epoch: 3, step: 3 });
  assert.deepEqual(logPosition({ epoch: 2, stepInEpoch: 0 }, 10), { epoch: 2, step: 10 });
});

test('old 0-based log segments are rewritten to 1-based epochs; new segments and a resumed mix stay consistent', () => {
  const old: LogLine[] = [
    { type: 'train_start', stepsPerEpoch: 10 },
    { type: 'step', epoch: 0, step: 5, iteration: 5 },
    { type: 'epoch', epoch: 0, iteration: 10 },
    { type: 'checkpoint', epoch: 1, step: 0, iteration: 10 },
    { type: 'repr_grad_ratio', epoch: 1, iteration: 15 },
    { type: 'checkpoint', epoch: 1, step: 5, iteration: 15 },
    // resumed by the new code: the resume event belongs to the train_start after it
    { type: 'resume', epoch: 2, step: 5, iteration: 15 },
    { type: 'train_start', epochBase: 1, stepsPerEpoch: 10 },
    { type: 'epoch', epoch: 2, iteration: 20 },
    { type: 'checkpoint', epoch: 2, step: 10, iteration: 20 },
  ];
  const got = oneBasedEpochs(old).map((l) => [l.type, l.epoch, l.step]);
  assert.deepEqual(got, [
    ['train_start', undefined, undefined],
    ['step', 1, 5],
    ['epoch', 1, undefined],
    ['checkpoint', 1, 10],
    ['repr_grad_ratio', 2, undefined],
    ['checkpoint', 2, 5],
    ['resume', 2, 5],
    ['train_start', undefined, undefined],
    ['epoch', 2, undefined],
    ['checkpoint', 2, 10],
  ]);
});
