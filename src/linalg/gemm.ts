/**
 * Float64 C = X·Yᵀ for row-major X (p×n) and Y (q×n): the two products of the Gram-route SVD (svd.ts),
 * G = A·Aᵀ and Qᵀ = Pᵀ·B. tfjs matMul is float32 only, and float32 Gram matrices would cost the SVD
 * most of its accuracy (σᵢ relative error ≈ ε·(σ₁/σᵢ)², with ε = 6e-8 instead of 1.1e-16).
 *
 * Two kernels, same blocking (k in chunks so the rows of a block stay in cache, 4 rows of X × 2 rows of
 * Y per micro-kernel, accumulators in registers):
 * - a WebAssembly SIMD kernel (f64x2 along k), built below from its opcodes so there is no binary blob
 *   and no build step; about 2× the JavaScript kernel because V8 does not vectorise JavaScript.
 * - a plain JavaScript kernel, used where WebAssembly SIMD is unavailable (or `impl: 'js'`).
 * Both are tested against a naive triple loop (test/linalg/gemm.test.ts).
 */

export type GemmImpl = 'auto' | 'wasm' | 'js';

export interface GemmOptions {
  /** Only C[i][j] with j ≤ i is needed (X = Y: the Gram matrix); the rest of C is mirrored from it. */
  symmetric?: boolean;
  /** Kernel choice; 'auto' = WebAssembly SIMD when available. */
  impl?: GemmImpl;
}

/** k-chunk in elements: 4 + 2 rows of 256 doubles = 12 KiB stay in L1, a 512-row X chunk (1 MiB) in L2. */
const KB = 256;

// ---------------------------------------------------------------------------------------------------
// WebAssembly kernel, assembled from opcodes (WebAssembly core spec 2.0 + fixed-width SIMD).

const I32 = 0x7f;
const V128 = 0x7b;
const op = {
  block: [0x02, 0x40], loop: [0x03, 0x40], end: [0x0b], br: 0x0c, brIf: 0x0d, select: [0x1b],
  get: 0x20, set: 0x21, i32const: 0x41,
  i32add: [0x6a], i32mul: [0x6c], i32ltU: [0x49], i32geU: [0x4f], i32and: [0x71], i32ne0: [0x45, 0x45],
  f64load: 0x2b, f64store: 0x39, f64add: [0xa0],
  v128load: [0xfd, 0x00], v128const0: [0xfd, 0x0c, ...new Array<number>(16).fill(0)],
  f64x2extract: [0xfd, 0x21], f64x2add: [0xfd, 0xf0, 0x01], f64x2mul: [0xfd, 0xf2, 0x01],
};

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}
const vec = (bytes: number[]): number[] => [...uleb(bytes.length), ...bytes];
const section = (id: number, bytes: number[]): number[] => [id, ...vec(bytes)];

/**
 * gemm(x, y, c, p, q, nb, k0, k1, sym): byte pointers x, y, c; p rows of X (multiple of 4), q rows of Y
 * (multiple of 2), nb = row stride in bytes (multiple of 16), k0..k1 = byte range of k (multiples of 16),
 * sym ≠ 0: only blocks with j < i + 4. Adds X[i, k0:k1]·Y[j, k0:k1] into C[i][j] (C is p×q, stride q).
 */
