/**
 * A restricted unpickler (protocols 0–5 opcodes used by torch.save and TorchScript's data.pkl) that never
 * executes anything. GLOBAL only yields a reference; REDUCE/NEWOBJ/BUILD call a handler from a small table of
 * known torch/builtin globals and otherwise produce an inert `PyObject` record (name, args, BUILD state).
 * Globals that name code-running modules (os, subprocess, builtins.eval, ...) are refused outright.
 * Memory is bounded: memo entries and the total bytes/items allocated are counted against limits.
 */
import { FormatError } from '../core/errors.js';
import { PickleLimits, DEFAULT_LIMITS, Reader, decodeLong } from './pickle-reader.js';

export type { PickleLimits } from './pickle-reader.js';

/** A reference to a Python global (module + qualified name); never resolved to code. */
export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get qualname(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An instance of a class the unpickler does not know: kept as data, never instantiated. */
export class PyObject {
  state: unknown = undefined;
  constructor(readonly cls: PyGlobal, readonly args: unknown[], readonly via: 'REDUCE' | 'NEWOBJ' | 'INST') {}
}

/** Python dict with insertion order; keys are primitives (str/int/bool/None) or opaque objects. */
export class PyDict extends Map<unknown, unknown> {}
export class PyTuple extends Array<unknown> {}

/** Calls a known global with its arguments (REDUCE/NEWOBJ); returns the constructed value. */
export type GlobalHandler = (args: unknown[]) => unknown;

export interface UnpickleOptions extends Partial<PickleLimits> {
  /** Handlers for known globals, keyed "module.name". */
  globals?: Record<string, GlobalHandler>;
  /** Resolves persistent ids (BINPERSID/PERSID), e.g. torch's ('storage', type, key, location, numel). */
  persistentLoad?: (pid: unknown) => unknown;
  fileName?: string;
}

/** Modules whose globals can run code: refused even as inert references. */
const FORBIDDEN_MODULES = /^(os|posix|nt|subprocess|_posixsubprocess|sys|shutil|socket|importlib|imp|zipimport|pickle|_pickle|marshal|runpy|pty|code|codeop|ctypes|multiprocessing|signal|webbrowser|io|_io|builtins|__builtin__|types|functools|operator|codecs|pathlib|tempfile|urllib|http|ftplib|telnetlib|asyncio|threading|platform|commands|popen2|pdb|bdb|timeit|trace|doctest|cProfile|profile|numpy\.testing|numpy\.f2py|torch\.hub)(\..*)?$/;
const SAFE_BUILTINS = new Set(['builtins.set', 'builtins.frozenset', 'builtins.bytearray', 'builtins.slice', 'builtins.complex',
  '__builtin__.set', '__builtin__.frozenset', 'builtins.list', 'builtins.dict', 'builtins.tuple']);

const BUILTIN_HANDLERS: Record<string, GlobalHandler> = {
  'collections.OrderedDict': (a) => toDict(a[0]),
  'builtins.dict': (a) => toDict(a[0]),
  'builtins.set': (a) => new Set(Array.isArray(a[0]) ? a[0] : []),
  'builtins.frozenset': (a) => new Set(Array.isArray(a[0]) ? a[0] : []),
  '__builtin__.set': (a) => new Set(Array.isArray(a[0]) ? a[0] : []),
  '__builtin__.frozenset': (a) => new Set(Array.isArray(a[0]) ? a[0] : []),
  'builtins.list': (a) => (Array.isArray(a[0]) ? [...a[0]] : []),
  'builtins.tuple': (a) => PyTuple.from(Array.isArray(a[0]) ? a[0] : []),
  'builtins.bytearray': (a) => (a[0] instanceof Uint8Array ? a[0].slice() : new Uint8Array(0)),
  'builtins.slice': (a) => PyTuple.from(a),
  'builtins.complex': (a) => PyTuple.from(a),
  '_codecs.encode': (a) => latin1Bytes(String(a[0])),
};

function toDict(v: unknown): PyDict {
  const d = new PyDict();
  if (Array.isArray(v)) for (const kv of v) if (Array.isArray(kv) && kv.length === 2) d.set(kv[0], kv[1]);
  return d;
}
function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}


