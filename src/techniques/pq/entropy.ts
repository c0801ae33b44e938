/**
 * Canonical Huffman coding of PQ index streams (methods.md §5.6 notes neither fairseq nor kill-the-bits
 * entropy-codes indices; centroid usage is skewed, so this saves bits). Pure TypeScript, no Node APIs
 * (the browser decoder uses it). The code table is stored as one code length (byte) per symbol.
 * Optimal Huffman spends < H + 1 bits per symbol; lengths are limited to `maxLen` by halving the
 * frequencies and rebuilding (only hit by extremely skewed streams).
 */

/** Empirical entropy in bits/symbol. */
export function empiricalEntropy(symbols: ArrayLike<number>, k: number): number {
  const f = frequencies(symbols, k);
  const n = symbols.length;
  let h = 0;
  for (let s = 0; s < k; s++) if (f[s] > 0) h -= (f[s] / n) * Math.log2(f[s] / n);
  return h;
}

export function frequencies(symbols: ArrayLike<number>, k: number): Float64Array {
  const f = new Float64Array(k);
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i];
    if (!(s >= 0 && s < k)) throw new Error(`huffman: symbol ${s} at ${i} outside 0..${k - 1}`);
    f[s]++;
  }
  return f;
}

/** Huffman code lengths (0 = unused symbol); a single used symbol gets length 1. */
export function huffmanCodeLengths(freq: ArrayLike<number>, maxLen = 24): Uint8Array {
  const k = freq.length;
  let f = Float64Array.from(freq);
  for (;;) {
    const lengths = new Uint8Array(k);
    const used: number[] = [];
    for (let s = 0; s < k; s++) if (f[s] > 0) used.push(s);
    if (used.length === 0) return lengths;
    if (used.length === 1) {
      lengths[used[0]] = 1;
      return lengths;
    }
    // Two-queue construction over leaves sorted by frequency: O(n log n), no heap.
    used.sort((a, b) => f[a] - f[b] || a - b);
    const nLeaves = used.length;
    const weight = new Float64Array(2 * nLeaves);
    const parent = new Int32Array(2 * nLeaves).fill(-1);
    for (let i = 0; i < nLeaves; i++) weight[i] = f[used[i]];
    let leaf = 0;
    let inner = nLeaves;
    let next = nLeaves;
    const pick = (): number => {
      if (leaf < nLeaves && (inner >= next || weight[leaf] <= weight[inner])) return leaf++;
      return inner++;
    };
    while (next < 2 * nLeaves - 1) {
      const a = pick();
      const b = pick();
      weight[next] = weight[a] + weight[b];
      parent[a] = next;
      parent[b] = next;
      next++;
    }
    const depth = new Int32Array(2 * nLeaves - 1);
    let maxDepth = 0;
    for (let i = 2 * nLeaves - 3; i >= 0; i--) {
      depth[i] = depth[parent[i]] + 1;
      if (i < nLeaves) maxDepth = Math.max(maxDepth, depth[i]);
    }
    if (maxDepth <= maxLen) {
      for (let i = 0; i < nLeaves; i++) lengths[used[i]] = depth[i];
      return lengths;
    }
    f = f.map((v) => (v > 0 ? Math.max(1, Math.floor(v / 2)) : 0));
  }
}

/** Canonical codes: symbols sorted by (length, symbol) get consecutive codes. */
function canonical(lengths: Uint8Array): { codes: Uint32Array; order: number[]; maxLen: number } {
  const order: number[] = [];
  for (let s = 0; s < lengths.length; s++) if (lengths[s] > 0) order.push(s);
  order.sort((a, b) => lengths[a] - lengths[b] || a - b);
  const codes = new Uint32Array(lengths.length);
  let code = 0;
  let prev = 0;
  for (const s of order) {
    code <<= lengths[s] - prev;
    prev = lengths[s];
    codes[s] = code++;
  }
  return { codes, order, maxLen: prev };
}

export interface HuffmanStream {
  /** Code length per symbol (the table stored with the stream: K bytes). */
  lengths: Uint8Array;
  /** MSB-first bitstream. */
  data: Uint8Array;
  bitLength: number;
  count: number;
}

