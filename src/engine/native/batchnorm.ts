/**
 * Training-mode batch norm as one op. tfjs-layers computes it as moments (Mean, Sub, Square, Mean) +
 * FusedBatchNorm, and differentiates all of it: ~10 full-size passes and 2 gradient accumulations per
 * layer. `batchNormTraining` does 2 passes forward and 2 backward (native kernels, custom gradient).
 * On other backends it is exactly the tfjs-layers composition.
 *
 * `patchBatchNormalizationLayer` makes tfjs-layers' BatchNormalization use it in training while the
 * native backend is active (channel-last, with gamma and beta; anything else runs the original code).
 * Same formulas, same moving-average update; WHITTLE_NATIVE_BN=0 turns the patch off.
 */
import { tf, tfl } from '../tf.js';
import { sizeOf, type NativeKernel } from './kernels/types.js';

export const BN_TRAIN_FWD = 'WhittleBatchNormTrainForward';
export const BN_TRAIN_BWD = 'WhittleBatchNormTrainBackward';

function channels(x: tf.TensorInfo, ...params: Array<tf.TensorInfo | undefined>): number | undefined {
  if (x.shape.length < 1) return undefined;
  const c = x.shape[x.shape.length - 1];
  return params.every((p) => !p || sizeOf(p.shape) === c) ? c : undefined;
}

/** [y, mean, variance] */
export const bnTrainForward: NativeKernel = ({ inputs, attrs, backend }) => {
  const { x, gamma, beta } = inputs;
  if (!x) return undefined;
  const c = channels(x, gamma, beta);
  const xv = backend.f32(x);
  if (!c || !xv || xv.length === 0) return undefined;
  const y = backend.pool.alloc(xv.length);
  const mean = new Float32Array(c);
  const variance = new Float32Array(c);
  backend.addon.bnTrainForward(xv, gamma ? backend.f32(gamma)! : null, beta ? backend.f32(beta)! : null, attrs.epsilon as number, c, y, mean, variance);
  return [backend.output([...x.shape], y), backend.output([c], mean), backend.output([c], variance)];
};

/** [dx, dgamma, dbeta] */
export const bnTrainBackward: NativeKernel = ({ inputs, attrs, backend }) => {
  const { x, dy, mean, variance, gamma } = inputs;
  if (!x || !dy || !mean || !variance) return undefined;
  const c = channels(x, mean, variance, gamma);
  const xv = backend.f32(x);
  const dv = backend.f32(dy);
  if (!c || !xv || !dv || xv.length === 0) return undefined;
  const dx = backend.pool.alloc(xv.length);
  const dg = new Float32Array(c);
  const db = new Float32Array(c);
  backend.addon.bnTrainBackward(xv, dv, backend.f32(mean)!, backend.f32(variance)!, gamma ? backend.f32(gamma)! : null, attrs.epsilon as number, c, dx, dg, db);
  return [backend.output([...x.shape], dx), backend.output([...(gamma?.shape ?? [c])], dg), backend.output([c], db)];
};

/**
 * Batch norm over all axes but the last, with batch statistics (biased variance), as in training.
 * @example const { y, mean, variance } = batchNormTraining(x, gamma, beta, 1e-5);
 */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number, nativeBackend = 'native'): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
  if (tf.getBackend() !== nativeBackend || x.dtype !== 'float32') {
    const axes = x.shape.map((_, i) => i).slice(0, -1);
    const { mean, variance } = tf.moments(x, axes);
    return { y: tf.batchNorm(x, mean, variance, beta, gamma, epsilon), mean, variance };
  }
  let stats: tf.Tensor[] = [];
  const op = tf.customGrad(((xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, mean, variance] = tf.engine().runKernel(BN_TRAIN_FWD, { x: xx, gamma: g, beta: b }, { epsilon }) as tf.Tensor[];
    save([xx, g, mean, variance]);
    stats = [tf.keep(mean), tf.keep(variance)]; // the op's own tidy would dispose them
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sg, sm, sv] = saved;
        const [dx, dg, db] = tf.engine().runKernel(BN_TRAIN_BWD, { x: sx, dy, mean: sm, variance: sv, gamma: sg }, { epsilon }) as tf.Tensor[];
        return [dx, tf.reshape(dg, sg.shape), tf.reshape(db, b.shape)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const y = op(x, gamma, beta);
  // Hand the statistics to the caller's scope (clones share the data), then drop the kept originals.
  const [mean, variance] = [tf.clone(stats[0]), tf.clone(stats[1])];
  tf.dispose(stats);
  return { y, mean, variance };
}

interface BNLayer {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma: tfl.LayerVariable | null;
  beta: tfl.LayerVariable | null;
  movingMean: tfl.LayerVariable;
  movingVariance: tfl.LayerVariable;
}
type Call = (this: BNLayer, inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }) => tf.Tensor | tf.Tensor[];

let patched = false;

export function patchBatchNormalizationLayer(nativeBackend: string): void {
  if (patched || process.env.WHITTLE_NATIVE_BN === '0') return;
  patched = true;
  const proto = Object.getPrototypeOf(tfl.layers.batchNormalization({})) as { call: Call };
  const original = proto.call;
  proto.call = function (this: BNLayer, inputs, kwargs) {
    const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    const training = Boolean(kwargs?.training);
    if (!training || !x || tf.getBackend() !== nativeBackend || !this.gamma || !this.beta || x.dtype !== 'float32' ||
      (this.axis !== -1 && this.axis !== x.rank - 1)) {
      return original.call(this, inputs, kwargs);
    }
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTraining(x, this.gamma!.read(), this.beta!.read(), this.epsilon, nativeBackend);
      const update = (v: tfl.LayerVariable, value: tf.Tensor): void => {
        tf.tidy(() => {
          const old = v.read();
          v.write(tf.sub(old, tf.mul(tf.sub(old, value), 1 - this.momentum)));
        });
      };
      update(this.movingMean, mean);
      update(this.movingVariance, variance);
      return y;
    });
  };
}
