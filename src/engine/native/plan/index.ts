/**
 * Whole-model training steps for the native backend. A ResNet-56 step runs ~450 tfjs kernels and ~170
 * tfjs-layers layer calls, and their JS bookkeeping (engine, tape, layers, lazy outputs) cost ~45 ms of a
 * ~330 ms step (measured with the inspector's sampling profiler). For models whose every layer the plan
 * covers (graph.ts), `model.apply(x, { training: true })` while gradients are recorded runs as ONE op:
 * its forward makes the same native calls as the per-op path, its gradient function the backward ones
 * (execute.ts), and the tape holds one node for the whole model. Same kernels, same layouts, same
 * float32 formulas; batch-norm moving averages are written as the layer would. Anything else (inference,
 * nested gradients, other backends, layers the plan does not cover) runs tfjs-layers' code unchanged.
 * WHITTLE_NATIVE_PLAN=0 turns it off (read at each call).
 */
import { tf, tfl } from '../../tf.js';
import type { NativeBackend } from '../backend.js';
import { sizeOf } from '../kernels/types.js';
import { compilePlan, type PlanGraph } from './graph.js';
import { planBackward, planForward, release, type PlanContext } from './execute.js';

const plans = new WeakMap<object, PlanGraph | string>();

/** The model's plan, or why it has none (compiled once per model). */
export function planOf(model: tfl.LayersModel): PlanGraph | string {
  let p = plans.get(model);
  if (p === undefined) {
    try {
      p = compilePlan(model);
    } catch (e) {
      p = `plan failed: ${(e as Error).message}`;
    }
    plans.set(model, p);
  }
  return p;
}

interface EngineState { gradientDepth: number }

function runPlan(graph: PlanGraph, x: tf.Tensor): tf.Tensor {
  const be = tf.backend() as unknown as NativeBackend;
  const weights = graph.params.map((v) => v.read());
  const op = tf.customGrad(((...args: unknown[]) => {
    const inputs = args.slice(0, -1) as tf.Tensor[];
    const params = inputs.slice(1).map((t) => be.f32(t)!);
    const ctx: PlanContext = {
      graph, vals: [], bn: new Map(), params, paramInfos: inputs.slice(1), owned: [], input: be.f32(inputs[0])!, moving: [], done: false,
    };
    const outShape = outputShape(graph, inputs);
    const out = be.pool.alloc(sizeOf(outShape));
    try {
      planForward(be, ctx, [...x.shape], out);
    } catch (e) {
      release(be, ctx);
      be.pool.recycle(out);
      throw e;
    }
    const value = tf.engine().makeTensorFromTensorInfo(be.output(outShape, out));
    return {
      value,
      gradFunc: (dy: tf.Tensor) => {
        const grads = planBackward(be, ctx, be.f32(dy)!);
        return grads.map((g) => tf.engine().makeTensorFromTensorInfo(g));
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x, ...weights) as tf.Tensor;
}

/** The output shape: [batch, units] of the final Dense (graph.ts compiles no other output step). */
function outputShape(graph: PlanGraph, inputs: tf.Tensor[]): number[] {
  const last = graph.steps[graph.steps.length - 1];
  if (last.kind !== 'dense') throw new Error('plan: the output is not a Dense layer');
  return [inputs[0].shape[0], inputs[1 + last.w].shape[1] as number];
}

let patched = false;

export function patchModelExecution(nativeBackend: string): void {
  if (patched) return;
  patched = true;
  type Call = (this: tfl.LayersModel, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];
  const proto = Object.getPrototypeOf(tfl.LayersModel.prototype) as { call: Call };
  const original = proto.call;
  proto.call = function (this: tfl.LayersModel, inputs, kwargs) {
    const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    const depth = (tf.engine().state as unknown as EngineState).gradientDepth;
    if (kwargs?.training === true && !kwargs.mask && depth === 1 && process.env.WHITTLE_NATIVE_PLAN !== '0' && x && x.dtype === 'float32' && x.rank === 4 && tf.getBackend() === nativeBackend) {
      const plan = planOf(this);
      if (typeof plan !== 'string' && sameShape(x, this)) {
        try {
          return [runPlan(plan, x)];
        } catch (e) {
          // A geometry oneDNN rejects (or any failure before the op was recorded): this model runs per op.
          plans.set(this, `plan failed: ${(e as Error).message}`);
        }
      }
    }
    return original.call(this, inputs, kwargs);
  };
}

function sameShape(x: tf.Tensor, model: tfl.LayersModel): boolean {
  const s = model.inputs[0].shape;
  return s.length === x.rank && s.every((d, i) => d === null || d === x.shape[i]);
}