export function huffmanEncode(symbols: ArrayLike<number>, k: number): HuffmanStream {
  const lengths = huffmanCodeLengths(frequencies(symbols, k));
  const { codes } = canonical(lengths);
  let bits = 0;
  for (let i = 0; i < symbols.length; i++) bits += lengths[symbols[i]];
  const data = new Uint8Array(Math.ceil(bits / 8));
  let pos = 0;
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i];
    const len = lengths[s];
    const c = codes[s];
    for (let b = len - 1; b >= 0; b--) {
      if ((c >>> b) & 1) data[pos >>> 3] |= 0x80 >>> (pos & 7);
      pos++;
    }
  }
  return { lengths, data, bitLength: bits, count: symbols.length };
}

/** Longest code the decoder accepts (the encoder limits lengths to 24). */
export const MAX_CODE_LENGTH = 24;

/** Throws unless the code lengths form a prefix code (each ≤ MAX_CODE_LENGTH, Kraft sum ≤ 1, some symbol used). */
export function checkCodeLengths(lengths: Uint8Array): void {
  let kraft = 0;
  for (let s = 0; s < lengths.length; s++) {
    if (lengths[s] > MAX_CODE_LENGTH) throw new Error(`huffman: code length ${lengths[s]} of symbol ${s} exceeds ${MAX_CODE_LENGTH}`);
    if (lengths[s]) kraft += 2 ** -lengths[s];
  }
  if (kraft === 0) throw new Error('huffman: no symbol has a code');
  if (kraft > 1) throw new Error(`huffman: code lengths are over-subscribed (Kraft sum ${kraft} > 1), not a prefix code`);
}

export function huffmanDecode(lengths: Uint8Array, data: Uint8Array, count: number): Int32Array {
  checkCodeLengths(lengths);
  if (!Number.isSafeInteger(count) || count < 0 || count > data.length * 8) throw new Error(`huffman: ${count} symbols cannot fit in ${data.length} bytes`);
  const { order, maxLen } = canonical(lengths);
  // first[l]: first canonical code of length l; index[l]: its position in `order`; cnt[l]: codes of length l.
  const cnt = new Int32Array(maxLen + 2);
  for (const s of order) cnt[lengths[s]]++;
  const first = new Int32Array(maxLen + 2);
  const index = new Int32Array(maxLen + 2);
  let code = 0;
  let idx = 0;
  for (let l = 1; l <= maxLen; l++) {
    code = (code + cnt[l - 1]) << 1;
    first[l] = code;
    index[l] = idx;
    idx += cnt[l];
  }
  const out = new Int32Array(count);
  let pos = 0;
  const total = data.length * 8;
  for (let i = 0; i < count; i++) {
    let c = 0;
    let l = 0;
    for (;;) {
      if (pos >= total || l >= maxLen) throw new Error(`huffman: corrupt stream at symbol ${i}`);
      c = (c << 1) | ((data[pos >>> 3] >>> (7 - (pos & 7))) & 1);
      pos++;
      l++;
      const off = c - first[l];
      if (off >= 0 && off < cnt[l]) {
        out[i] = order[index[l] + off];
        break;
      }
    }
  }
  return out;
}

export interface EntropyReport {
  count: number;
  /** ⌈log2 K⌉: fixed-width bits per index. */
  fixedBits: number;
  /** Empirical entropy, bits per index. */
  entropy: number;
  /** Huffman payload bits per index (excluding the code-length table). */
  huffmanBits: number;
  /** Including the K-byte code-length table. */
  huffmanBitsWithTable: number;
}

export function entropyReport(symbols: ArrayLike<number>, k: number): EntropyReport {
  const s = huffmanEncode(symbols, k);
  const n = symbols.length || 1;
  return {
    count: symbols.length,
    fixedBits: Math.max(1, Math.ceil(Math.log2(k))),
    entropy: empiricalEntropy(symbols, k),
    huffmanBits: s.bitLength / n,
    huffmanBitsWithTable: (s.bitLength + 8 * s.lengths.length) / n,
  };
}
