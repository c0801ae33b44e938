/**
 * Reads PyTorch `.pt` zip files without PyTorch: plain `torch.save(state_dict)` files and TorchScript archives
 * (`torch.jit.save`, e.g. the official CLIP checkpoints). `<root>/data.pkl` is read by the restricted unpickler;
 * tensors point at `<root>/data/<key>` storages. TorchScript module objects (`__torch__.*`, unknown classes) stay
 * inert records whose BUILD state is flattened into state-dict keys ("visual.conv1.weight").
 * Float storages (f16, bf16, f32, f64) become Float32Array; integer/bool ones Int32Array. Strides are honoured.
 */
import { unzipSync } from 'fflate';
import { FormatError } from '../core/errors.js';
import { halfToFloat32 } from './safetensors.js';
import { unpickle, PyDict, PyObject, PyGlobal, type UnpickleOptions } from './pickle.js';

export type TorchDType = 'F16' | 'BF16' | 'F32' | 'F64' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';
const STORAGE_DTYPES: Record<string, TorchDType> = {
  HalfStorage: 'F16', BFloat16Storage: 'BF16', FloatStorage: 'F32', DoubleStorage: 'F64', LongStorage: 'I64',
  IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL',
};
const DTYPE_NAMES: Record<string, TorchDType> = {
  float16: 'F16', half: 'F16', bfloat16: 'BF16', float32: 'F32', float: 'F32', float64: 'F64', double: 'F64',
  int64: 'I64', long: 'I64', int32: 'I32', int: 'I32', int16: 'I16', int8: 'I8', uint8: 'U8', bool: 'BOOL',
};
const ITEM_BYTES: Record<TorchDType, number> = { F16: 2, BF16: 2, F32: 4, F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export interface StorageRef { key: string; dtype: TorchDType; numel: number }
const STORAGE = Symbol('storage');
const isStorageRef = (v: unknown): v is StorageRef => typeof v === 'object' && v !== null && STORAGE in v;
/** What `_rebuild_tensor_v2` yields while unpickling: a view description, resolved later. */
export class TensorRef {
  constructor(readonly storage: StorageRef, readonly offset: number, readonly shape: number[], readonly stride: number[]) {}
}
export interface TorchTensor {
  /** dtype as stored in the file. */
  dtype: TorchDType;
  shape: number[];
  /** Contiguous row-major values: floats as Float32Array, integers/bools as Int32Array. */
  data: Float32Array | Int32Array;
}
export interface TorchFile {
  kind: 'state_dict' | 'torchscript';
  tensors: Map<string, TorchTensor>;
}

/** Bounds on what a `.pt` file may declare, checked before anything is allocated. */
export interface TorchLimits {
  /** Deepest module nesting of a TorchScript / eager module pickle. */
  maxModuleDepth: number;
  /** Most dims of a tensor. */
  maxRank: number;
  /** Sum of the uncompressed sizes of the archive's entries (bytes). */
  maxArchiveBytes: number;
}
export const DEFAULT_TORCH_LIMITS: TorchLimits = { maxModuleDepth: 256, maxRank: 32, maxArchiveBytes: 8 * 2 ** 30 };

/** Tensor views may repeat storage elements (stride 0, shared storages) only this much beyond the storages' own size. */
const AMPLIFICATION_SLACK = 16 * 2 ** 20;

/** A non-negative safe integer (pickles give numbers or bigints; booleans, floats and strings are refused). */
function index(v: unknown, fail: (m: string) => never, what: string): number {
  const n = typeof v === 'bigint' && v >= 0n && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) return fail(`${what} must be a non-negative integer, got ${describe(v)}`);
  return n;
}

/** A short description of a pickled value for error messages (never stringifies nested structures). */
function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.slice(0, 60));
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || v === null) return String(v);
  if (Array.isArray(v)) return `a ${v.length}-item sequence`;
  if (v instanceof PyGlobal) return v.qualname;
  if (v instanceof PyObject) return `a ${v.cls.qualname} object`;
  return typeof v === 'object' ? 'an object' : typeof v;
}

