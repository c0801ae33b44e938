/**
 * Quantising one kernel (methods.md §5.1–§5.3): blocks → k-means → codebook + codes.
 * m = 1 is what fairseq and kill-the-bits call PQ: one codebook per layer shared by every block
 * position, i.e. vector quantisation of blocks. m > 1 is true product quantisation: each block is split
 * into m sub-vectors of d = bs/m values and sub-space s gets its own K-centroid codebook (K^m
 * representable blocks from m·K centroids, at m·log2 K index bits per block).
 */
import { Rng } from '../../core/rng.js';
import { blocksToKernel, decodeBlocks, kernelToBlocks } from './blocks.js';
import { kmeans } from './kmeans.js';

export interface QuantizedKernel {
  shape: number[];
  blockSize: number;
  k: number;
  /** m sub-spaces (1 = VQ). */
  subspaces: number;
  /** (m·K) × d centroids, d = blockSize/m; sub-space s owns rows s·K … s·K + K − 1. */
  codebook: Float32Array;
  /** m local codes (0..K−1) per block, block-major; blocks ordered j·cout + o (see blocks.ts). */
  codes: Int32Array;
  /** Blocks assigned per centroid, same layout as the codebook rows. */
  counts: Int32Array;
  /** k-means objective per iteration, summed over sub-spaces. */
  objective: number[];
  emptyClusterError?: string;
}

export interface QuantizeOptions {
  blockSize: number;
  k: number;
  subspaces?: number;
  iterations?: number;
  maxTentatives?: number;
  eps?: number;
  seed?: number;
  rng?: Rng;
  layer?: string;
}

export function quantizeKernel(kernel: Float32Array, shape: readonly number[], opts: QuantizeOptions): QuantizedKernel {
  const bs = opts.blockSize;
  const m = opts.subspaces ?? 1;
  if (bs % m !== 0) throw new Error(`PQ: block size ${bs} not divisible into ${m} sub-vectors`);
  const d = bs / m;
  const blocks = kernelToBlocks(kernel, shape, bs, opts.layer);
  const nb = blocks.length / bs;
  const rng = opts.rng ?? new Rng(opts.seed ?? 0);
  const codebook = new Float32Array(m * opts.k * d);
  const codes = new Int32Array(nb * m);
  const counts = new Int32Array(m * opts.k);
  const objective: number[] = [];
  let emptyClusterError: string | undefined;
  const sub = new Float32Array(nb * d);
  for (let s = 0; s < m; s++) {
    for (let b = 0; b < nb; b++) for (let t = 0; t < d; t++) sub[b * d + t] = blocks[b * bs + s * d + t];
    const r = kmeans(sub, d, { k: opts.k, iterations: opts.iterations, maxTentatives: opts.maxTentatives, eps: opts.eps, rng });
    codebook.set(r.centroids, s * opts.k * d);
    counts.set(r.counts, s * opts.k);
    for (let b = 0; b < nb; b++) codes[b * m + s] = r.assignments[b];
    r.objective.forEach((o, i) => (objective[i] = (objective[i] ?? 0) + o));
    if (r.emptyClusterError) emptyClusterError = `${opts.layer ?? 'kernel'} sub-space ${s}: ${r.emptyClusterError}`;
  }
  return { shape: [...shape], blockSize: bs, k: opts.k, subspaces: m, codebook, codes, counts, objective, emptyClusterError };
}

/** The dense kernel (HWIO or [in, out]) a quantised kernel stands for. */
export function decodeKernel(q: Pick<QuantizedKernel, 'shape' | 'blockSize' | 'k' | 'subspaces' | 'codebook' | 'codes'>): Float32Array {
  const d = q.blockSize / q.subspaces;
  return blocksToKernel(decodeBlocks(q.codebook, q.codes, q.k, q.subspaces, d), q.shape, q.blockSize);
}

/** Σ (W − Ŵ)² / Σ W² — the relative reconstruction error used in docs/pq-vs-vq.md. */
export function relativeError(w: Float32Array, what: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < w.length; i++) {
    num += (w[i] - what[i]) ** 2;
    den += w[i] * w[i];
  }
  return den === 0 ? num : num / den;
}
