/** Small test nets for the ENC tests. */
import { tf, tfl } from '../../../src/engine/tf.js';
import { randomArray } from '../../helpers/backends.js';

type Sym = tfl.SymbolicTensor;

/** conv1 (same, bias) → padded stride-2 valid conv → same stride-2 conv (bias) → dense, with an add. */
export function smallNet(): tfl.LayersModel {
  const input = tfl.input({ shape: [9, 9, 3], name: 'input' });
  const c1 = tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'conv1' }).apply(input) as Sym;
  const r1 = tfl.layers.reLU({ name: 'relu1' }).apply(c1) as Sym;
  const c2 = tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false, name: 'conv2' }).apply(r1) as Sym;
  const add = tfl.layers.add({ name: 'add' }).apply([r1, c2]) as Sym;
  const p = tfl.layers.zeroPadding2d({ padding: [[1, 1], [1, 1]], name: 'conv3_pad' }).apply(add) as Sym;
  const c3 = tfl.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'valid', useBias: false, name: 'conv3' }).apply(p) as Sym;
  const c4 = tfl.layers.conv2d({ filters: 5, kernelSize: [3, 2], strides: 2, padding: 'same', name: 'conv4' }).apply(c3) as Sym;
  const f = tfl.layers.flatten({ name: 'flat' }).apply(c4) as Sym;
  const out = tfl.layers.dense({ units: 4, name: 'fc' }).apply(f) as Sym;
  const m = tfl.model({ inputs: input, outputs: out });
  let seed = 1;
  for (const l of m.layers) {
    const ws = l.getWeights();
    if (ws.length) l.setWeights(ws.map((w) => tf.tensor(randomArray(w.size, seed++), w.shape)));
  }
  return m;
}

/** Agreement with a reference model's predictions on fixed random inputs, as a stand-in accuracy. */
export function agreementEvaluator(ref: tfl.LayersModel, n: number, shape: [number, number, number], seed = 7): (m: tfl.LayersModel) => Promise<number> {
  const x = tf.tensor(randomArray(n * shape[0] * shape[1] * shape[2], seed), [n, ...shape]);
  const labels = tf.tidy(() => tf.argMax(ref.predict(x) as tf.Tensor, -1).dataSync().slice());
  return async (m) => {
    const pred = tf.tidy(() => tf.argMax(m.predict(x) as tf.Tensor, -1).dataSync());
    let ok = 0;
    for (let i = 0; i < n; i++) if (pred[i] === labels[i]) ok++;
    return ok / n;
  };
}
