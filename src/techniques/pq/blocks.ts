/**
 * Block layout (methods.md §5.2, fairseq pq/pq.py `_reshape`): every output filter is flattened in
 * PyTorch memory order (in, kh, kw) and cut into contiguous blocks of `bs` values, so bs = 9 on a 3×3
 * conv is one spatial kernel, 18 is two kernels, and on a 1×1 conv a block is bs consecutive input
 * channels. Rows of the block matrix are ordered block-index-major, then output channel
 * (row = j·out + o), which is fairseq's `reshape(out, -1, bs).permute(2, 1, 0)` column order.
 *
 * tfjs stores conv kernels HWIO [kh, kw, in, out] and dense kernels [in, out]; both are converted here.
 * Dense convention: fairseq's Linear weight is [out, in] and a block is bs consecutive *input* weights of
 * one output row, i.e. kernel[i..i+bs, o] of the tfjs [in, out] kernel — a dense layer is treated exactly
 * as a 1×1 conv.
 */
import { ConfigError, ShapeError } from '../../core/errors.js';

/** A kernel's geometry in HWIO terms (dense: kh = kw = 1). */
export interface KernelGeom {
  kh: number;
  kw: number;
  cin: number;
  cout: number;
}

export function geomOf(shape: readonly number[]): KernelGeom {
  if (shape.length === 4) return { kh: shape[0], kw: shape[1], cin: shape[2], cout: shape[3] };
  if (shape.length === 2) return { kh: 1, kw: 1, cin: shape[0], cout: shape[1] };
  throw new ShapeError(`PQ: kernel shape [${shape}] is neither HWIO (4-D) nor dense [in, out] (2-D)`);
}

/** Values per filter (in·kh·kw); fairseq requires it to be a multiple of the block size. */
export function filterSize(g: KernelGeom): number {
  return g.cin * g.kh * g.kw;
}

export function numBlocks(g: KernelGeom, bs: number): number {
  return (filterSize(g) / bs) * g.cout;
}

/** Throws a ConfigError naming the layer when its filters cannot be cut into blocks of `bs`. */
export function checkDivisible(layer: string, g: KernelGeom, bs: number): void {
  const f = filterSize(g);
  if (!Number.isInteger(bs) || bs < 1 || f % bs !== 0) {
    throw new ConfigError(
      `pq.blockSize[${layer}]`,
      `layer "${layer}" (kernel ${g.kh}×${g.kw}, ${g.cin} in, ${g.cout} out) has ${f} values per filter (in·kh·kw), not divisible by block size ${bs}`,
    );
  }
}

/** Offset in the HWIO array of filter element p (in (in, kh, kw) order) for output channel 0. */
function hwioOffsets(g: KernelGeom): Int32Array {
  const f = filterSize(g);
  const offs = new Int32Array(f);
  const khw = g.kh * g.kw;
  for (let p = 0; p < f; p++) {
    const i = Math.floor(p / khw);
    const r = p % khw;
    const y = Math.floor(r / g.kw);
    const x = r % g.kw;
    offs[p] = ((y * g.kw + x) * g.cin + i) * g.cout;
  }
  return offs;
}

/** HWIO (or [in, out]) kernel → block matrix (#blocks × bs, row = j·cout + o). */
export function kernelToBlocks(kernel: Float32Array, shape: readonly number[], bs: number, layer = '<kernel>'): Float32Array {
  const g = geomOf(shape);
  checkDivisible(layer, g, bs);
  const f = filterSize(g);
  if (kernel.length !== f * g.cout) throw new ShapeError(`PQ: layer "${layer}" kernel has ${kernel.length} values, shape [${shape}] needs ${f * g.cout}`);
  const offs = hwioOffsets(g);
  const nbf = f / bs;
  const out = new Float32Array(kernel.length);
  for (let j = 0; j < nbf; j++) {
    for (let o = 0; o < g.cout; o++) {
      const row = (j * g.cout + o) * bs;
      for (let t = 0; t < bs; t++) out[row + t] = kernel[offs[j * bs + t] + o];
    }
  }
  return out;
}

/** Inverse of kernelToBlocks. */
export function blocksToKernel(blocks: Float32Array, shape: readonly number[], bs: number): Float32Array {
  const g = geomOf(shape);
  checkDivisible('<kernel>', g, bs);
  const f = filterSize(g);
  const offs = hwioOffsets(g);
  const nbf = f / bs;
  const out = new Float32Array(blocks.length);
  for (let j = 0; j < nbf; j++) {
    for (let o = 0; o < g.cout; o++) {
      const row = (j * g.cout + o) * bs;
      for (let t = 0; t < bs; t++) out[offs[j * bs + t] + o] = blocks[row + t];
    }
  }
  return out;
}

/**
 * Reconstructs the block matrix from a codebook: `centroids` is (m·K) × d with d = bs/m (subspace s owns
 * rows s·K … s·K+K−1), `codes` holds m local indices per block (block-major). m = 1 is VQ of blocks.
 */
export function decodeBlocks(centroids: Float32Array, codes: ArrayLike<number>, k: number, m: number, d: number): Float32Array {
  const nb = codes.length / m;
  const out = new Float32Array(nb * m * d);
  for (let b = 0; b < nb; b++) {
    for (let s = 0; s < m; s++) {
      const src = (s * k + codes[b * m + s]) * d;
      const dst = (b * m + s) * d;
      for (let t = 0; t < d; t++) out[dst + t] = centroids[src + t];
    }
  }
  return out;
}

/** Kind of a quantisable layer, used to pick the default block size (methods.md §5.4). */
export type LayerKind = 'conv3x3' | 'conv1x1' | 'convkxk' | 'dense';

export function layerKind(g: KernelGeom, isDense: boolean): LayerKind {
  if (isDense) return 'dense';
  if (g.kh === 1 && g.kw === 1) return 'conv1x1';
  if (g.kh === 3 && g.kw === 3) return 'conv3x3';
  return 'convkxk';
}
