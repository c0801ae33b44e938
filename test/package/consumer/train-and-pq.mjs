/* global process, console */
// Plain Node ESM against the installed tarball (no tsx, no TypeScript): the README's library example at
// toy size (procedural data, one step on wasm), then a PQ file for the browser check. Prints JSON.
import { writeFileSync } from 'node:fs';
import { initBackend, createModel, loadDataset, imageBatchSource, imageEvalBatches, train, Sgd, ReprHook, pq, tf, Rng } from 'whittle';

const backend = await initBackend('wasm');
const { train: ds, val, normalization } = loadDataset('shapes', { trainSize: 32, valSize: 16 });
const model = createModel('vanilla', { seed: 0, inputShape: [ds.height, ds.width, ds.channels], numClasses: ds.numClasses });
const optimizer = new Sgd({ momentum: 0.9, weightDecay: 5e-4 });
const result = await train({
  model, optimizer, lr: 0.01, epochs: 1, seed: 0, maxIterations: 1,
  data: imageBatchSource(ds, { batchSize: 16, shuffle: true, augment: true, normalize: normalization }),
  evalData: imageEvalBatches(val, { batchSize: 16, normalize: normalization }),
  hooks: [new ReprHook({ s1: 1, s2: 1, cycles: 1 })],
});

await initBackend('cpu');
const small = createModel('resnet20', { inputShape: [8, 8, 3], seed: 4 });
const { model: quantised } = await pq.runIPQ(small, { config: { k: 16, iterations: 3 } });
const file = await pq.encodePQModel(quantised, { coding: 'huffman' });
writeFileSync(process.argv[2], file);
const x = new Rng(6).fillNormal(new Float32Array(2 * 8 * 8 * 3), 0, 1);
const { model: decoded } = await pq.decodePQModel(file);
const logits = Array.from(decoded.predict(tf.tensor(x, [2, 8, 8, 3])).dataSync());
console.log(JSON.stringify({ backend: backend.name, iterations: result.iteration, stopped: result.stopped, logits }));