function kernelModule(): Uint8Array<ArrayBuffer> {
  // params 0..8: x y c p q nb k0 k1 sym; locals: i32 i(9) j(10) k(11) ra0..ra3(12..15) rb0 rb1(16,17)
  // jEnd(18) pc(19) qb(20); v128 acc[r][s] (21..28), a0..a3 (29..32), b0 b1 (33, 34).
  const [X, Y, C, P, Q, NB, K0, K1, SYM, Iv, Jv, Kv] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const RA = [12, 13, 14, 15];
  const RB = [16, 17];
  const [JEND, PC, QB] = [18, 19, 20];
  const ACC = (r: number, s: number) => 21 + r * 2 + s;
  const A = [29, 30, 31, 32];
  const B = [33, 34];
  const get = (l: number) => [op.get, l];
  const set = (l: number) => [op.set, l];
  const c32 = (v: number) => [op.i32const, ...sleb(v)];
  const body: number[] = [];
  const emit = (...parts: (number | number[])[]) => {
    for (const p of parts) {
      if (Array.isArray(p)) body.push(...p);
      else body.push(p);
    }
  };
  // i = 0; loop over i while i < p
  emit(c32(0), set(Iv), op.block, op.loop, get(Iv), get(P), op.i32geU, op.brIf, 1);
  // ra0 = x + i·nb, ra_{r+1} = ra_r + nb
  emit(get(X), get(Iv), get(NB), op.i32mul, op.i32add, set(RA[0]));
  for (let r = 1; r < 4; r++) emit(get(RA[r - 1]), get(NB), op.i32add, set(RA[r]));
  // jEnd = (sym && i + 4 < q) ? i + 4 : q
  emit(get(Iv), c32(4), op.i32add, get(Q), get(SYM), op.i32ne0, get(Iv), c32(4), op.i32add, get(Q), op.i32ltU, op.i32and, op.select, set(JEND));
  emit(c32(0), set(Jv), op.block, op.loop, get(Jv), get(JEND), op.i32geU, op.brIf, 1);
  emit(get(Y), get(Jv), get(NB), op.i32mul, op.i32add, set(RB[0]), get(RB[0]), get(NB), op.i32add, set(RB[1]));
  for (let r = 0; r < 4; r++) for (let s = 0; s < 2; s++) emit(op.v128const0, set(ACC(r, s)));
  emit(get(K0), set(Kv), op.block, op.loop, get(Kv), get(K1), op.i32geU, op.brIf, 1);
  for (let r = 0; r < 4; r++) emit(get(RA[r]), get(Kv), op.i32add, op.v128load, 3, 0, set(A[r]));
  for (let s = 0; s < 2; s++) emit(get(RB[s]), get(Kv), op.i32add, op.v128load, 3, 0, set(B[s]));
  for (let r = 0; r < 4; r++)
    for (let s = 0; s < 2; s++) emit(get(ACC(r, s)), get(A[r]), get(B[s]), op.f64x2mul, op.f64x2add, set(ACC(r, s)));
  emit(get(Kv), c32(16), op.i32add, set(Kv), op.br, 0, op.end, op.end);
  // pc = c + (i·q + j)·8; C[i + r][j + s] += lane0 + lane1
  emit(get(C), get(Iv), get(Q), op.i32mul, get(Jv), op.i32add, c32(8), op.i32mul, op.i32add, set(PC));
  emit(get(Q), c32(8), op.i32mul, set(QB));
  for (let r = 0; r < 4; r++) {
    for (let s = 0; s < 2; s++) {
      emit(get(PC), get(PC), op.f64load, 3, s * 8, get(ACC(r, s)), op.f64x2extract, 0, get(ACC(r, s)), op.f64x2extract, 1);
      emit(op.f64add, op.f64add, op.f64store, 3, s * 8);
    }
    if (r < 3) emit(get(PC), get(QB), op.i32add, set(PC));
  }
  emit(get(Jv), c32(2), op.i32add, set(Jv), op.br, 0, op.end, op.end);
  emit(get(Iv), c32(4), op.i32add, set(Iv), op.br, 0, op.end, op.end, op.end);
  const locals = [...uleb(2), ...uleb(12), I32, ...uleb(14), V128];
  const func = vec([...locals, ...body]);
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, ...vec(new Array<number>(9).fill(I32)), 0]),
    ...section(2, [1, ...vec([0x65]), ...vec([0x6d]), 0x02, 0x00, 0x01]), // import "e"."m": memory, min 1 page
    ...section(3, [1, 0]),
    ...section(7, [1, ...vec([0x67]), 0x00, 0]), // export "g" = func 0
    ...section(10, [1, ...func]),
  ];
  return new Uint8Array(bytes);
}

type WasmGemm = (x: number, y: number, c: number, p: number, q: number, nb: number, k0: number, k1: number, sym: number) => void;
let wasmModule: WebAssembly.Module | null | undefined;

function getWasmModule(): WebAssembly.Module | null {
  if (wasmModule === undefined) {
    try {
      const bytes = kernelModule();
      wasmModule = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    } catch {
      wasmModule = null;
    }
  }
  return wasmModule;
}

/** True when the WebAssembly SIMD kernel can run here. */
export function wasmGemmAvailable(): boolean {
  return getWasmModule() !== null;
}

/** Largest wasm memory we ask for (2 GiB is V8's wasm32 limit on some builds). */
const MAX_WASM_BYTES = 1024 * 1024 * 1024;

