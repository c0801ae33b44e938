/**
 * Registers Whittle's wasm training kernels. Idempotent. The originals are kept as fallbacks for
 * attributes the replacements do not cover.
 */
import { tf } from '../tf.js';
import { conv2DBackpropFilterWasm } from './conv2d-backprop-filter.js';
import { makeConv2DBackpropInputWasm } from './conv2d-backprop-input.js';
import { maxPoolGradWasm } from './max-pool-grad.js';

let registered = false;

function replace(kernelName: string, make: (original: tf.KernelFunc | undefined) => tf.KernelFunc): void {
  const original = tf.getKernel(kernelName, 'wasm');
  if (original) tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({
    kernelName,
    backendName: 'wasm',
    setupFunc: original?.setupFunc,
    kernelFunc: make(original?.kernelFunc),
  });
}

export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
  replace('Conv2DBackpropFilter', () => conv2DBackpropFilterWasm as unknown as tf.KernelFunc);
  replace('Conv2DBackpropInput', (orig) => {
    if (!orig) throw new Error('wasm backend lacks Conv2DBackpropInput');
    return makeConv2DBackpropInputWasm(orig) as unknown as tf.KernelFunc;
  });
  replace('MaxPoolGrad', () => maxPoolGradWasm as unknown as tf.KernelFunc);
}
