/**
 * Gradient fusions for the native backend. tfjs composes some gradients from many full-size passes:
 * Relu as mul(dy, cast(step(x))), FusedBatchNorm with tile + ~10 element-wise ops, Mean with a freshly
 * filled ones(x.shape), Square as mul(dy, mul(x, 2)). While the native backend is active these
 * gradients run as single native kernels (same formulas); on every other backend the original gradient
 * runs unchanged, so techniques and other backends see no difference.
 */
import { tf } from '../tf.js';
import type { NativeKernel } from './kernels/types.js';
import { BIN, binaryFlat, broadcastPlan, binaryOp } from './kernels/elementwise.js';
import { sizeOf } from './kernels/types.js';

export const RELU_GRAD = 'WhittleReluGrad';
export const SQUARE_GRAD = 'WhittleSquareGrad';
export const MEAN_GRAD = 'WhittleMeanGrad';
export const BN_GRAD = 'WhittleBatchNormGrad';

/** out = x > 0 ? dy : 0; when dy is a pending lazy sum a + b, out = x > 0 ? a + b : 0 in one pass. */
export const reluGrad: NativeKernel = ({ inputs, backend }) => {
  const { dy, x } = inputs;
  if (!dy || !x) return undefined;
  const tag = backend.pendingTag(dy);
  const same = x.dtype === 'float32' && dy.dtype === 'float32' && x.shape.join() === dy.shape.join();
  // x in oneDNN's blocked layout (a Winograd conv's activation): the same element-wise pass on blocked
  // operands (an NHWC one is converted once), output blocked too.
  const xb = same ? backend.blocked16(x) : undefined;
  if (xb) {
    const add = tag?.op === 'add' && tag.a.shape.join() === x.shape.join() && tag.b.shape.join() === x.shape.join();
    const ab = add ? backend.toBlocked16(tag.a) : undefined;
    const bb = add ? backend.toBlocked16(tag.b) : undefined;
    const dyb = ab && bb ? undefined : backend.toBlocked16(dy);
    if ((ab && bb) || dyb) {
      const out = backend.pool.alloc(xb.length);
      if (ab && bb) backend.addon.reluGradAdd(ab, bb, xb, out);
      else binaryFlat(backend.addon, BIN.reluGrad, dyb!, xb, out);
      return backend.blockedOutput([...x.shape], out);
    }
  }
  if (tag?.op === 'add' && same) {
    const av = backend.f32(tag.a);
    const bv = backend.f32(tag.b);
    const xv = backend.f32(x);
    if (av && bv && xv && av.length === xv.length && bv.length === xv.length) {
      const out = backend.pool.alloc(xv.length);
      backend.addon.reluGradAdd(av, bv, xv, out);
      return backend.output([...x.shape], out);
    }
  }
  return binaryOp(backend, BIN.reluGrad, dy, x);
};

/** out = dy * (x * 2) */
export const squareGrad: NativeKernel = ({ inputs, backend }) =>
  inputs.dy && inputs.x ? binaryOp(backend, BIN.twiceMul, inputs.dy, inputs.x) : undefined;

/** out[x.shape] = broadcast(dy) / reduceSize */
export const meanGrad: NativeKernel = ({ inputs, attrs, backend }) => {
  const dy = inputs.dy;
  const shape = attrs.shape as number[];
  const dv = dy && backend.f32(dy);
  if (!dy || !dv) return undefined;
  const plan = broadcastPlan(dy.shape, shape);
  if (plan.out.join() !== shape.join() || plan.shape.length > 8) return undefined;
  const out = backend.pool.alloc(sizeOf(shape));
  const zeros = new Int32Array(plan.shape.length);
  backend.addon.binary(BIN.div, Int32Array.from(plan.shape), dv, Int32Array.from(plan.sa), Float32Array.of(attrs.reduceSize as number), zeros, out);
  return backend.output([...shape], out);
};