function gemmWasm(mod: WebAssembly.Module, x: Float64Array, y: Float64Array | null, p: number, q: number, n: number, symmetric: boolean): Float64Array | null {
  // Pad to the kernel's granularity with zero rows/columns: 4 rows of X, 2 rows of Y, 2 k (one f64x2).
  const p4 = Math.ceil(p / 4) * 4;
  const q2 = Math.ceil(q / 2) * 2;
  const n2 = Math.ceil(n / 2) * 2;
  const yRows = y ? q2 : 0;
  const total = (p4 * n2 + yRows * n2 + p4 * q2) * 8;
  if (total > MAX_WASM_BYTES) return null;
  const memory = new WebAssembly.Memory({ initial: Math.ceil(total / 65536) });
  const g = (new WebAssembly.Instance(mod, { e: { m: memory } }).exports as { g: WasmGemm }).g;
  const f = new Float64Array(memory.buffer);
  const put = (src: Float64Array, rows: number, at: number) => {
    if (n2 === n) f.set(src.subarray(0, rows * n), at);
    else for (let r = 0; r < rows; r++) f.set(src.subarray(r * n, r * n + n), at + r * n2);
  };
  put(x, p, 0);
  const yAt = p4 * n2;
  if (y) put(y, q, yAt);
  const cAt = yAt + yRows * n2;
  const nb = n2 * 8;
  for (let k0 = 0; k0 < n2; k0 += KB) {
    const k1 = Math.min(n2, k0 + KB);
    g(0, (y ? yAt : 0) * 8, cAt * 8, p4, y ? q2 : p4, nb, k0 * 8, k1 * 8, symmetric ? 1 : 0);
  }
  const cStride = y ? q2 : p4;
  const out = new Float64Array(p * q);
  for (let i = 0; i < p; i++) out.set(f.subarray(cAt + i * cStride, cAt + i * cStride + q), i * q);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// JavaScript kernel.

function gemmJs(x: Float64Array, y: Float64Array, p: number, q: number, n: number, symmetric: boolean): Float64Array {
  const c = new Float64Array(p * q);
  for (let k0 = 0; k0 < n; k0 += KB) {
    const k1 = Math.min(n, k0 + KB);
    for (let i = 0; i < p; i += 4) {
      const jEnd = symmetric ? Math.min(i + 4, q) : q;
      if (i + 4 > p) {
        // Remaining rows: plain dot products.
        for (let ii = i; ii < p; ii++) {
          const xo = ii * n;
          for (let j = 0; j < (symmetric ? ii + 1 : q); j++) {
            const yo = j * n;
            let s = 0;
            for (let k = k0; k < k1; k++) s += x[xo + k] * y[yo + k];
            c[ii * q + j] += s;
          }
        }
        break;
      }
      const x0 = i * n;
      const x1 = x0 + n;
      const x2 = x1 + n;
      const x3 = x2 + n;
      let j = 0;
      for (; j + 2 <= jEnd; j += 2) {
        const y0 = j * n;
        const y1 = y0 + n;
        let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
        for (let k = k0; k < k1; k++) {
          const a0 = x[x0 + k], a1 = x[x1 + k], a2 = x[x2 + k], a3 = x[x3 + k];
          const b0 = y[y0 + k], b1 = y[y1 + k];
          s00 += a0 * b0; s01 += a0 * b1;
          s10 += a1 * b0; s11 += a1 * b1;
          s20 += a2 * b0; s21 += a2 * b1;
          s30 += a3 * b0; s31 += a3 * b1;
        }
        let o = i * q + j;
        c[o] += s00; c[o + 1] += s01; o += q;
        c[o] += s10; c[o + 1] += s11; o += q;
        c[o] += s20; c[o + 1] += s21; o += q;
        c[o] += s30; c[o + 1] += s31;
      }
      if (j < jEnd) {
        // Odd last column of Y.
        const yo = j * n;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let k = k0; k < k1; k++) {
          const b = y[yo + k];
          s0 += x[x0 + k] * b; s1 += x[x1 + k] * b; s2 += x[x2 + k] * b; s3 += x[x3 + k] * b;
        }
        c[i * q + j] += s0; c[(i + 1) * q + j] += s1; c[(i + 2) * q + j] += s2; c[(i + 3) * q + j] += s3;
      }
    }
  }
  return c;
}

// ---------------------------------------------------------------------------------------------------

function pickWasm(impl: GemmImpl): WebAssembly.Module | null {
  if (impl === 'js') return null;
  const mod = getWasmModule();
  if (!mod && impl === 'wasm') throw new Error('gemm: WebAssembly SIMD is not available');
  return mod;
}

/**
 * C = X·Yᵀ (p×q, row-major Float64Array) for row-major X (p×n) and Y (q×n).
 * @example const g = gemmNT(a, a, rows, rows, cols) // A·Aᵀ
 */
export function gemmNT(x: Float64Array, y: Float64Array, p: number, q: number, n: number, opts: Omit<GemmOptions, 'symmetric'> = {}): Float64Array {
  const mod = pickWasm(opts.impl ?? 'auto');
  return (mod && gemmWasm(mod, x, y, p, q, n, false)) || gemmJs(x, y, p, q, n, false);
}

/**
 * G = A·Aᵀ (rows×rows, symmetric, row-major Float64Array) for row-major A (rows×cols): only the lower
 * triangle is computed, then mirrored.
 */
export function gramNT(a: Float64Array, rows: number, cols: number, opts: Omit<GemmOptions, 'symmetric'> = {}): Float64Array {
  const mod = pickWasm(opts.impl ?? 'auto');
  const g = (mod && gemmWasm(mod, a, null, rows, rows, cols, true)) || gemmJs(a, a, rows, rows, cols, true);
  for (let i = 0; i < rows; i++) for (let j = i + 1; j < rows; j++) g[i * rows + j] = g[j * rows + i];
  return g;
}
