/**
 * Loads the oneDNN addon (native/build/Release/whittle_native.node) and initialises it. The addon is not
 * linked against oneDNN: `init()` dlopens libdnnl.so.2, so a missing library is a clean, catchable error.
 * Env overrides: WHITTLE_NATIVE_ADDON (path of the .node file), WHITTLE_DNNL_LIB (library to dlopen).
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeAddon {
  init(libPath: string, threads: number): { version: string; threads: number; path: string };
  setThreads(n: number): number;
  /**
   * Returns 1 if the Winograd path ran; only then are the blocked (nChw16c) buffers used: xb filled from
   * x (kept for the backward pass) or, with xbGiven, read instead of x (x may be null); yb receives the
   * output instead of y (y may be null). Blocked operands for another geometry are an error. Returns 2 if
   * `stats` (2 x outChannels) received y's per-channel batch mean then biased variance (16-channel direct
   * kernel), else 0. `wPrep` (conv2dWeightsSize floats): w in the primitive's layout, filled now unless
   * `wPrepFilled`, then reused by later calls with the same weights instead of reordering them each time.
   */
  conv2d(
    x: Float32Array | null, w: Float32Array, bias: Float32Array | null, y: Float32Array | null, dims: Int32Array, relu: boolean,
    xb?: Float32Array | null, xbGiven?: boolean, yb?: Float32Array | null, stats?: Float32Array | null,
    wPrep?: Float32Array | null, wPrepFilled?: boolean,
  ): number;
  /** Floats of a prepared weights copy for conv2d's forward at this geometry; 0 where none is used. */
  conv2dWeightsSize(dims: Int32Array, bias: boolean, relu: boolean): number;
  conv2dBackpropInput(dy: Float32Array, w: Float32Array, dx: Float32Array, dims: Int32Array): void;
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, dbias: Float32Array | null, dims: Int32Array): void;
  /** Both backward passes sharing one reorder of dy; false (nothing written) unless the geometry runs Winograd. */
  conv2dBackward(
    x: Float32Array | null, dy: Float32Array | null, w: Float32Array, dx: Float32Array | null, dw: Float32Array, dims: Int32Array,
    xb?: Float32Array | null, dyb?: Float32Array | null, dxb?: Float32Array | null,
  ): boolean;
  /** Average pooling over NHWC windows; dims [n, h, w, c, oh, ow, fh, fw, sh, sw, padTop, padLeft]. */
  avgPool(x: Float32Array, dims: Int32Array, out: Float32Array): void;
  /** NHWC <-> nChw16c for n images of hw pixels, c a multiple of 16. */
  toBlocked16(src: Float32Array, n: number, hw: number, c: number, dst: Float32Array): void;
  fromBlocked16(src: Float32Array, n: number, hw: number, c: number, dst: Float32Array): void;
  /** bnStats / bnApply / bnApplyBackward on nChw16c data. */
  bnStatsB16(x: Float32Array, n: number, hw: number, c: number, mean: Float32Array, variance: Float32Array): void;
  bnApplyB16(
    x: Float32Array, n: number, hw: number, c: number, mean: Float32Array, variance: Float32Array, gamma: Float32Array | null,
    beta: Float32Array | null, eps: number, residual: Float32Array | null, relu: boolean, y: Float32Array,
  ): void;
  bnApplyBwdB16(
    x: Float32Array, dy: Float32Array, n: number, hw: number, c: number, mean: Float32Array, variance: Float32Array,
    gamma: Float32Array | null, beta: Float32Array | null, eps: number, relu: boolean, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array,
  ): void;
  gemm(
    ta: boolean, tb: boolean, batch: number, m: number, n: number, k: number,
    a: Float32Array, sa: number, b: Float32Array, sb: number, c: Float32Array, bias: Float32Array | null, act: number,
  ): void;
  binary(op: number, shape: Int32Array, a: Float32Array, as: Int32Array, b: Float32Array, bs: Int32Array, out: Float32Array): void;
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void;
  reduce(op: number, outer: number, r: number, inner: number, x: Float32Array, out: Float32Array): void;
  batchNorm(
    x: Float32Array, mean: Float32Array, variance: Float32Array, offset: Float32Array | null,
    scale: Float32Array | null, eps: number, c: number, y: Float32Array,
  ): void;
  softmax(rows: number, cols: number, x: Float32Array, y: Float32Array, log: boolean): void;
  transpose(shape: Int32Array, perm: Int32Array, x: Float32Array, y: Float32Array): void;
  addN(xs: Float32Array[], out: Float32Array): void;
  stridedCopy(shape: Int32Array, src: Float32Array, srcStrides: Int32Array, srcOffset: number, dst: Float32Array, dstStrides: Int32Array, dstOffset: number): void;
  fill(out: Float32Array, value: number): void;
  batchNormGrad(
    x: Float32Array, dy: Float32Array, mean: Float32Array, variance: Float32Array, scale: Float32Array | null,
    eps: number, c: number, dx: Float32Array, s1: Float32Array, s2: Float32Array,
  ): void;
  bnStats(x: Float32Array, c: number, mean: Float32Array, variance: Float32Array): void;
  bnApply(
    x: Float32Array, mean: Float32Array, variance: Float32Array, gamma: Float32Array | null, beta: Float32Array | null,
    eps: number, c: number, residual: Float32Array | null, relu: boolean, y: Float32Array,
  ): void;
  bnApplyBackward(
    x: Float32Array, dy: Float32Array, mean: Float32Array, variance: Float32Array, gamma: Float32Array | null,
    beta: Float32Array | null, eps: number, c: number, relu: boolean, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array,
  ): void;
  /** out = x > 0 ? a + b : 0 */
  reluGradAdd(a: Float32Array, b: Float32Array, x: Float32Array, out: Float32Array): void;
  /** out = v + c * g (float32, no fused multiply-add, as tfjs's SGD) */
  sgdUpdate(v: Float32Array, g: Float32Array, c: number, out: Float32Array): void;
  clearCache(): void;
}

