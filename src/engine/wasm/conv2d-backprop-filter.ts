/**
 * Conv2DBackpropFilter for wasm (missing upstream, tfjs#8474), composed from wasm's own PadV2,
 * Transpose, Conv2D and Slice kernels as measured in ../shared/docs/ecosystem.md §2.4.2:
 *   dW[kh,kw,ci,co] = Σ_{n,h,w} x[n,h·s+kh,w·s+kw,ci]·dy[n,h,w,co]
 *                   = conv2d(xᵀ[ci,H,W,N], dyᵀ[Ho,Wo,N,co], dilation = s)  (then sliced and transposed back).
 */
import { tf } from '../tf.js';
import { callKernel, pair, release, resolvePads, type Info } from './call.js';

export function conv2DBackpropFilterWasm(args: {
  inputs: tf.NamedTensorInfoMap;
  attrs?: tf.NamedAttrMap;
  backend: unknown;
}): Info {
  const { inputs, backend } = args;
  const attrs = (args.attrs ?? {}) as Record<string, unknown>;
  const x = inputs.x as Info;
  const dy = inputs.dy as Info;
  const filterShape = attrs.filterShape as number[];
  if (attrs.dataFormat && attrs.dataFormat !== 'NHWC') throw new Error('Conv2DBackpropFilter (wasm): NHWC only');
  const [kh, kw, ci, co] = filterShape;
  const [sh, sw] = pair(attrs.strides);
  const [, H, W] = x.shape;
  const [pt, pb, pl, pr] = resolvePads(attrs.pad, H, W, kh, kw, sh, sw, 'Conv2DBackpropFilter');
  const call = (name: string, ins: Record<string, Info>, at: Record<string, unknown>) =>
    callKernel(name, 'wasm', backend, ins, at);

  const padded =
    pt + pb + pl + pr > 0
      ? call('PadV2', { x }, { paddings: [[0, 0], [pt, pb], [pl, pr], [0, 0]], constantValue: 0 })
      : undefined;
  const xT = call('Transpose', { x: padded ?? x }, { perm: [3, 1, 2, 0] }); // [ci, Hp, Wp, N]
  if (padded) release(backend, padded);
  const dyT = call('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }); // [Ho, Wo, N, co]
  const full = call(
    'Conv2D',
    { x: xT, filter: dyT },
    { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [sh, sw], dimRoundingMode: undefined },
  ); // [ci, Hp-(Ho-1)sh, Wp-(Wo-1)sw, co]
  release(backend, xT, dyT);
  const needsSlice = full.shape[1] !== kh || full.shape[2] !== kw;
  const sliced = needsSlice ? call('Slice', { x: full }, { begin: [0, 0, 0, 0], size: [ci, kh, kw, co] }) : full;
  if (needsSlice) release(backend, full);
  const out = call('Transpose', { x: sliced }, { perm: [1, 2, 0, 3] }); // [kh, kw, ci, co]
  release(backend, sliced);
  return out;
}
