/**
 * `WhittleQuantConv2D` / `WhittleQuantDense`: Conv2D and Dense subclasses whose call() runs the parent's
 * call with the kernel replaced, for that forward only, by its Quant-Noise / fake-quantised version
 * (ste.ts). The stored float kernel variable is never written (fairseq's in-place quirk, methods.md
 * §4.3, is avoided by construction). Training forwards (`training: true`) use mask·q + (1 − mask)·clamp;
 * all other forwards are fully quantised (methods.md §4.2 step 1). The layer config carries the
 * LayerQuantSpec under `quant`, and both classes are registered with tfjs serialization, so a wrapped
 * model saves and loads (ecosystem.md §2.4.5).
 */
import { tf, tfl, type Tensor } from '../../engine/tf.js';
import { parseLayerSpec, type LayerQuantSpec } from './config.js';
import { LayerQuantizer } from './runtime.js';
import { fakeQuant, maskTensor, qTensors, quantNoise, quantizeActivation } from './ste.js';

type Layer = tfl.layers.Layer;
type Kwargs = Record<string, unknown>;
interface KernelHolder {
  kernel: { read(): Tensor } | null;
}
// Mixins must take `any[]` constructor arguments (TS2545).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type LayerCtor = new (...args: any[]) => Layer;

/** tfjs-layers does not export its layer classes; take them from the serialization registry. */
function registeredClass(name: string): LayerCtor {
  const map = tf.serialization.SerializationMap.getMap().classNameMap as Record<string, [unknown, unknown]>;
  const entry = map[name];
  if (!entry) throw new Error(`tfjs-layers class ${name} is not registered`);
  return entry[0] as LayerCtor;
}

export interface QuantLayer extends Layer {
  readonly quantSpec: LayerQuantSpec;
  /** The layer's quantiser state (created on first use, when the kernel shape is known). */
  quantizer(): LayerQuantizer;
  /** The stored float kernel variable. */
  floatKernel(): tf.Variable;
  /** The base tfjs class name this layer wraps. */
  readonly baseClassName: 'Conv2D' | 'Dense';
}

function quantMixin<B extends LayerCtor>(Base: B, className: string, baseClassName: 'Conv2D' | 'Dense') {
  return class QuantLayerImpl extends Base implements QuantLayer {
    static className = className;
    readonly quantSpec: LayerQuantSpec;
    readonly baseClassName = baseClassName;
    private quantState: LayerQuantizer | null = null;

    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    constructor(...args: any[]) {
      super(...args);
      this.quantSpec = parseLayerSpec((args[0] as { quant?: unknown }).quant, `layer ${String((args[0] as { name?: string }).name)}.quant`);
    }

    floatKernel(): tf.Variable {
      const k = (this as unknown as KernelHolder).kernel;
      if (!k) throw new Error(`layer ${this.name} is not built yet (no kernel)`);
      return k.read() as tf.Variable;
    }

    quantizer(): LayerQuantizer {
      this.quantState ??= new LayerQuantizer(this.quantSpec, this.name, this.floatKernel().shape);
      return this.quantState;
    }

    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
      return tf.tidy(() => {
        const holder = this as unknown as KernelHolder;
        const kv = holder.kernel;
        const k = this.floatKernel();
        const qz = this.quantizer();
        const training = kwargs?.training === true;
        const values = () => k.dataSync();
        let kq: Tensor;
        if (training) {
          if (!qz.externallyDriven || !qz.mask || !qz.weightQParams) qz.beginStep(values);
          kq = quantNoise(k, qTensors(qz.weightQParams!, k.rank), maskTensor(qz.mask!, k.shape));
        } else {
          kq = fakeQuant(k, qTensors(qz.ensureWeights(values), k.rank));
        }
        holder.kernel = { read: () => kq };
        let out: Tensor;
        try {
          out = super.call(inputs, kwargs) as Tensor;
        } finally {
          holder.kernel = kv;
        }
        if (qz.activationObserver) {
          if (!qz.activationQParams || (training && qz.activationDue)) qz.refreshActivation(out.dataSync());
          out = quantizeActivation(out, qTensors(qz.activationQParams!, out.rank), training);
        }
        return out;
      });
    }

    override getConfig(): tf.serialization.ConfigDict {
      return { ...super.getConfig(), quant: this.quantSpec as unknown as tf.serialization.ConfigDictValue };
    }
  };
}

/** The exported classes' public shape (declaration files cannot name the mixin's anonymous class). */
export interface QuantLayerClass {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  new (args: any): QuantLayer;
  readonly className: string;
}

export const QuantConv2D: QuantLayerClass = quantMixin(registeredClass('Conv2D'), 'WhittleQuantConv2D', 'Conv2D');
export const QuantDense: QuantLayerClass = quantMixin(registeredClass('Dense'), 'WhittleQuantDense', 'Dense');
tf.serialization.registerClass(QuantConv2D as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
tf.serialization.registerClass(QuantDense as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** Class names: plain → quantised and back. */
export const QUANT_CLASS: Record<'Conv2D' | 'Dense', string> = { Conv2D: QuantConv2D.className, Dense: QuantDense.className };
export const PLAIN_CLASS: Record<string, 'Conv2D' | 'Dense'> = { [QuantConv2D.className]: 'Conv2D', [QuantDense.className]: 'Dense' };

export function isQuantLayer(l: Layer): l is QuantLayer {
  return l instanceof QuantConv2D || l instanceof QuantDense;
}
