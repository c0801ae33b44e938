/**
 * Row gather and segment sum over the first axis as plain typed-array loops, O(size), shared by the
 * native backend's kernels and the cpu/wasm UnsortedSegmentSum Whittle registers (pq/segment-sum-kernels.ts).
 */

/** out[s, …] += x[i, …] for ids[i] = s; out-of-range ids are dropped (TF semantics). */
export function segmentSumInto(out: Float32Array, x: ArrayLike<number>, ids: ArrayLike<number>, inner: number, numSegments: number): void {
  out.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const o = s * inner;
    const xo = i * inner;
    for (let t = 0; t < inner; t++) out[o + t] += x[xo + t];
  }
}

/** out[i, …] = x[ids[i], …]; throws on an out-of-range index, as tfjs does. */
export function gatherRowsInto(out: Float32Array, x: Float32Array, ids: ArrayLike<number>, inner: number, rows: number): void {
  for (let i = 0; i < ids.length; i++) {
    const r = ids[i];
    if (r < 0 || r >= rows) throw new Error(`GatherV2: index ${r} at position ${i} is outside [0, ${rows - 1}]`);
    out.set(x.subarray(r * inner, (r + 1) * inner), i * inner);
  }
}
