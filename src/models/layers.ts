/**
 * Whittle's custom layers for the model zoo, registered with tfjs serialization so that models
 * holding them survive `model.save()` / `tfl.loadLayersModel()` / `tfl.models.modelFromJSON()`.
 *
 * `ShortcutA` is the parameter-free "option A" shortcut of He et al. as the SFP code writes it
 * (he-y/soft-filter-pruning models/resnet.py `DownsampleA`): `AvgPool2d(kernel_size=1, stride=2)`, i.e.
 * take every second pixel starting at (0, 0), then append zero channels up to `outChannels`. tfjs-layers
 * has no Lambda layer, hence this class. Built from ops with gradients on every backend (AvgPool, PadV2);
 * tfjs-core has no StridedSlice gradient, so strided slicing is avoided.
 */
import { tf, tfl } from '../engine/tf.js';

type Shape = (number | null)[];

export interface ShortcutAArgs {
  outChannels: number;
  /** Spatial subsampling factor; 1 keeps the resolution (channel padding only). */
  stride?: number;
  name?: string;
  trainable?: boolean;
}

export class ShortcutA extends tfl.layers.Layer {
  /** Registered name; appears as `class_name` in saved topologies. */
  static className = 'WhittleShortcutA';
  readonly outChannels: number;
  readonly stride: number;

  constructor(args: ShortcutAArgs) {
    super({ name: args.name, trainable: args.trainable });
    if (!Number.isInteger(args.outChannels) || args.outChannels < 1) {
      throw new Error(`ShortcutA ${args.name ?? ''}: outChannels must be a positive integer, got ${args.outChannels}`);
    }
    this.outChannels = args.outChannels;
    this.stride = args.stride ?? 2;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = (Array.isArray(inputShape[0]) || inputShape[0] === undefined ? inputShape[0] : inputShape) as Shape;
    const sub = (d: number | null) => (d === null ? null : Math.floor((d - 1) / this.stride) + 1);
    const inC = s[3];
    if (inC !== null && inC > this.outChannels) {
      throw new Error(`ShortcutA ${this.name}: input has ${inC} channels, more than outChannels ${this.outChannels}`);
    }
    return [s[0], sub(s[1]), sub(s[2]), this.outChannels];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      let x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      // A 1x1 average pool with stride s is exactly x[:, ::s, ::s, :] (same as the reference).
      if (this.stride > 1) x = tf.avgPool(x, 1, this.stride, 'valid');
      const extra = this.outChannels - x.shape[3];
      if (extra < 0) throw new Error(`ShortcutA ${this.name}: input has ${x.shape[3]} channels, more than ${this.outChannels}`);
      // Zeros go after the existing channels, like torch.cat((x, x.mul(0)), 1).
      return extra === 0 ? tf.clone(x) : tf.pad(x, [[0, 0], [0, 0], [0, 0], [0, extra]]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), outChannels: this.outChannels, stride: this.stride };
  }
}

tf.serialization.registerClass(ShortcutA);
