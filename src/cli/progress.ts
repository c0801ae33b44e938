/**
 * Human-facing training progress: a cli-progress bar per epoch (and per evaluation) on a TTY, plain
 * periodic lines otherwise (CI logs and pipes never fill with carriage returns). Everything goes to one
 * stream, stderr by default, so stdout stays free for `--json`.
 */
import cliProgress from 'cli-progress';
import type { Reporter } from '../run/reporter.js';
import { createProgressBar } from './download-progress.js';

export interface ReporterOptions {
  stream?: NodeJS.WriteStream;
  /** Force bars (true) or lines (false); default: whether the stream is a TTY. */
  tty?: boolean;
  /** Plain mode: at most one progress line per this many ms (default 10 s), plus one at each epoch end. */
  intervalMs?: number;
}

const fmtLoss = (l: number) => (Number.isFinite(l) ? l.toFixed(4) : '-');

export function createReporter(opts: ReporterOptions = {}): Reporter {
  const stream = opts.stream ?? process.stderr;
  const write = (line: string) => void stream.write(line + '\n');
  if (opts.tty ?? Boolean(stream.isTTY)) return barReporter(stream, write);
  const interval = opts.intervalMs ?? 10_000;
  let last = Date.now();
  return {
    info: write,
    progress: (p, { imagesPerSecond: ips }) => {
      if (p.phase !== 'train') return;
      const now = Date.now();
      if (now - last < interval && p.step !== p.stepsPerEpoch) return;
      last = now;
      write(`epoch ${p.epoch + 1}/${p.epochs} step ${p.step}/${p.stepsPerEpoch} loss ${fmtLoss(p.loss)} lr ${p.lr.toPrecision(3)} ${ips.toFixed(0)} img/s`);
    },
    download: (label) => createProgressBar(label, { stream, tty: false }),
    stop: () => {},
  };
}

function barReporter(stream: NodeJS.WriteStream, write: (l: string) => void): Reporter {
  let bar: cliProgress.SingleBar | undefined;
  let key = '';
  const close = () => {
    bar?.stop();
    bar = undefined;
    key = '';
  };
  return {
    info: (line) => {
      close();
      write(line);
    },
    progress: (p, { imagesPerSecond: ips, evalSteps }) => {
      const k = `${p.phase}/${p.epoch}`;
      const total = p.phase === 'train' ? p.stepsPerEpoch : Math.max(evalSteps, p.step);
      const payload = { label: p.phase === 'train' ? `epoch ${p.epoch + 1}/${p.epochs}` : 'eval', loss: fmtLoss(p.loss), lr: p.lr.toPrecision(3), ips: ips.toFixed(0) };
      if (k !== key) {
        close();
        const format = p.phase === 'train' ? '{label} [{bar}] {value}/{total} | loss {loss} | lr {lr} | {ips} img/s | eta {eta_formatted}' : '{label} [{bar}] {value}/{total}';
        bar = new cliProgress.SingleBar({ format, stream, hideCursor: true, fps: 5, etaBuffer: 50 }, cliProgress.Presets.shades_classic);
        bar.start(total, p.step, payload);
        key = k;
      } else {
        bar?.update(p.step, payload);
      }
    },
    download: (label) => {
      close();
      return createProgressBar(label, { stream, tty: true });
    },
    stop: close,
  };
}
