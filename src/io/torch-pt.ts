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

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : (v as number));
const nums = (v: unknown): number[] => (Array.isArray(v) ? v.map(num) : []);

function torchGlobals(): Record<string, (a: unknown[]) => unknown> {
  const rebuild = (a: unknown[]) => {
    if (!(a[0] instanceof Object) || !('key' in (a[0] as object))) throw new Error('tensor without a storage');
    return new TensorRef(a[0] as StorageRef, num(a[1]), nums(a[2]), nums(a[3]));
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
export function readTorchFile(buf: Uint8Array, fileName = '<.pt>', limits: UnpickleOptions = {}): TorchFile {
  if (buf[0] !== 0x50 || buf[1] !== 0x4b) {
    const hint = buf[0] === 0x80 ? ' (legacy pre-1.6 torch.save format; re-save it with a current PyTorch)' : '';
    throw new FormatError(fileName, `not a PyTorch zip archive${hint}`);
  }
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(buf);
  } catch (e) {
    throw new FormatError(fileName, `cannot unzip (${(e as Error).message})`);
  }
  const pkl = Object.keys(entries).find((k) => /^[^/]+\/data\.pkl$/.test(k));
  if (!pkl) throw new FormatError(fileName, 'no <root>/data.pkl entry: not a torch.save / torch.jit.save archive');
  const root = pkl.slice(0, -'data.pkl'.length);
  const persistentLoad = (pid: unknown): StorageRef => {
    // ('storage', storage_type, key, location, numel)
    if (!Array.isArray(pid) || pid[0] !== 'storage') throw new FormatError(fileName, `unsupported persistent id ${String(pid)}`);
    const t = pid[1];
    const tname = t instanceof PyGlobal ? t.name : typeof t === 'string' ? t : '';
    const dtype = STORAGE_DTYPES[tname] ?? DTYPE_NAMES[tname.replace(/^torch\./, '')];
    if (!dtype) throw new FormatError(fileName, `unsupported storage type ${tname}`);
    return { key: String(pid[2]), dtype, numel: num(pid[4]) };
  };
  const obj = unpickle(entries[pkl], { ...limits, persistentLoad, globals: torchGlobals(), fileName: `${fileName}:${pkl}` });
  const refs = new Map<string, TensorRef>();
  let kind: TorchFile['kind'] = 'state_dict';
  if (obj instanceof PyObject) {
    kind = 'torchscript';
    flattenModule(obj, '', refs, new Set());
  } else {
    collectStateDict(obj, refs, fileName);
  }
  const tensors = new Map<string, TorchTensor>();
  for (const [k, ref] of refs) tensors.set(k, materialize(ref, entries[`${root}data/${ref.storage.key}`], fileName, k));
  return { kind, tensors };
}

/** TorchScript: module objects keep parameters/buffers/submodules as attributes in their BUILD state. */
function flattenModule(o: PyObject, prefix: string, out: Map<string, TensorRef>, seen: Set<unknown>): void {
  if (seen.has(o)) return;
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
  if (!(state instanceof Map)) return;
  for (const [k, v] of state) {
    if (typeof k !== 'string') continue;
    if (v instanceof TensorRef) out.set(prefix + k, v);
    else if (v instanceof PyObject) flattenModule(v, `${prefix}${k}.`, out, seen);
  }
}

/** A dict of tensors, possibly nested under "state_dict"/"model" (training checkpoints). */
function collectStateDict(obj: unknown, out: Map<string, TensorRef>, fileName: string): void {
  if (!(obj instanceof Map)) throw new FormatError(fileName, 'top-level object is not a dict of tensors or a TorchScript module');
  let found = false;
  for (const [k, v] of obj) if (v instanceof TensorRef && typeof k === 'string') { out.set(k, v); found = true; }
  if (found) return;
  for (const key of ['state_dict', 'model', 'model_state_dict']) {
    const inner = obj.get(key);
    if (inner instanceof Map) return collectStateDict(inner, out, fileName);
    if (inner instanceof PyObject) return flattenModule(inner, '', out, new Set());
  }
  throw new FormatError(fileName, 'no tensors found at the top level or under "state_dict"/"model"');
}

/** Copies the (possibly strided) view out of its storage into a contiguous typed array. */
function materialize(ref: TensorRef, bytes: Uint8Array | undefined, fileName: string, name: string): TorchTensor {
  const { dtype, key, numel } = ref.storage;
  if (!bytes) throw new FormatError(fileName, `tensor "${name}": storage data/${key} is missing`);
  const isz = ITEM_BYTES[dtype];
  if (bytes.byteLength < numel * isz) {
    throw new FormatError(fileName, `tensor "${name}": storage data/${key} has ${bytes.byteLength} bytes, expected ${numel * isz}`);
  }
  const n = ref.shape.reduce((a, b) => a * b, 1);
  let maxIndex = ref.offset;
  for (let d = 0; d < ref.shape.length; d++) if (ref.shape[d] > 0) maxIndex += (ref.shape[d] - 1) * ref.stride[d];
  if (n > 0 && maxIndex >= numel) throw new FormatError(fileName, `tensor "${name}": view exceeds its storage of ${numel} items`);
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
