/**
 * Download progress display: a cli-progress bar on a TTY, plain log lines otherwise (CI logs, pipes), so
 * logs never fill with carriage-return garbage.
 */
import cliProgress from 'cli-progress';

import type { DownloadProgress } from '../data/download.js';

export interface ProgressBar {
  /** Pass as `onProgress` to `downloadCifar10`. */
  onProgress: (p: DownloadProgress) => void;
  stop: () => void;
}

export interface ProgressBarOptions {
  /** Where the bar/lines go (default process.stderr). */
  stream?: NodeJS.WriteStream;
  /** Force the bar (true) or plain lines (false); default: whether `stream` is a TTY. */
  tty?: boolean;
  /** Plain-mode line sink (default: write the line to `stream`). */
  log?: (line: string) => void;
}

const mb = (b: number): string => (b / 1048576).toFixed(1);

export function createProgressBar(label = 'download', opts: ProgressBarOptions = {}): ProgressBar {
  const stream = opts.stream ?? process.stderr;
  const tty = opts.tty ?? Boolean(stream.isTTY);
  if (tty) return ttyBar(label, stream);
  const log = opts.log ?? ((line: string) => void stream.write(line + '\n'));
  let lastStep = -1;
  let lastTime = 0;
  let last: DownloadProgress | null = null;
  return {
    onProgress: (p) => {
      last = p;
      if (p.total) {
        // One line per 10%.
        const step = Math.floor((10 * p.received) / p.total);
        if (step > lastStep) {
          lastStep = step;
          log(`${label}: ${step * 10}% (${mb(p.received)}/${mb(p.total)} MB)`);
        }
      } else if (Date.now() - lastTime >= 5000) {
        lastTime = Date.now();
        log(`${label}: ${mb(p.received)} MB`);
      }
    },
    stop: () => {
      if (last && !(last.total && lastStep >= 10)) log(`${label}: done (${mb(last.received)} MB)`);
    },
  };
}

function ttyBar(label: string, stream: NodeJS.WriteStream): ProgressBar {
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% | {got}/{all} MB`, stream, hideCursor: true, fps: 10 },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onProgress: (p) => {
      const total = p.total ?? Math.max(p.received, 1);
      const payload = { got: mb(p.received), all: p.total ? mb(p.total) : '?' };
      if (!started) {
        bar.start(total, p.received, payload);
        started = true;
      } else {
        if (!p.total) bar.setTotal(total);
        bar.update(p.received, payload);
      }
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
