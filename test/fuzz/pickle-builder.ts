import { float32ToHalf } from '../../src/io/safetensors.js';
/** A tiny protocol-2 pickle writer for hostile torch files (deep chains, amplification, bad tensor views). */
export class PickleBuilder {
  private readonly parts: number[] = [0x80, 0x02];
  private op(...b: number[]): this {
    for (const x of b) this.parts.push(x);
    return this;
  }
  private u32(n: number): number[] {
    return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.op(0x58, ...this.u32(b.length), ...b);
  }
  int(n: number | bigint): this {
    if (typeof n === 'number' && Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31) return this.op(0x4a, ...this.u32(n >>> 0));
    let v = BigInt(typeof n === 'number' ? Math.trunc(n) : n);
    const bytes: number[] = [];
    for (let i = 0; i < 9; i++, v >>= 8n) bytes.push(Number(v & 0xffn));
    return this.op(0x8a, bytes.length, ...bytes);
  }
  float(x: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, x, false);
    return this.op(0x47, ...b);
  }
  bool(v: boolean): this {
    return this.op(v ? 0x88 : 0x89);
  }
  none(): this {
    return this.op(0x4e);
  }
  global(module: string, name: string): this {
    return this.op(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`));
  }
  mark(): this {
    return this.op(0x28);
  }
  tuple(): this {
    return this.op(0x74);
  }
  list(): this {
    return this.op(0x6c);
  }
  emptyDict(): this {
    return this.op(0x7d);
  }
  emptyList(): this {
    return this.op(0x5d);
  }
  emptyTuple(): this {
    return this.op(0x29);
  }
  setitem(): this {
    return this.op(0x73);
  }
  setitems(): this {
    return this.op(0x75);
  }
  append(): this {
    return this.op(0x61);
  }
  appends(): this {
    return this.op(0x65);
  }
  reduce(): this {
    return this.op(0x52);
  }
  newobj(): this {
    return this.op(0x81);
  }
  build(): this {
    return this.op(0x62);
  }
  binpersid(): this {
    return this.op(0x51);
  }
  put(i: number): this {
    return this.op(0x72, ...this.u32(i));
  }
  get(i: number): this {
    return this.op(0x6a, ...this.u32(i));
  }
  value(v: unknown): this {
    if (typeof v === 'string') return this.str(v);
    if (typeof v === 'boolean') return this.bool(v);
    if (v === null || v === undefined) return this.none();
    if (typeof v === 'number' && !Number.isInteger(v)) return this.float(v);
    if (typeof v === 'number' || typeof v === 'bigint') return this.int(v);
    if (Array.isArray(v)) {
      this.mark();
      for (const x of v) this.value(x);
      return this.tuple();
    }
    throw new Error(`PickleBuilder.value: ${typeof v}`);
  }
  /** torch._utils._rebuild_tensor_v2(storage(pid), offset, shape, stride, False, OrderedDict()). */
  tensor(storage: { type: string; key: string; numel: unknown }, offset: unknown, shape: unknown[], stride: unknown[]): this {
    this.global('torch._utils', '_rebuild_tensor_v2').mark();
    this.mark().str('storage').global('torch', storage.type).str(storage.key).str('cpu').value(storage.numel).tuple().binpersid();
    this.value(offset).value(shape).value(stride).bool(false).global('collections', 'OrderedDict').emptyTuple().reduce();
    return this.tuple().reduce();
  }
  stop(): Uint8Array {
    this.parts.push(0x2e);
    return Uint8Array.from(this.parts);
  }
}

/** A `torch.save(state_dict)`-style zip (F16 or F32 storages, one per tensor), for small valid seeds. */
export function torchSave(tensors: Map<string, { shape: number[]; data: Float32Array | Int32Array }>, root = 'archive', dtype: 'F16' | 'F32' = 'F16'): Record<string, Uint8Array> {
  const p = new PickleBuilder();
  const entries: Record<string, Uint8Array> = {};
  p.emptyDict().mark();
  let i = 0;
  for (const [key, t] of tensors) {
    const n = t.data.length;
    const isInt = t.data instanceof Int32Array;
    const type = isInt ? 'LongStorage' : dtype === 'F16' ? 'HalfStorage' : 'FloatStorage';
    const stride = t.shape.map((_, d) => t.shape.slice(d + 1).reduce((a, b) => a * b, 1));
    p.str(key).tensor({ type, key: String(i), numel: n }, 0, t.shape, stride);
    entries[`${root}/data/${i}`] = isInt
      ? new Uint8Array(BigInt64Array.from(t.data as Int32Array, (v) => BigInt(v)).buffer)
      : dtype === 'F16' ? new Uint8Array(float32ToHalf(t.data as Float32Array).buffer) : new Uint8Array((t.data as Float32Array).slice().buffer);
    i++;
  }
  p.setitems();
  entries[`${root}/data.pkl`] = p.stop();
  entries[`${root}/version`] = new TextEncoder().encode('3\n');
  return entries;
}
