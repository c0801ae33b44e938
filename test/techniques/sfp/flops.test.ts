import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sfpFlopsReduction } from '../../../src/techniques/sfp/flops.js';

// methods.md §2.3: FLOPs reduction by keep rate, as the SFP repository computes it.
const TABLE: Record<number, number[]> = {
  20: [15.2, 29.3, 42.2, 54.0],
  32: [14.9, 28.8, 41.5, 53.2],
  56: [14.7, 28.4, 41.1, 52.6],
  110: [14.6, 28.2, 40.8, 52.3],
};
const RATES = [0.9, 0.8, 0.7, 0.6];

for (const [depth, row] of Object.entries(TABLE)) {
  test(`SFP FLOPs reduction table reproduced for ResNet-${depth}`, () => {
    RATES.forEach((r, i) => {
      const got = Math.round(sfpFlopsReduction(Number(depth), r) * 1000) / 10;
      assert.equal(got, row[i], `r=${r}: ${got} vs ${row[i]}`);
    });
  });
}

test('keep rate 1 removes nothing; unknown depth is an error', () => {
  assert.equal(sfpFlopsReduction(56, 1), 0);
  assert.throws(() => sfpFlopsReduction(18, 0.7), /ResNet-20/);
});
