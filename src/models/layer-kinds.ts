/**
 * Conv / dense layers by registered class name: the plain tfjs layers and Whittle's stand-ins for them
 * (quantising wrappers, Quant-Noise block-noise layers, PQ layers). By name so that models/ and the
 * pruning code need not import the techniques.
 */

/** Every conv-like class (FLOPs). PQ/block-noise configs carry `kernelShape` [kh, kw, in, out]. */
export const CONV_CLASSES: ReadonlySet<string> = new Set(['Conv2D', 'WhittleQuantConv2D', 'WhittlePQConv2D', 'WhittleBlockNoiseConv2D']);
export const DENSE_CLASSES: ReadonlySet<string> = new Set(['Dense', 'WhittleQuantDense', 'WhittlePQDense', 'WhittleBlockNoiseDense']);

/**
 * Conv classes whose first weight is a trainable HWIO `kernel` variable, which filter masking (SFP,
 * RePr) can zero and re-initialise. PQ layers hold centroids instead and are left out.
 */
export const KERNEL_CONV_CLASSES: ReadonlySet<string> = new Set(['Conv2D', 'WhittleQuantConv2D', 'WhittleBlockNoiseConv2D']);

/** Dense classes whose first weight is the `[in, out]` kernel variable. */
export const KERNEL_DENSE_CLASSES: ReadonlySet<string> = new Set(['Dense', 'WhittleQuantDense', 'WhittleBlockNoiseDense']);
