/**
 * Registers the `native` backend: every cpu kernel is copied, and the hot ones are replaced by native
 * kernels that fall back to the cpu kernel for attributes they do not cover. Also hosts the per-kernel
 * profiler used to decide what to make native (`startProfile` / `stopProfile`).
 */
import { tf } from '../tf.js';
import '@tensorflow/tfjs-backend-cpu';
import type { LoadedAddon } from './addon.js';
import { NativeBackend } from './backend.js';
import { BufferPool } from './pool.js';
import * as conv from './kernels/conv.js';
import * as ew from './kernels/elementwise.js';
import * as matmul from './kernels/matmul.js';
import * as misc from './kernels/misc.js';
import * as red from './kernels/reduce.js';
import type { NativeArgs, NativeKernel } from './kernels/types.js';
import * as grads from './grads.js';
import * as shape from './kernels/shape.js';
import * as bn from './batchnorm.js';
import * as gather from './kernels/gather.js';
import * as optim from './optim.js';
import { patchSavedTensorClones } from './saved.js';
import { patchModelExecution } from './plan/index.js';

export const NATIVE_BACKEND = 'native';

/** Kernel name → native implementation. */
export const NATIVE_KERNELS: Record<string, NativeKernel> = {
  Conv2D: conv.conv2D,
  FusedConv2D: conv.fusedConv2D,
  Conv2DBackpropInput: conv.conv2DBackpropInput,
  Conv2DBackpropFilter: conv.conv2DBackpropFilter,
  BatchMatMul: matmul.batchMatMul,
  _FusedMatMul: matmul.fusedMatMul,
  Add: ew.add,
  Sub: ew.sub,
  Multiply: ew.mul,
  RealDiv: ew.realDiv,
  Maximum: ew.maximum,
  Minimum: ew.minimum,
  SquaredDifference: ew.squaredDifference,
  AddN: ew.addN,
  Relu: ew.relu,
  Step: ew.step,
  Sqrt: ew.sqrt,
  Rsqrt: ew.rsqrt,
  Square: ew.square,
  Exp: ew.exp,
  Log: ew.log,
  Neg: ew.neg,
  Abs: ew.abs,
  Sigmoid: ew.sigmoid,
  Tanh: ew.tanh,
  Reciprocal: ew.reciprocal,
  Relu6: ew.relu6,
  Elu: ew.elu,
  Sign: ew.sign,
  LeakyRelu: ew.leakyRelu,
  Sum: red.sum,
  Mean: red.mean,
  Max: red.max,
  Min: red.min,
  FusedBatchNorm: misc.fusedBatchNorm,
  Softmax: misc.softmax,
  Transpose: shape.transpose,
  Slice: shape.slice,
  StridedSlice: shape.stridedSlice,
  PadV2: shape.padV2,
  Tile: shape.tile,
  AvgPool: shape.avgPool,
  AvgPoolGrad: shape.avgPoolGrad,
  GatherV2: gather.gatherV2,
  UnsortedSegmentSum: gather.unsortedSegmentSum,
};

/** Kernels that exist only on the native backend (fused gradients, see grads.ts). */
const NATIVE_ONLY: Record<string, NativeKernel> = {
  [grads.RELU_GRAD]: grads.reluGrad,
  [grads.SQUARE_GRAD]: grads.squareGrad,
  [grads.MEAN_GRAD]: grads.meanGrad,
  [grads.BN_GRAD]: grads.batchNormGrad,
  [bn.BN_STATS]: bn.bnStats,
  [bn.BN_APPLY]: bn.bnApply,
  [bn.BN_APPLY_BWD]: bn.bnApplyBackward,
  [optim.SGD_UPDATE]: optim.sgdUpdate,
};

interface ProfileRow { calls: number; ms: number; cpuMs: number; native: number }
let profile: Map<string, ProfileRow> | undefined;

/** Starts accumulating wall and CPU time per kernel (native or cpu fallback) on the native backend. */
export function startProfile(): void {
  profile = new Map();
}
/** Stops profiling and returns rows sorted by time, most expensive first. */
export function stopProfile(): Array<{ kernel: string; calls: number; ms: number; cpuMs: number; nativeCalls: number }> {
  const rows = [...(profile ?? new Map<string, ProfileRow>()).entries()].map(([kernel, r]) => ({ kernel, calls: r.calls, ms: r.ms, cpuMs: r.cpuMs, nativeCalls: r.native }));
  profile = undefined;
  return rows.sort((a, b) => b.ms - a.ms);
}

function wrap(name: string, cpu: tf.KernelFunc, nat: NativeKernel | undefined): tf.KernelFunc {
  const run = nat
    ? (args: Parameters<tf.KernelFunc>[0]): { out: ReturnType<tf.KernelFunc>; native: boolean } => {
        const r = nat(args as unknown as NativeArgs);
        return r === undefined ? { out: cpu(args), native: false } : { out: r, native: true };
      }
    : (args: Parameters<tf.KernelFunc>[0]) => ({ out: cpu(args), native: false });
  return (args) => {
    if (!profile) return run(args).out;
    const t0 = performance.now();
    const c0 = process.cpuUsage(); // CPU time of all threads: on a shared machine, wall time also counts waiting
    const r = run(args);
    const c = process.cpuUsage(c0);
    const row = profile.get(name) ?? { calls: 0, ms: 0, cpuMs: 0, native: 0 };
    row.calls++;
    row.ms += performance.now() - t0;
    row.cpuMs += (c.user + c.system) / 1000;
    if (r.native) row.native++;
    profile.set(name, row);
    return r.out;
  };
}

let registered = false;
let sharedPool: BufferPool | undefined;

/** Registers the backend and its kernels once. Returns the backend name. */
export function registerNativeBackend(loaded: LoadedAddon): string {
  if (registered) return NATIVE_BACKEND;
  const mb = Number(process.env.WHITTLE_NATIVE_POOL_MB);
  sharedPool = new BufferPool(Number.isFinite(mb) && mb >= 0 ? { maxFreeBytes: mb * 2 ** 20 } : {});
  const pool = sharedPool;
  tf.registerBackend(NATIVE_BACKEND, () => new NativeBackend(loaded.addon, pool), 0);
  for (const k of tf.getKernelsForBackend('cpu')) {
    tf.registerKernel({
      kernelName: k.kernelName,
      backendName: NATIVE_BACKEND,
      setupFunc: k.setupFunc,
      disposeFunc: k.disposeFunc,
      kernelFunc: wrap(k.kernelName, k.kernelFunc, NATIVE_KERNELS[k.kernelName]),
    });
  }
  for (const [name, k] of Object.entries(NATIVE_ONLY)) {
    const noFallback: tf.KernelFunc = () => {
      throw new Error(`${name}: unsupported inputs for the native backend`);
    };
    tf.registerKernel({ kernelName: name, backendName: NATIVE_BACKEND, kernelFunc: wrap(name, noFallback, k) });
  }
  grads.installNativeGradients(NATIVE_BACKEND);
  bn.patchBatchNormalizationLayer(NATIVE_BACKEND);
  optim.patchSgdOptimizer(NATIVE_BACKEND);
  patchSavedTensorClones(NATIVE_BACKEND);
  patchModelExecution(NATIVE_BACKEND);
  registered = true;
  return NATIVE_BACKEND;
}

/** The pool shared by native backend instances (for tests and benchmarks). */
export function nativePool(): BufferPool | undefined {
  return sharedPool;
}
