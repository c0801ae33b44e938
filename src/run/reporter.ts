/**
 * How a running job tells its caller what it is doing. The run layer only knows this interface; the
 * CLI injects its terminal implementation (cli-progress bars, src/cli/progress.ts), library callers
 * pass their own or get the silent default.
 */
import type { TrainProgress } from '../train/loop.js';
import type { DownloadProgress } from '../data/download.js';

export interface ProgressInfo {
  /** Training throughput so far. */
  imagesPerSecond: number;
  /** Batches per evaluation (the eval bar's total). */
  evalSteps: number;
}

/** A display for one download (e.g. CIFAR-10 fetched on first use). */
export interface DownloadDisplay {
  onProgress: (p: DownloadProgress) => void;
  stop: () => void;
}

export interface Reporter {
  /** A line of information (an implementation stops a live bar first so lines never interleave with it). */
  info(line: string): void;
  /** A training or evaluation step. */
  progress(p: TrainProgress, info: ProgressInfo): void;
  /** A display for a download that is about to start (optional: none by default). */
  download?(label: string): DownloadDisplay;
  stop(): void;
}

/** A reporter that prints nothing: the default of every run-layer function. */
export const silentReporter: Reporter = { info: () => {}, progress: () => {}, stop: () => {} };
