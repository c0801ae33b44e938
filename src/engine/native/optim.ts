/**
 * One native kernel for a whole SGD step. tfjs's SGDOptimizer runs Mul + Add (+ a tidy scope) per
 * variable: ~340 ops per ResNet-56 step whose JS overhead outweighs the arithmetic. While the native
 * backend is active, plain `tf.train.sgd` optimizers update every variable with one `WhittleSgdUpdate`
 * call (same float32 arithmetic: v + fround(-lr * g)); everything else runs tfjs's code unchanged.
 */
import { tf } from '../tf.js';
import type { NativeKernel } from './kernels/types.js';

export const SGD_UPDATE = 'WhittleSgdUpdate';

/** inputs v0, g0, v1, g1, ...; attrs.c = -learningRate. Outputs v_i + c * g_i. */
export const sgdUpdate: NativeKernel = ({ inputs, attrs, backend }) => {
  const n = Object.keys(inputs).length / 2;
  const c = attrs.c as number;
  const outs: tf.TensorInfo[] = [];
  const vals: Array<[Float32Array, Float32Array, number[]]> = [];
  for (let i = 0; i < n; i++) {
    const v = inputs[`v${i}`];
    const g = inputs[`g${i}`];
    const vv = v && backend.f32(v);
    const gv = g && backend.f32(g);
    if (!v || !vv || !gv || vv.length !== gv.length) return undefined;
    vals.push([vv, gv, v.shape]);
  }
  for (const [vv, gv, shape] of vals) {
    const out = backend.pool.alloc(vv.length);
    backend.addon.sgdUpdate(vv, gv, c, out);
    outs.push(backend.output([...shape], out));
  }
  return outs;
};

type VarGrads = tf.NamedTensorMap | Array<{ name: string; tensor: tf.Tensor }>;
interface SgdLike { learningRate: number; incrementIterations(): void; applyGradients(g: VarGrads): void }

let patched = false;

export function patchSgdOptimizer(nativeBackend: string): void {
  if (patched) return;
  patched = true;
  const proto = tf.SGDOptimizer.prototype as unknown as SgdLike;
  const original = proto.applyGradients;
  proto.applyGradients = function (this: SgdLike, variableGradients: VarGrads) {
    if (tf.getBackend() !== nativeBackend || Object.getPrototypeOf(this) !== proto) return original.call(this, variableGradients);
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    const registered = tf.engine().registeredVariables;
    const pairs: Array<[tf.Variable, tf.Tensor]> = [];
    names.forEach((name, i) => {
      const g = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
      if (g != null) pairs.push([registered[name], g]);
    });
    const plain = pairs.every(([v, g]) => v.dtype === 'float32' && g.dtype === 'float32' && v.size === g.size && !g.isDisposed);
    if (!plain || pairs.length === 0) return original.call(this, variableGradients);
    tf.tidy(() => {
      const inputs: tf.NamedTensorMap = {};
      pairs.forEach(([v, g], i) => {
        inputs[`v${i}`] = v;
        inputs[`g${i}`] = g;
      });
      const outs = tf.engine().runKernel(SGD_UPDATE, inputs, { c: Math.fround(-this.learningRate) }) as tf.Tensor[];
      pairs.forEach(([v], i) => v.assign(outs[i]));
    });
    this.incrementIterations();
  };
}
