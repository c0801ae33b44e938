import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFuzz } from './runner.js';
import { TARGETS } from './targets/index.js';

// Fixed-seed smoke of the fuzz suite (npm run fuzz runs 10,000 per reader): every mutated input is either
// accepted or refused with a WhittleError; no crash, hang, memory blow-up, untyped error or leaked tensor.
const CASES = Number(process.env.WHITTLE_FUZZ_SMOKE_CASES ?? 200);

test(`fuzz smoke: ${CASES} fixed-seed cases per reader end typed or accepted`, { timeout: 900_000 }, async () => {
  const reports = await runFuzz({ readers: Object.keys(TARGETS), cases: CASES, seed: 20261208 });
  for (const r of reports) {
    assert.equal(r.counts.typed + r.counts.accepted, r.cases, `${r.reader}: ${r.failures.map((f) => `#${f.index} ${f.outcome} (${f.label}): ${f.error}`).join('\n')}`);
    assert.ok(r.counts.typed > 0, `${r.reader}: no mutation was refused: the mutators do not reach the reader`);
  }
});