/** [dx, sum(dy), sum((x - mean) * dy)] per channel (last axis). */
export const batchNormGrad: NativeKernel = ({ inputs, attrs, backend }) => {
  const { x, dy, mean, variance, scale } = inputs;
  if (!x || !dy || !mean || !variance) return undefined;
  const c = x.shape[x.shape.length - 1];
  const xv = backend.f32(x);
  const dv = backend.f32(dy);
  const ok = (t: tf.TensorInfo | undefined): boolean => !t || (backend.f32(t) !== undefined && [1, c].includes(sizeOf(t.shape)));
  if (!xv || !dv || !ok(mean) || !ok(variance) || !ok(scale) || dy.shape.join() !== x.shape.join() || xv.length === 0) return undefined;
  const dx = backend.pool.alloc(xv.length);
  const s1 = new Float32Array(c);
  const s2 = new Float32Array(c);
  backend.addon.batchNormGrad(xv, dv, backend.f32(mean)!, backend.f32(variance)!, scale ? backend.f32(scale)! : null,
    attrs.varianceEpsilon as number, c, dx, s1, s2);
  return [backend.output([...x.shape], dx), backend.output([c], s1), backend.output([c], s2)];
};

let installed = false;

type GradMap = Record<string, () => tf.Tensor>;
type FastGrad = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => GradMap | undefined;

function override(kernelName: string, backendName: string, fast: FastGrad): void {
  const orig = tf.getGradient(kernelName);
  if (!orig) return;
  tf.registerGradient({
    ...orig,
    gradFunc: (dy, saved, attrs) => {
      if (tf.getBackend() !== backendName || Array.isArray(dy)) return orig.gradFunc(dy, saved, attrs);
      return fast(dy, saved, attrs) ?? orig.gradFunc(dy, saved, attrs);
    },
  });
}

const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown> = {}): tf.Tensor | tf.Tensor[] =>
  tf.engine().runKernel(name, inputs as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];

/** Routes the Relu, Square, Mean and FusedBatchNorm gradients through native kernels on `backendName`. */
export function installNativeGradients(backendName: string): void {
  if (installed) return;
  installed = true;
  override('Relu', backendName, (dy, saved) => {
    const [x] = saved;
    return x.dtype === 'float32' ? { x: () => run(RELU_GRAD, { dy: dy as tf.Tensor, x }) as tf.Tensor } : undefined;
  });
  override('Square', backendName, (dy, saved) => {
    const [x] = saved;
    return x.dtype === 'float32' ? { x: () => run(SQUARE_GRAD, { dy: dy as tf.Tensor, x }) as tf.Tensor } : undefined;
  });
  override('Mean', backendName, (dy, saved, attrs) => {
    const [x] = saved;
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
    const expanded = x.shape.slice();
    axes.forEach((a) => (expanded[a] = 1));
    const reduceSize = axes.reduce((acc, a) => acc * x.shape[a], 1);
    return {
      x: () => run(MEAN_GRAD, { dy: tf.reshape(dy as tf.Tensor, expanded) }, { shape: x.shape, reduceSize }) as tf.Tensor,
    };
  });
  override('FusedBatchNorm', backendName, (dy, saved, attrs) => {
    const [x, mean, variance, scale] = saved;
    if (mean.rank !== 1 || x.rank < 1 || mean.shape[0] !== x.shape[x.rank - 1]) return undefined;
    if ((scale && scale.size !== mean.size) || variance.size !== mean.size) return undefined;
    const eps = (attrs as { varianceEpsilon: number }).varianceEpsilon;
    const inputs: Record<string, tf.Tensor> = { x, dy: dy as tf.Tensor, mean, variance };
    if (scale) inputs.scale = scale;
    const [dx, s1, s2] = run(BN_GRAD, inputs, { varianceEpsilon: eps }) as tf.Tensor[];
    const scaleValue = scale ?? tf.scalar(1);
    const inv = tf.rsqrt(tf.add(variance, tf.scalar(eps)));
    return {
      x: () => dx,
      mean: () => tf.reshape(tf.mul(tf.mul(tf.mul(inv, tf.scalar(-1)), scaleValue), s1), mean.shape),
      variance: () => tf.reshape(tf.mul(tf.mul(tf.mul(tf.mul(tf.mul(inv, inv), inv), tf.scalar(-0.5)), scaleValue), s2), mean.shape),
      scale: () => tf.reshape(tf.mul(inv, s2), mean.shape),
      offset: () => tf.reshape(s1, mean.shape),
    };
  });
}
