/**
 * Fixed-width bit packing of index streams (⌈log2 K⌉ bits each, LSB-first within little-endian bytes).
 * Pure TypeScript (used by the browser decoder).
 */
export function packBits(values: ArrayLike<number>, bits: number): Uint8Array {
  if (!(bits >= 1 && bits <= 24)) throw new Error(`packBits: ${bits} bits per value not in 1..24`);
  const out = new Uint8Array(Math.ceil((values.length * bits) / 8));
  let pos = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < 0 || v >= 2 ** bits) throw new Error(`packBits: value ${v} at ${i} does not fit in ${bits} bits`);
    for (let b = 0; b < bits; b++, pos++) if ((v >>> b) & 1) out[pos >>> 3] |= 1 << (pos & 7);
  }
  return out;
}

export function unpackBits(data: Uint8Array, bits: number, count: number): Int32Array {
  if (data.length * 8 < count * bits) throw new Error(`unpackBits: ${data.length} bytes hold fewer than ${count} values of ${bits} bits`);
  const out = new Int32Array(count);
  let pos = 0;
  for (let i = 0; i < count; i++) {
    let v = 0;
    for (let b = 0; b < bits; b++, pos++) v |= ((data[pos >>> 3] >>> (pos & 7)) & 1) << b;
    out[i] = v;
  }
  return out;
}