export interface LoadedAddon {
  addon: NativeAddon;
  version: string;
  threads: number;
  addonPath: string;
  libPath: string;
}

const here = dirname(fileURLToPath(import.meta.url));
/** Where `node scripts/build-native.mjs` puts the addon. */
export const DEFAULT_ADDON_PATH = resolve(here, '../../../native/build/Release/whittle_native.node');

export function addonPath(): string {
  return process.env.WHITTLE_NATIVE_ADDON || DEFAULT_ADDON_PATH;
}

let loaded: LoadedAddon | undefined;

/** Threads for OpenMP/oneDNN: `threads`, else WHITTLE_THREADS, else the core count. */
export function defaultThreads(threads?: number): number {
  const env = Number(process.env.WHITTLE_THREADS);
  if (threads && threads > 0) return threads;
  if (Number.isInteger(env) && env > 0) return env;
  return availableParallelism();
}

/**
 * Loads and initialises the addon once; throws with the reason when it is not built or oneDNN is missing.
 * @example const { addon, version } = loadAddon(); // version '2.6.3'
 */
export function loadAddon(threads?: number): LoadedAddon {
  if (loaded) {
    if (threads && threads > 0 && threads !== loaded.threads) loaded.threads = loaded.addon.setThreads(threads);
    return loaded;
  }
  const path = addonPath();
  if (!existsSync(path)) {
    throw new Error(`addon not built (${path} missing; run "npx whittle build-native", which needs g++, make, python3 and libdnnl-dev; npm 11 skips install scripts unless allowed)`);
  }
  // libgomp reads its settings when the addon pulls it in. Passive waiting (threads sleep at barriers
  // instead of spinning) keeps 2-thread OpenMP from collapsing when other processes share the cores:
  // measured 206 vs 877 ms per vanilla training step at load average 12. Users can override it.
  if (process.env.OMP_WAIT_POLICY === undefined) process.env.OMP_WAIT_POLICY = 'passive';
  const require = createRequire(import.meta.url);
  let addon: NativeAddon;
  try {
    addon = require(path) as NativeAddon;
  } catch (e) {
    throw new Error(`addon ${path} failed to load: ${(e as Error).message.split('\n')[0]}`, { cause: e });
  }
  const libPath = process.env.WHITTLE_DNNL_LIB || 'libdnnl.so.2';
  const info = addon.init(libPath, defaultThreads(threads));
  loaded = { addon, version: info.version, threads: info.threads, addonPath: path, libPath };
  return loaded;
}
