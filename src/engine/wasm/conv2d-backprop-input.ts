/**
 * Conv2DBackpropInput for wasm. The stock kernel is ~10x slower than the forward conv
 * (../shared/docs/engine-spike.md), so for stride 1 dx is computed as a forward XNNPACK conv of the
 * padded dy with the spatially flipped, in/out-transposed filter. Other strides use the stock kernel.
 */
import { tf } from '../tf.js';
import { callKernel, pair, release, resolvePads, type Info } from './call.js';

export function makeConv2DBackpropInputWasm(fallback: tf.KernelFunc) {
  return function conv2DBackpropInputWasm(args: {
    inputs: tf.NamedTensorInfoMap;
    attrs?: tf.NamedAttrMap;
    backend: unknown;
  }): Info {
    const { inputs, backend } = args;
    const attrs = (args.attrs ?? {}) as Record<string, unknown>;
    const dy = inputs.dy as Info;
    const filter = inputs.filter as Info;
    const [sh, sw] = pair(attrs.strides);
    const dilations = attrs.dilations === undefined ? [1, 1] : pair(attrs.dilations);
    const nhwc = !attrs.dataFormat || attrs.dataFormat === 'NHWC';
    if (sh !== 1 || sw !== 1 || dilations[0] !== 1 || dilations[1] !== 1 || !nhwc) {
      return fallback(args as unknown as Parameters<tf.KernelFunc>[0]) as Info;
    }
    const inputShape = attrs.inputShape as number[];
    const [kh, kw] = filter.shape;
    const [pt, pb, pl, pr] = resolvePads(attrs.pad, inputShape[1], inputShape[2], kh, kw, 1, 1, 'Conv2DBackpropInput');
    const call = (name: string, ins: Record<string, Info>, at: Record<string, unknown>) =>
      callKernel(name, 'wasm', backend, ins, at);
    const padded = call('PadV2', { x: dy }, {
      paddings: [[0, 0], [kh - 1 - pt, kh - 1 - pb], [kw - 1 - pl, kw - 1 - pr], [0, 0]],
      constantValue: 0,
    });
    const flipped = call('Reverse', { x: filter }, { dims: [0, 1] });
    const wT = call('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] }); // [kh, kw, co, ci]
    release(backend, flipped);
    const out = call(
      'Conv2D',
      { x: padded, filter: wT },
      { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined },
    );
    release(backend, padded, wT);
    return out;
  };
}