function torchGlobals(file: string, limits: TorchLimits): Record<string, (a: unknown[]) => unknown> {
  const fail = (m: string): never => {
    throw new FormatError(file, m);
  };
  const dims = (v: unknown, what: string): number[] => {
    if (!Array.isArray(v) || v.length > limits.maxRank) return fail(`tensor ${what} must be a sequence of at most ${limits.maxRank} integers, got ${describe(v)}`);
    return v.map((d, i) => index(d, fail, `tensor ${what}[${i}]`));
  };
  const rebuild = (a: unknown[]) => {
    if (!isStorageRef(a[0])) return fail(`tensor without a storage (got ${describe(a[0])})`);
    const shape = dims(a[2], 'shape');
    const stride = dims(a[3], 'stride');
    if (shape.length !== stride.length) fail(`tensor shape [${shape}] and stride [${stride}] differ in rank`);
    return new TensorRef(a[0], index(a[1], fail, 'tensor storage offset'), shape, stride);
  };
  const g: Record<string, (a: unknown[]) => unknown> = {
    'torch._utils._rebuild_tensor_v2': rebuild,
    'torch._utils._rebuild_tensor': rebuild,
    'torch._utils._rebuild_parameter': (a) => a[0],
    'torch._utils._rebuild_parameter_with_state': (a) => a[0],
  };
  // TorchScript's pickler wraps typed containers; their payload is the first argument
  for (const f of ['restore_type_tag', 'build_intlist', 'build_floatlist', 'build_boollist', 'build_doublelist', 'build_tensorlist']) {
    g[`torch.jit._pickle.${f}`] = (a) => a[0];
  }
  return g;
}

/** Reads a `.pt` file (zip). `fileName` is used in error messages. */
export function readTorchFile(buf: Uint8Array, fileName = '<.pt>', limits: UnpickleOptions & Partial<TorchLimits> = {}): TorchFile {
  const lim: TorchLimits = { ...DEFAULT_TORCH_LIMITS, ...limits };
  const fail = (m: string): never => {
    throw new FormatError(fileName, m);
  };
  if (buf[0] !== 0x50 || buf[1] !== 0x4b) {
    const hint = buf[0] === 0x80 ? ' (legacy pre-1.6 torch.save format; re-save it with a current PyTorch)' : '';
    fail(`not a PyTorch zip archive${hint}`);
  }
  const entries = unzipBounded(buf, fileName, lim.maxArchiveBytes);
  const pkl = Object.keys(entries).find((k) => /^[^/]+\/data\.pkl$/.test(k));
  if (!pkl) return fail('no <root>/data.pkl entry: not a torch.save / torch.jit.save archive');
  const root = pkl.slice(0, -'data.pkl'.length);
  const storages = new Map<string, StorageRef>();
  const persistentLoad = (pid: unknown): StorageRef => {
    // ('storage', storage_type, key, location, numel)
    if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage') return fail(`unsupported persistent id (${describe(pid)})`);
    const t = pid[1];
    const tname = t instanceof PyGlobal ? t.name : typeof t === 'string' ? t : '';
    const dtype = STORAGE_DTYPES[tname] ?? DTYPE_NAMES[tname.replace(/^torch\./, '')];
    if (!dtype) return fail(`unsupported storage type ${describe(t)}`);
    const key = pid[2];
    if (typeof key !== 'string' || !/^[\w.-]{1,64}$/.test(key) || key.includes('..')) return fail(`storage key ${describe(key)} is not a plain name`);
    const numel = index(pid[4], fail, `storage ${key} numel`);
    const bytes = entries[`${root}data/${key}`];
    if (!bytes) return fail(`storage data/${key} is missing from the archive`);
    if (bytes.byteLength < numel * ITEM_BYTES[dtype]) return fail(`storage data/${key} has ${bytes.byteLength} bytes, ${numel} ${dtype} items need ${numel * ITEM_BYTES[dtype]}`);
    const prev = storages.get(key);
    if (prev && (prev.dtype !== dtype || prev.numel !== numel)) return fail(`storage data/${key} is declared twice with different types or sizes`);
    const ref = prev ?? { key, dtype, numel, [STORAGE]: true };
    storages.set(key, ref);
    return ref;
  };
  const obj = unpickle(entries[pkl], { ...limits, persistentLoad, globals: torchGlobals(fileName, lim), fileName: `${fileName}:${pkl}` });
  const refs = new Map<string, TensorRef>();
  let kind: TorchFile['kind'] = 'state_dict';
  if (obj instanceof PyObject) {
    kind = 'torchscript';
    flattenModule(obj, refs, fileName, lim.maxModuleDepth);
  } else {
    collectStateDict(obj, refs, fileName, lim.maxModuleDepth);
  }
  // Every view is checked against its storage, and views together may not amplify the storages (stride 0).
  let storageItems = 0;
  for (const s of storages.values()) storageItems += s.numel;
  let outItems = 0;
  for (const [k, ref] of refs) {
    outItems += checkView(ref, fileName, k);
    if (outItems > 2 * storageItems + AMPLIFICATION_SLACK) {
      fail(`tensor views hold ${outItems}+ elements but the storages only ${storageItems}: refusing the amplification (stride-0 or shared views)`);
    }
  }
  const tensors = new Map<string, TorchTensor>();
  for (const [k, ref] of refs) tensors.set(k, materialize(ref, entries[`${root}data/${ref.storage.key}`]));
  return { kind, tensors };
}

