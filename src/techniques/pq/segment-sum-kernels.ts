/**
 * `UnsortedSegmentSum` is what the gradient of `gather` needs, and so PQ centroid fine-tuning
 * (layers.ts). tfjs-backend-wasm 4.22 has none, and tfjs's cpu kernel runs one equal/multiply/sum pass
 * per segment — O(segments · size), 18.5 s per ResNet-20 step at K = 256. This registers an O(size)
 * loop (src/engine/row-kernels.ts) for the form `gather`'s gradient and layers.ts produce (float32 x,
 * 1-D segment ids over axis 0): on wasm where the kernel is missing, on cpu in front of the original,
 * which still runs every other form. The native backend has its own (src/engine/native/kernels/gather.ts).
 * Idempotent.
 */
import { tf } from '../../engine/tf.js';
import { segmentSumInto } from '../../engine/row-kernels.js';

interface WasmLike {
  readSync(dataId: object): ArrayLike<number>;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: Float32Array): tf.TensorInfo;
}
interface CpuLike {
  readSync(dataId: object): ArrayLike<number>;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
}

const NAME = 'UnsortedSegmentSum';
let cpuDone = false;

function fastSegmentSum(args: Parameters<tf.KernelFunc>[0], on: 'wasm' | 'cpu'): tf.TensorInfo | undefined {
  const x = args.inputs.x as tf.TensorInfo;
  const ids = args.inputs.segmentIds as tf.TensorInfo;
  const numSegments = args.attrs?.numSegments as number;
  if (ids.shape.length !== 1 || ids.shape[0] !== x.shape[0] || x.dtype !== 'float32') return undefined;
  const b = args.backend as unknown as WasmLike & CpuLike;
  const inner = x.shape.slice(1).reduce((a, c) => a * c, 1);
  const out = new Float32Array(numSegments * inner);
  segmentSumInto(out, b.readSync(x.dataId), b.readSync(ids.dataId), inner, numSegments);
  const shape = [numSegments, ...x.shape.slice(1)];
  // The two backends name their output makers differently (cpu's makeOutput returns a Tensor).
  return on === 'wasm' ? b.makeOutput(shape, 'float32', undefined, out) : b.makeTensorInfo(shape, 'float32', out);
}

export function registerSegmentSumKernels(): void {
  if (!tf.getKernel(NAME, 'wasm')) {
    tf.registerKernel({
      kernelName: NAME,
      backendName: 'wasm',
      kernelFunc: (args) => {
        const r = fastSegmentSum(args, 'wasm');
        if (r) return r;
        const x = args.inputs.x as tf.TensorInfo;
        const ids = args.inputs.segmentIds as tf.TensorInfo;
        throw new Error(`UnsortedSegmentSum (Whittle wasm): needs float32 x and 1-D segment ids over axis 0, got x [${x.shape}] ${x.dtype}, ids [${ids.shape}]`);
      },
    });
  }
  const cpu = tf.getKernel(NAME, 'cpu');
  if (cpu && !cpuDone) {
    cpuDone = true;
    tf.unregisterKernel(NAME, 'cpu'); // re-registering over it would print tfjs's duplicate warning
    tf.registerKernel({ ...cpu, kernelFunc: (args) => fastSegmentSum(args, 'cpu') ?? cpu.kernelFunc(args) });
  }
}
