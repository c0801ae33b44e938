/** Safetensors-aware mutations (shared by the safetensors, PQ and checkpoint targets). */
import type { Rng } from '../../../src/core/rng.js';
import { byteMutation, deepJson, mutateJson, pick, stringifyJson } from '../mutate.js';

export function splitSafetensors(b: Uint8Array): { header: unknown; data: Uint8Array } {
  const n = Number(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + n))), data: b.subarray(8 + n) };
}

export function joinSafetensors(headerText: string | Uint8Array, data: Uint8Array, declaredLength?: bigint): Uint8Array {
  const h = typeof headerText === 'string' ? new TextEncoder().encode(headerText) : headerText;
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declaredLength ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

/** One mutation of a valid safetensors file: bytes, header fields, header framing or data coverage. */
export function mutateSafetensors(rng: Rng, file: Uint8Array): { label: string; bytes: Uint8Array } {
  const { header, data } = splitSafetensors(file);
  const r = rng.int(20);
  if (r < 5) {
    const m = byteMutation(rng, file);
    return { label: `bytes: ${m.label}`, bytes: m.bytes };
  }
  if (r < 13) {
    const m = mutateJson(rng, header);
    return { label: `header ${m.label}`, bytes: joinSafetensors(stringifyJson(m.value), data) };
  }
  const text = JSON.stringify(header);
  switch (r) {
    case 13: return { label: 'header does not start with {', bytes: joinSafetensors(pick(rng, [' ', '\n', '[', '"x"', '\ufeff']) + text, data) };
    case 14: return { label: 'header length field huge', bytes: joinSafetensors(text, data, pick(rng, [2n ** 63n, 2n ** 64n - 1n, 2n ** 32n, BigInt(file.length)])) };
    case 15: return { label: 'deeply nested header', bytes: joinSafetensors(`{"__metadata__":${deepJson(1000 + rng.int(200_000), pick(rng, ['array', 'object']))}}`, data) };
    case 16: return { label: 'trailing bytes not covered by any tensor', bytes: joinSafetensors(text, Uint8Array.from([...data, ...new Uint8Array(1 + rng.int(16))])) };
    case 17: {
      // many tensors sharing one byte range (overlap) or a large number of entries
      const h = header as Record<string, { data_offsets?: number[] }>;
      const names = Object.keys(h).filter((k) => k !== '__metadata__');
      const src = h[pick(rng, names)];
      const copies = 1 + rng.int(50_000);
      const extra: Record<string, unknown> = { ...h };
      for (let i = 0; i < copies; i++) extra[`dup.${i}`] = src;
      return { label: `${copies} tensors overlapping one range`, bytes: joinSafetensors(JSON.stringify(extra), data) };
    }
    case 18: return { label: 'header is not UTF-8', bytes: joinSafetensors(Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]), data) };
    default: return { label: 'header length 0', bytes: joinSafetensors('', data) };
  }
}
