/** Bounded byte reader for the unpickler (src/io/pickle.ts): every read is range-checked, every allocation counted. */
import { FormatError } from '../core/errors.js';

export interface PickleLimits {
  /** Most memo entries (PUT/MEMOIZE). */
  maxMemo: number;
  /** Most bytes of strings/bytes/containers created in total. */
  maxAlloc: number;
  /** Most items on the stack at once. */
  maxStack: number;
}
export const DEFAULT_LIMITS: PickleLimits = { maxMemo: 1_000_000, maxAlloc: 256 * 1024 * 1024, maxStack: 1_000_000 };

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class Reader {
  pos = 0;
  private allocated = 0;
  private readonly dv: DataView;
  constructor(
    private readonly buf: Uint8Array,
    private readonly file: string,
    private readonly limits: PickleLimits,
  ) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  private need(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0 || this.pos + n > this.buf.length) {
      throw new FormatError(this.file, `pickle: truncated input (need ${n} bytes at byte ${this.pos} of ${this.buf.length})`);
    }
  }
  alloc(n: number): void {
    this.allocated += n;
    if (this.allocated > this.limits.maxAlloc) {
      throw new FormatError(this.file, `pickle: allocation limit of ${this.limits.maxAlloc} bytes exceeded`);
    }
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }
  u16(): number {
    this.need(2);
    const v = this.dv.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.dv.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(): number {
    this.need(8);
    const v = this.dv.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError(this.file, `pickle: length ${v} too large`);
    return Number(v);
  }
  f64be(): number {
    this.need(8);
    const v = this.dv.getFloat64(this.pos, false);
    this.pos += 8;
    return v;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    this.alloc(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  utf8(n: number): string {
    const b = this.bytes(n);
    try {
      return utf8.decode(b);
    } catch {
      // Python writes surrogates with 'surrogatepass'; fall back to lenient decoding
      return new TextDecoder().decode(b);
    }
  }
  latin1(n: number): string {
    const b = this.bytes(n);
    let s = '';
    for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
    return s;
  }
  /** A newline-terminated ASCII argument (protocol-0 opcodes, GLOBAL). */
  line(): string {
    const end = this.buf.indexOf(0x0a, this.pos);
    if (end < 0) throw new FormatError(this.file, `pickle: unterminated line at byte ${this.pos}`);
    const s = this.latin1(end - this.pos);
    this.pos = end + 1;
    return s;
  }
}

/** Two's-complement little-endian integer (LONG1/LONG4); a bigint when it does not fit a double exactly. */
export function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}