/** Unzips after checking the entries' declared sizes (zip bombs), and refuses entries that inflate past them. */
function unzipBounded(buf: Uint8Array, fileName: string, maxBytes: number): Record<string, Uint8Array> {
  let total = 0;
  try {
    return unzipSync(buf, {
      filter: (f) => {
        total += f.originalSize;
        if (f.originalSize < 0 || total > maxBytes) throw new FormatError(fileName, `zip entries declare ${total}+ bytes, over the ${maxBytes}-byte limit`);
        return true;
      },
    });
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(fileName, `cannot unzip (${(e as Error).message})`);
  }
}

/** Validates a view against its storage (bounds of the last element reached); returns its element count. */
function checkView(ref: TensorRef, fileName: string, name: string): number {
  let n = 1;
  for (const d of ref.shape) {
    n *= d;
    if (!Number.isSafeInteger(n) || n > 2 ** 31) throw new FormatError(fileName, `tensor "${name}": shape [${ref.shape}] has too many elements`);
  }
  let maxIndex = ref.offset;
  for (let d = 0; d < ref.shape.length; d++) if (ref.shape[d] > 0) maxIndex += (ref.shape[d] - 1) * ref.stride[d];
  if (n > 0 && !(maxIndex < ref.storage.numel)) {
    throw new FormatError(fileName, `tensor "${name}": view (offset ${ref.offset}, shape [${ref.shape}], stride [${ref.stride}]) exceeds its storage of ${ref.storage.numel} items`);
  }
  return n;
}

/**
 * TorchScript: module objects keep parameters/buffers/submodules as attributes in their BUILD state.
 * Walked with an explicit stack (no recursion) and a depth limit.
 */
function flattenModule(root: PyObject, out: Map<string, TensorRef>, fileName: string, maxDepth: number): void {
  const seen = new Set<unknown>();
  const todo: [PyObject, string, number][] = [[root, '', 0]];
  while (todo.length) {
    const [o, prefix, depth] = todo.pop()!;
    if (seen.has(o)) continue;
    if (depth > maxDepth) throw new FormatError(fileName, `module "${prefix.slice(0, 200)}…" is nested more than ${maxDepth} deep`);
    seen.add(o);
    let state = o.state;
    // eager nn.Module pickles (torch.save(model)) keep _parameters/_buffers/_modules dicts
    if (state instanceof PyDict && state.has('_modules')) {
      const merged = new PyDict();
      for (const k of ['_parameters', '_buffers', '_modules']) {
        const d = state.get(k);
        if (d instanceof Map) for (const [a, b] of d) merged.set(a, b);
      }
      state = merged;
    }
    if (!(state instanceof Map)) continue;
    const children: [PyObject, string, number][] = [];
    for (const [k, v] of state) {
      if (typeof k !== 'string') continue;
      if (v instanceof TensorRef) out.set(prefix + k, v);
      else if (v instanceof PyObject) children.push([v, `${prefix}${k}.`, depth + 1]);
    }
    for (let i = children.length - 1; i >= 0; i--) todo.push(children[i]);
  }
}

