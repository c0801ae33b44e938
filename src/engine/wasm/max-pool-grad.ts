/**
 * MaxPoolGrad for wasm. tfjs-backend-wasm 4.22's kernel returns wrong gradients on some shapes
 * (e.g. [1,8,8,3], [3,4,4,1]: off by up to 0.9 against the cpu backend and a hand-written backward),
 * which breaks training VGG-16. This one routes each output gradient to the first maximum of its
 * window, as the cpu backend does, in a plain loop over the wasm heap.
 */
import { tf } from '../tf.js';
import type { Info } from './call.js';

interface WasmBackendLike {
  readSync(dataId: object): ArrayLike<number>;
  makeOutput(shape: number[], dtype: 'float32'): Info;
  typedArrayFromHeap(t: Info): Float32Array;
}

export function maxPoolGradWasm(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown }): Info {
  const { dy, input } = args.inputs as { dy: Info; input: Info };
  const attrs = (args.attrs ?? {}) as { filterSize: number | [number, number]; strides: number | [number, number]; pad: 'same' | 'valid' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
  const backend = args.backend as WasmBackendLike;
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const x = backend.readSync(input.dataId);
  const g = backend.readSync(dy.dataId);
  const out = backend.makeOutput(input.shape, 'float32');
  const dx = backend.typedArrayFromHeap(out);
  dx.fill(0);
  const { batchSize, inHeight, inWidth, inChannels: C, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  for (let b = 0; b < batchSize; b++)
    for (let oh = 0; oh < outHeight; oh++)
      for (let ow = 0; ow < outWidth; ow++)
        for (let c = 0; c < C; c++) {
          let best = -Infinity;
          let at = -1;
          for (let fh = 0; fh < filterHeight; fh++) {
            const h = oh * strideHeight - top + fh;
            if (h < 0 || h >= inHeight) continue;
            for (let fw = 0; fw < filterWidth; fw++) {
              const w = ow * strideWidth - left + fw;
              if (w < 0 || w >= inWidth) continue;
              const i = ((b * inHeight + h) * inWidth + w) * C + c;
              if (x[i] > best) {
                best = x[i];
                at = i;
              }
            }
          }
          if (at >= 0) dx[at] += g[((b * outHeight + oh) * outWidth + ow) * C + c];
        }
  return out;
}
