/**
 * Exact storage accounting (methods.md §5.6, fairseq pq/utils.py `SizeTracker`):
 *   quantised layer = #blocks·m·⌈log2 K⌉ bits of indices (rounded up to whole bytes per layer)
 *                   + m·K·d = K·bs codebook values at 2 (fp16) or 4 (fp32) bytes
 *   everything else (biases, BN, unquantised layers) = 4 bytes per value.
 * fairseq's formula uses log2 K exactly, valid for powers of two; here a non-power-of-two K costs
 * ⌈log2 K⌉ bits, which is what the bit-packed file stores. Example (the research note's 64×64×3×3 conv,
 * K 256, bs 9): 4096 B + 4608 B = 8704 B vs 147 456 B fp32.
 */
export interface QuantLayerSize {
  layer: string;
  numel: number;
  blockSize: number;
  k: number;
  subspaces: number;
  nBlocks: number;
  bitsPerIndex: number;
  indexBytes: number;
  codebookBytes: number;
  bytes: number;
  fp32Bytes: number;
}

export function bitsPerIndex(k: number): number {
  return Math.max(1, Math.ceil(Math.log2(k)));
}

export function quantLayerSize(
  layer: string,
  numel: number,
  blockSize: number,
  k: number,
  opts: { subspaces?: number; centroidBytes?: 2 | 4 } = {},
): QuantLayerSize {
  const m = opts.subspaces ?? 1;
  const cb = opts.centroidBytes ?? 2;
  if (numel % blockSize !== 0) throw new Error(`size: ${layer} has ${numel} values, not a multiple of block size ${blockSize}`);
  const nBlocks = numel / blockSize;
  const bits = bitsPerIndex(k);
  const indexBytes = Math.ceil((nBlocks * m * bits) / 8);
  const codebookBytes = k * blockSize * cb; // m codebooks of K × (bs/m)
  return {
    layer, numel, blockSize, k, subspaces: m, nBlocks, bitsPerIndex: bits,
    indexBytes, codebookBytes, bytes: indexBytes + codebookBytes, fp32Bytes: numel * 4,
  };
}

export interface ModelSize {
  /** All parameters at fp32. */
  fp32Bytes: number;
  /** Quantised layers' indices + codebooks, plus every other parameter at 4 bytes. */
  compressedBytes: number;
  ratio: number;
  layers: QuantLayerSize[];
  otherParams: number;
}

/** Model size: `totalParams` counts every parameter (quantised kernels included). */
export function modelSize(totalParams: number, layers: QuantLayerSize[]): ModelSize {
  const quantNumel = layers.reduce((s, l) => s + l.numel, 0);
  const otherParams = totalParams - quantNumel;
  const compressedBytes = layers.reduce((s, l) => s + l.bytes, 0) + 4 * otherParams;
  return { fp32Bytes: 4 * totalParams, compressedBytes, ratio: (4 * totalParams) / compressedBytes, layers, otherParams };
}

export function formatBytes(b: number): string {
  if (b < 1024) return `${b} B`;
  if (b < 1024 * 1024) return `${(b / 1024).toFixed(1)} KiB`;
  return `${(b / 1024 / 1024).toFixed(2)} MiB`;
}