/** A dict of tensors, possibly nested under "state_dict"/"model" (training checkpoints). */
function collectStateDict(obj: unknown, out: Map<string, TensorRef>, fileName: string, maxDepth: number): void {
  for (let depth = 0; depth <= maxDepth; depth++) {
    if (!(obj instanceof Map)) throw new FormatError(fileName, 'top-level object is not a dict of tensors or a TorchScript module');
    const dict: Map<unknown, unknown> = obj;
    let found = false;
    for (const [k, v] of dict) if (v instanceof TensorRef && typeof k === 'string') { out.set(k, v); found = true; }
    if (found) return;
    const key = ['state_dict', 'model', 'model_state_dict'].find((k) => dict.get(k) instanceof Map || dict.get(k) instanceof PyObject);
    if (key === undefined) break;
    const inner = dict.get(key);
    if (inner instanceof PyObject) return flattenModule(inner, out, fileName, maxDepth);
    obj = inner;
  }
  throw new FormatError(fileName, 'no tensors found at the top level or under "state_dict"/"model"');
}

/** Copies the (possibly strided) view out of its storage into a contiguous typed array
 * (the view was validated by checkView and the storage size by persistentLoad). */
function materialize(ref: TensorRef, bytes: Uint8Array): TorchTensor {
  const { dtype, numel } = ref.storage;
  const n = ref.shape.reduce((a, b) => a * b, 1);
  // storages may start at any byte offset inside the zip buffer: copy to an aligned buffer first
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const src = decode(dtype, aligned, numel);
  const out = src instanceof Float32Array ? new Float32Array(n) : new Int32Array(n);
  const shape = ref.shape;
  const contiguous = isContiguous(shape, ref.stride);
  if (contiguous) out.set(src.subarray(ref.offset, ref.offset + n));
  else {
    const idx = new Array<number>(shape.length).fill(0);
    for (let i = 0; i < n; i++) {
      let p = ref.offset;
      for (let d = 0; d < shape.length; d++) p += idx[d] * ref.stride[d];
      out[i] = src[p];
      for (let d = shape.length - 1; d >= 0; d--) {
        if (++idx[d] < shape[d]) break;
        idx[d] = 0;
      }
    }
  }
  return { dtype, shape: [...shape], data: out };
}

function isContiguous(shape: number[], stride: number[]): boolean {
  let expect = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expect) return false;
    expect *= shape[d];
  }
  return true;
}

function decode(dtype: TorchDType, b: Uint8Array, numel: number): Float32Array | Int32Array {
  const buf = b.buffer;
  const o = b.byteOffset;
  switch (dtype) {
    case 'F32': return new Float32Array(buf, o, numel);
    case 'F16': return halfToFloat32(new Uint16Array(buf, o, numel));
    case 'BF16': {
      const u = new Uint16Array(buf, o, numel);
      const w = new Uint32Array(numel);
      for (let i = 0; i < numel; i++) w[i] = u[i] << 16;
      return new Float32Array(w.buffer);
    }
    case 'F64': return Float32Array.from(new Float64Array(buf, o, numel));
    case 'I64': {
      const v = new BigInt64Array(buf, o, numel);
      return Int32Array.from(v, (x) => Number(x));
    }
    case 'I32': return new Int32Array(buf, o, numel);
    case 'I16': return Int32Array.from(new Int16Array(buf, o, numel));
    case 'I8': return Int32Array.from(new Int8Array(buf, o, numel));
    case 'U8': case 'BOOL': return Int32Array.from(new Uint8Array(buf, o, numel));
  }
}
