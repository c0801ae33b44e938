/**
 * The one place Whittle imports TensorFlow.js from. Importing tfjs-layers registers the gradients
 * (tfjs-core alone cannot differentiate `Sum`, ../shared/docs/ecosystem.md §2.4.3). Write ops in
 * functional style (`tf.expandDims(t)`): chained methods are not installed by tfjs-core alone.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export { tf, tfl };
export type Tensor = tf.Tensor;
export type Rank = tf.Rank;
