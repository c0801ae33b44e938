/**
 * Provenance per run: the code (Whittle version, git commit), the backend, the command line, the machine
 * and the wall time, from summary.json's `provenance` or the log's `provenance` events (one per training
 * invocation: a resumed run lists every commit it ran under). Runs from before these were recorded say so.
 */
import type { Table } from './html.js';
import type { ExperimentRecord, LogLine } from './load.js';
import type { Provenance } from '../run/provenance.js';
import type { SpecSection } from './section-parts.js';

const NOT_RECORDED = 'not recorded';

export function provenanceSection(e: ExperimentRecord): SpecSection {
  const rows: Table['rows'] = [];
  let missing = 0;
  for (const r of e.runs) {
    const events = r.trainLog.filter((l): l is LogLine & Provenance => l.type === 'provenance');
    const p: Partial<Provenance> | undefined = r.summary?.provenance ?? events.at(-1);
    if (!p) missing++;
    const commits = [...new Set([...events.map((x) => x.gitCommit), r.summary?.provenance?.gitCommit].filter((c): c is string => !!c).map((c) => c.slice(0, 10) + (c.endsWith('-dirty') ? '-dirty' : '')))];
    const t = r.summary?.training;
    const backend = t && 'backend' in t ? t.backend : typeof events.at(-1)?.backend === 'string' ? String(events.at(-1)!.backend) : NOT_RECORDED;
    const threads = events.at(-1)?.threads;
    const wall = r.summary ? `${r.summary.trainSeconds.toFixed(0)} s training${t && 'reusedFrom' in t ? ' (of the reused run)' : ''}` : 'unfinished';
    rows.push([
      r.variant, r.seed,
      p?.whittleVersion ?? NOT_RECORDED,
      commits.length ? commits.join(' → ') : NOT_RECORDED,
      `${backend}${typeof threads === 'number' ? `, ${threads} thread${threads === 1 ? '' : 's'}` : ''}`,
      p?.commandLine ?? (t && 'command' in t ? `whittle ${t.command}` : NOT_RECORDED),
      p ? `${p.hostname}: ${p.machine}, Node ${p.node}` : NOT_RECORDED,
      wall,
      p?.at ? p.at.slice(0, 16).replace('T', ' ') + 'Z' : NOT_RECORDED,
    ]);
  }
  return {
    heading: 'Provenance',
    paragraphs: missing
      ? [`${missing} of ${e.runs.length} run(s) were made before Whittle recorded provenance; for those only the backend and the command name from summary.json are known.`]
      : [],
    tables: [{ caption: 'Where each run came from', columns: ['variant', 'seed', 'Whittle', 'git commit', 'backend', 'command line', 'machine', 'wall time', 'finished (UTC)'], rows }],
  };
}
