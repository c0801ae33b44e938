/**
 * `npm run fuzz [-- --cases N --seed S --readers pt,pq --out FILE]`: N mutated inputs per reader (default
 * 10,000) in a supervised child process; prints progress and writes the markdown table (and every failing
 * case, reproducible from reader/seed/index) to FILE (default fuzz-report.md).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fuzzTable, runFuzz } from './runner.js';
import { TARGETS } from './targets/index.js';

const { values } = parseArgs({
  options: { cases: { type: 'string', default: '10000' }, seed: { type: 'string', default: '1' }, readers: { type: 'string' }, out: { type: 'string', default: 'fuzz-report.md' } },
});
const readers = values.readers ? values.readers.split(',') : Object.keys(TARGETS);
const cases = Number(values.cases);
const seed = Number(values.seed);
let done = 0;
const reports = await runFuzz({
  readers,
  cases,
  seed,
  onResult: (reader, r) => {
    done++;
    if (r.outcome !== 'typed' && r.outcome !== 'accepted') console.log(`${reader} #${r.index} ${r.outcome}: ${r.label} — ${r.error ?? ''}`);
    if (done % 500 === 0) console.log(`… ${done} cases (${reader} #${r.index})`);
  },
});
const table = fuzzTable(reports);
const failures = reports.flatMap((r) => r.failures.map((f) => `- ${r.reader} #${f.index} **${f.outcome}** (${f.label}): ${f.error ?? ''}`));
const text = `# Fuzz run (seed ${seed}, ${cases} cases per reader)\n\n${table}\n\n${failures.length ? `## Failing cases\n\n${failures.join('\n')}\n` : 'No failing case.\n'}`;
writeFileSync(values.out!, text);
console.log(`\n${table}\n\nwritten to ${values.out}`);