/** Unpickles `data`; throws FormatError on unknown opcodes, forbidden globals, malformed input or exceeded limits. */
export function unpickle(data: Uint8Array, opts: UnpickleOptions = {}): unknown {
  const file = opts.fileName ?? '<pickle>';
  const limits: PickleLimits = { ...DEFAULT_LIMITS, ...opts };
  const handlers = { ...BUILTIN_HANDLERS, ...(opts.globals ?? {}) };
  const r = new Reader(data, file, limits);
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const fail = (msg: string): never => {
    throw new FormatError(file, `pickle: ${msg} (at byte ${r.pos})`);
  };
  const pop = (): unknown => (stack.length ? stack.pop() : fail('stack underflow'));
  const top = (): unknown => (stack.length ? stack[stack.length - 1] : fail('stack underflow'));
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail('MARK expected');
    return stack.splice(m as number);
  };
  const put = (i: number, v: unknown) => {
    if (!memo.has(i) && memo.size >= limits.maxMemo) fail(`memo exceeds ${limits.maxMemo} entries`);
    memo.set(i, v);
  };
  const get = (i: number) => (memo.has(i) ? memo.get(i) : fail(`memo key ${i} missing`));
  const global = (module: string, name: string): PyGlobal => {
    const q = `${module}.${name}`;
    if (FORBIDDEN_MODULES.test(module) && !SAFE_BUILTINS.has(q)) fail(`refusing global ${q}: it can run code`);
    return new PyGlobal(module, name);
  };
  const call = (fn: unknown, args: unknown[], via: PyObject['via']): unknown => {
    if (!(fn instanceof PyGlobal)) return fail(`${via} of a non-global callable`);
    const h = handlers[fn.qualname];
    return h ? h(args) : new PyObject(fn, args, via);
  };
  const setItems = (d: unknown, items: unknown[]) => {
    if (items.length % 2) fail('odd number of items for SETITEMS');
    for (let i = 0; i < items.length; i += 2) {
      if (d instanceof Map) d.set(items[i], items[i + 1]);
      else if (d instanceof PyObject) {
        // dict subclass instances (unknown classes) keep their items in `state` as a PyDict
        const s = (d.state instanceof PyDict ? d.state : (d.state = new PyDict())) as PyDict;
        s.set(items[i], items[i + 1]);
      } else fail('SETITEM on a non-dict');
    }
  };
  const appendItems = (l: unknown, items: unknown[]) => {
    if (Array.isArray(l)) {
      r.alloc(items.length * 8);
      for (const it of items) l.push(it);
    } else if (l instanceof Set) for (const it of items) l.add(it);
    else fail('APPEND on a non-list');
  };
  for (;;) {
    const op = r.u8();
    switch (op) {
      case 0x80: r.u8(); break; // PROTO
      case 0x95: r.bytes(8); break; // FRAME: framing is only an I/O hint
      case 0x2e: { // STOP
        if (stack.length !== 1) fail(`STOP with ${stack.length} items on the stack`);
        return stack[0];
      }
      case 0x28: marks.push(stack.length); break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x7d: r.alloc(64); stack.push(new PyDict()); break; // EMPTY_DICT
      case 0x5d: r.alloc(32); stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push(new PyTuple()); break; // EMPTY_TUPLE
      case 0x8f: stack.push(new Set()); break; // EMPTY_SET
      case 0x90: { const items = popMark(); appendItems(top(), items); break; } // ADDITEMS
      case 0x91: stack.push(new Set(popMark())); break; // FROZENSET
      case 0x74: stack.push(PyTuple.from(popMark())); break; // TUPLE
      case 0x85: stack.push(PyTuple.of(pop())); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push(PyTuple.of(a, b)); break; }
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push(PyTuple.of(a, b, c)); break; }
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x64: { const items = popMark(); const d = new PyDict(); setItems(d, items); stack.push(d); break; } // DICT
      case 0x61: { const v = pop(); appendItems(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); appendItems(top(), items); break; } // APPENDS
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x4a: stack.push(r.i32()); break; // BININT
      case 0x4b: stack.push(r.u8()); break; // BININT1
      case 0x4d: stack.push(r.u16()); break; // BININT2
      case 0x8a: stack.push(decodeLong(r.bytes(r.u8()))); break; // LONG1
      case 0x8b: { const n = r.u32(); stack.push(decodeLong(r.bytes(n))); break; } // LONG4
      case 0x49: { // INT (text); "01"/"00" are protocol-0 booleans
        const s = r.line();
        stack.push(s === '01' ? true : s === '00' ? false : Number.parseInt(s, 10));
        break;
      }
      case 0x4c: stack.push(Number.parseInt(r.line().replace(/L$/, ''), 10)); break; // LONG (text)
      case 0x47: stack.push(r.f64be()); break; // BINFLOAT
      case 0x46: stack.push(Number.parseFloat(r.line())); break; // FLOAT
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break;
      case 0x89: stack.push(false); break;
      case 0x58: stack.push(r.utf8(r.u32())); break; // BINUNICODE
      case 0x8c: stack.push(r.utf8(r.u8())); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(r.utf8(r.u64())); break; // BINUNICODE8
      case 0x56: stack.push(r.line()); break; // UNICODE (raw-unicode-escape; ASCII in practice)
      case 0x54: stack.push(r.latin1(r.u32())); break; // BINSTRING (py2 str)
      case 0x55: stack.push(r.latin1(r.u8())); break; // SHORT_BINSTRING
      case 0x53: stack.push(r.line().replace(/^['"]|['"]$/g, '')); break; // STRING (protocol 0)
      case 0x42: stack.push(r.bytes(r.u32()).slice()); break; // BINBYTES
      case 0x43: stack.push(r.bytes(r.u8()).slice()); break; // SHORT_BINBYTES
      case 0x8e: stack.push(r.bytes(r.u64()).slice()); break; // BINBYTES8
      case 0x96: stack.push(r.bytes(r.u64()).slice()); break; // BYTEARRAY8
      case 0x63: { const m = r.line(); const n = r.line(); stack.push(global(m, n)); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const n = pop();
        const m = pop();
        if (typeof m !== 'string' || typeof n !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(global(m as string, n as string));
        break;
      }
      case 0x52: { const args = pop(); const fn = pop(); stack.push(call(fn, asArgs(args, fail), 'REDUCE')); break; }
      case 0x81: { const args = pop(); const cls = pop(); stack.push(call(cls, asArgs(args, fail), 'NEWOBJ')); break; }
      case 0x92: { pop(); const args = pop(); const cls = pop(); stack.push(call(cls, asArgs(args, fail), 'NEWOBJ')); break; }
      case 0x69: { // INST (protocol 0/1)
        const m = r.line();
        const n = r.line();
        stack.push(call(global(m, n), popMark(), 'INST'));
        break;
      }
      case 0x6f: { const items = popMark(); const cls = items.shift(); stack.push(call(cls, items, 'INST')); break; } // OBJ
      case 0x62: { // BUILD: record state; dicts/known values absorb dict state, never call __setstate__
        const state = pop();
        const obj = top();
        if (obj instanceof PyObject) obj.state = state;
        else if (obj instanceof Map) {
          if (state instanceof Map) for (const [k, v] of state) obj.set(k, v);
        } else if (obj && typeof obj === 'object' && 'setState' in obj) (obj as { setState(s: unknown): void }).setState(state);
        else if (obj instanceof PyGlobal) fail(`refusing BUILD on the global ${obj.qualname}: it would set attributes of a class or function`);
        else if (obj === null || typeof obj !== 'object' || Array.isArray(obj) || obj instanceof Set || obj instanceof Uint8Array) {
          fail(`BUILD on a ${obj === null ? 'None' : Array.isArray(obj) ? 'list/tuple' : typeof obj}`);
        }
        break;
      }
      case 0x71: put(r.u8(), top()); break; // BINPUT
      case 0x72: put(r.u32(), top()); break; // LONG_BINPUT
      case 0x70: put(Number.parseInt(r.line(), 10), top()); break; // PUT
      case 0x94: put(memo.size, top()); break; // MEMOIZE
      case 0x68: stack.push(get(r.u8())); break; // BINGET
      case 0x6a: stack.push(get(r.u32())); break; // LONG_BINGET
      case 0x67: stack.push(get(Number.parseInt(r.line(), 10))); break; // GET
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!opts.persistentLoad) fail('persistent id without a resolver');
        stack.push(opts.persistentLoad!(pid));
        break;
      }
      case 0x50: { // PERSID
        const pid = r.line();
        if (!opts.persistentLoad) fail('persistent id without a resolver');
        stack.push(opts.persistentLoad!(pid));
        break;
      }
      default:
        fail(`unsupported opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
    if (stack.length > limits.maxStack) fail(`stack exceeds ${limits.maxStack} items`);
  }
}

function asArgs(v: unknown, fail: (m: string) => never): unknown[] {
  if (!Array.isArray(v)) return fail('call arguments are not a tuple');
  return v;
}
