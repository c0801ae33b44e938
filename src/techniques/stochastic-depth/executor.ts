/**
 * Lazy forward pass over a tfjs-layers functional model: each layer is computed only when an output
 * needs it. An Add whose input comes from a batch-mode gate that decided "drop" takes the other
 * input unchanged, so the dropped branch is never computed (methods.md §6.1: no gradient to f, BN
 * statistics of f not updated). Assumes every layer is applied once (true for Whittle's zoo).
 */
import { tf, tfl } from '../../engine/tf.js';
import { StochasticDepthGate } from './gate.js';

interface NodeLike {
  inboundLayers: tfl.layers.Layer[];
}

function inboundOf(layer: tfl.layers.Layer): tfl.layers.Layer[] {
  const nodes = (layer as unknown as { inboundNodes: NodeLike[] }).inboundNodes;
  return nodes.length ? nodes[0].inboundLayers : [];
}

export function lazyForward(model: tfl.LayersModel, x: tf.Tensor, training: boolean): tf.Tensor {
  const inputName = model.inputLayers[0].name;
  const memo = new Map<string, tf.Tensor>();
  const evaluate = (layer: tfl.layers.Layer): tf.Tensor => {
    if (layer.name === inputName) return x;
    const hit = memo.get(layer.name);
    if (hit) return hit;
    const ins = inboundOf(layer);
    let out: tf.Tensor;
    if (training && layer.getClassName() === 'Add') {
      const live = ins.filter((l) => !(l instanceof StochasticDepthGate && l.mode === 'batch' && !l.decide()));
      const vals = live.map(evaluate);
      out = vals.length === 1 ? vals[0] : (layer.apply(vals, { training }) as tf.Tensor);
    } else {
      const vals = ins.map(evaluate);
      out = layer.apply(vals.length === 1 ? vals[0] : vals, { training }) as tf.Tensor;
    }
    memo.set(layer.name, out);
    return out;
  };
  let out = evaluate(model.outputLayers[0]);
  // When every branch on the way was dropped the output may be the input itself; the caller owns
  // (and may dispose) what we return, so never hand back the caller's tensor.
  if (out === x) out = tf.clone(x);
  if (training) for (const l of model.layers) if (l instanceof StochasticDepthGate) l.endStep();
  return out;
}
