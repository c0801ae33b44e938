/**
 * Cheaper saved tensors while the native backend records gradients. tfjs saves every tensor a gradient
 * will need as `engine.clone(t)`: an Identity kernel run plus two tape nodes (the kernel's and the
 * clone's), ~350 clones per ResNet-56 training step. With one level of gradient recording those tape
 * nodes are never on a path the backward pass follows (the saved tensor is read only inside gradient
 * functions), so here a saved tensor is a plain new handle on the same data (the backend's refcount, as
 * Identity does). Nested gradients (tf.grad of tf.grad: gradientDepth > 1) keep tfjs's clone, whose tape
 * node lets the outer gradient flow through saved values. WHITTLE_NATIVE_SAVE=0 turns this off.
 */
import { tf } from '../tf.js';

interface EngineInternals {
  backendName: string;
  backend: tf.KernelBackend & { incRef(dataId: object): void };
  state: { gradientDepth: number };
  clone(x: tf.Tensor): tf.Tensor;
  makeTensorFromTensorInfo(info: tf.TensorInfo, backend?: tf.KernelBackend): tf.Tensor;
}

let patched = false;

export function patchSavedTensorClones(nativeBackend: string): void {
  if (patched || process.env.WHITTLE_NATIVE_SAVE === '0') return;
  patched = true;
  const engine = tf.engine() as unknown as EngineInternals;
  const original = engine.clone;
  engine.clone = function (this: EngineInternals, x: tf.Tensor): tf.Tensor {
    if (this.state.gradientDepth !== 1 || this.backendName !== nativeBackend || x.dtype === 'string') {
      return original.call(this, x);
    }
    const backend = this.backend;
    backend.incRef(x.dataId);
    return this.makeTensorFromTensorInfo({ dataId: x.dataId, shape: x.shape, dtype: x.dtype }, backend);
  };
}
