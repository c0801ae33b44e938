/**
 * The fuzz parent: drives one long-lived worker (worker.ts) through many cases per reader, with a time
 * budget per case (hang) and an RSS budget (memory) enforced from outside; a worker that dies unasked is a
 * crash. After a kill the worker is restarted and the run goes on with the next case.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OUTCOMES, type Outcome } from './target.js';
import type { FromWorker, ToWorker } from './worker.js';

export interface FuzzOptions {
  readers: string[];
  cases: number;
  seed: number;
  /** Per-case wall time before the worker is killed as hung (ms). */
  timeoutMs?: number;
  /** RSS above which the worker is killed (bytes). */
  maxRss?: number;
  onResult?: (reader: string, r: CaseResult) => void;
}

export interface CaseResult {
  index: number;
  outcome: Outcome;
  label: string;
  error?: string;
}

export interface ReaderReport {
  reader: string;
  cases: number;
  counts: Record<Outcome, number>;
  /** Cases that are neither a typed error nor accepted (all of them: they are what must be fixed). */
  failures: CaseResult[];
  seconds: number;
}

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
const SETUP_TIMEOUT_MS = 120_000;
/** Time to make one mutated input (the mutator's work, not the reader's). */
const MAKE_TIMEOUT_MS = 60_000;

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

class Worker {
  private child: ChildProcess | undefined;
  private stderr = '';
  private readonly setUp = new Set<string>();
  constructor(private readonly corpus: string, private readonly maxRss: number) {}

  /** Sends a message and waits for the matching reply, or for the limits to be hit. */
  private async request(msg: ToWorker, timeoutMs: number): Promise<FromWorker | { type: 'killed'; outcome: Outcome; error: string }> {
    const child = await this.start();
    return new Promise((resolve) => {
      let done = false;
      const finish = (r: FromWorker | { type: 'killed'; outcome: Outcome; error: string }) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearInterval(poll);
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(r);
      };
      const kill = (outcome: Outcome, error: string) => {
        child.off('exit', onExit);
        child.kill('SIGKILL');
        this.child = undefined;
        finish({ type: 'killed', outcome, error });
      };
      const onMessage = (m: FromWorker) => {
        if (m.type === 'reading') {
          // the input is made: the reader's own time budget starts now
          clearTimeout(timer);
          timer = setTimeout(() => kill('hang', `reader gave no result after ${timeoutMs} ms`), timeoutMs);
        } else if (m.type !== 'ready') finish(m);
      };
      const onExit = (code: number | null, signal: string | null) => {
        this.child = undefined;
        const tail = this.stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 400);
        const oom = /heap out of memory|Allocation failed/i.test(this.stderr);
        finish({ type: 'killed', outcome: oom ? 'memory' : 'crash', error: `worker exited (code ${code}, signal ${signal}): ${tail}` });
      };
      let timer = setTimeout(() => kill('hang', `no input made after ${MAKE_TIMEOUT_MS} ms (mutator)`), msg.type === 'setup' ? timeoutMs : MAKE_TIMEOUT_MS);
      const poll = setInterval(() => {
        const rss = rssOf(child.pid!);
        if (rss > this.maxRss) kill('memory', `RSS ${(rss / 2 ** 20).toFixed(0)} MiB over the ${(this.maxRss / 2 ** 20).toFixed(0)} MiB budget`);
      }, 20);
      child.on('message', onMessage);
      child.on('exit', onExit);
      this.stderr = '';
      child.send(msg);
    });
  }

  private async start(): Promise<ChildProcess> {
    if (this.child) return this.child;
    this.setUp.clear();
    const child = fork(WORKER, [], {
      execArgv: ['--import', 'tsx', '--max-old-space-size=1024', '--stack-size=984'],
      env: { ...process.env, WHITTLE_FUZZ_CORPUS: this.corpus, WHITTLE_FUZZ_TMP: this.corpus, TF_CPP_MIN_LOG_LEVEL: '2' },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    child.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', (m: FromWorker) => (m.type === 'ready' ? resolve() : reject(new Error('worker did not start'))));
      child.once('exit', (code) => reject(new Error(`fuzz worker failed to start (code ${code}): ${this.stderr.slice(-1000)}`)));
    });
    child.removeAllListeners('exit');
    this.child = child;
    return child;
  }

  async runCase(reader: string, seed: number, index: number, timeoutMs: number): Promise<CaseResult> {
    if (!this.setUp.has(reader) || !this.child) {
      const s = await this.request({ type: 'setup', reader }, SETUP_TIMEOUT_MS);
      if (s.type !== 'setup-done') throw new Error(`fuzz setup of ${reader} failed: ${'error' in s ? s.error : s.type}`);
      this.setUp.add(reader);
    }
    const r = await this.request({ type: 'case', reader, seed, index }, timeoutMs);
    if (r.type === 'result') return { index: r.index, outcome: r.outcome, label: r.label, error: r.error };
    if (r.type === 'killed') return { index, outcome: r.outcome, label: '(killed)', error: r.error };
    throw new Error(`unexpected worker reply ${r.type}`);
  }

  stop(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }
}

export async function runFuzz(opts: FuzzOptions): Promise<ReaderReport[]> {
  const corpus = mkdtempSync('/tmp/whittle-fuzz-corpus-');
  const worker = new Worker(corpus, opts.maxRss ?? 2 ** 30);
  const reports: ReaderReport[] = [];
  try {
    for (const reader of opts.readers) {
      const t0 = Date.now();
      const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
      const failures: CaseResult[] = [];
      for (let i = 0; i < opts.cases; i++) {
        const r = await worker.runCase(reader, opts.seed, i, opts.timeoutMs ?? 5000);
        counts[r.outcome]++;
        if (r.outcome !== 'typed' && r.outcome !== 'accepted') failures.push(r);
        opts.onResult?.(reader, r);
      }
      reports.push({ reader, cases: opts.cases, counts, failures, seconds: (Date.now() - t0) / 1000 });
    }
  } finally {
    worker.stop();
    rmSync(corpus, { recursive: true, force: true });
  }
  return reports;
}

/** The markdown table of a run. */
export function fuzzTable(reports: ReaderReport[]): string {
  const head = `| reader | cases | ${OUTCOMES.map((o) => ({ typed: 'typed error', untyped: 'untyped error', leak: 'leaked tensors', hang: 'hang > 5 s', memory: 'RSS > 1 GB' } as Record<string, string>)[o] ?? o).join(' | ')} | seconds |`;
  const sep = `|---|---:|${OUTCOMES.map(() => '---:').join('|')}|---:|`;
  const rows = reports.map((r) => `| ${r.reader} | ${r.cases} | ${OUTCOMES.map((o) => r.counts[o]).join(' | ')} | ${r.seconds.toFixed(0)} |`);
  return [head, sep, ...rows].join('\n');
}
