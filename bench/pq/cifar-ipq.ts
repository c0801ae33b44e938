/**
 * End-to-end iPQ on CIFAR-10 (the "done means"): train resnet20 briefly, then `runPQ` (what
 * `whittle pq` runs) at K = 256, block 9 (3×3) / 8 (dense), centroid fine-tuning with Quant-Noise,
 * compressed file written, reloaded, evaluated. Slow (minutes on 2 cores); never part of the tests.
 * Usage: npx tsx bench/pq/cifar-ipq.ts [--train 10000] [--epochs 3] [--val 2000] [--ft-train 5000] [--out /tmp/whittle-pq-cifar]
 */
import { join } from 'node:path';
import { writeFileSync, mkdirSync } from 'node:fs';
import { initBackend } from '../../src/engine/backend.js';
import { createModel } from '../../src/models/registry.js';
import { train, Sgd, cosine } from '../../src/train/index.js';
import { loadDataset, iterateBatches, epochRng, numBatches } from '../../src/data/index.js';
import { runPQ } from '../../src/techniques/pq/pipeline.js';

const arg = (n: string, d: string) => { const i = process.argv.indexOf(`--${n}`); return i >= 0 ? process.argv[i + 1] : d; };
const nTrain = Number(arg('train', '10000')), epochs = Number(arg('epochs', '3')), nVal = Number(arg('val', '2000'));
const ftTrain = Number(arg('ft-train', '5000')), out = arg('out', '/tmp/whittle-pq-cifar');
mkdirSync(out, { recursive: true });

async function main(): Promise<void> {
  const info = await initBackend('auto');
  console.log(`backend ${info.name}`);
  const ds = loadDataset('cifar10', { limitTrain: nTrain, limitVal: nVal });
  const bs = 64;
  const model = createModel('resnet20', { seed: 0 });
  const t0 = Date.now();
  const r = await train({
    model, epochs, seed: 0, optimizer: new Sgd({ momentum: 0.9, weightDecay: 5e-4 }), lr: cosine({ base: 0.05, total: epochs }),
    data: {
      stepsPerEpoch: numBatches(ds.train.n, bs),
      epoch: (e, _r, start) => iterateBatches(ds.train, { batchSize: bs, shuffle: true, augment: true, rng: epochRng(0, e), normalize: ds.normalization, startBatch: start }),
      canSkip: true,
    },
    evalData: () => iterateBatches(ds.val, { batchSize: 256, normalize: ds.normalization }),
    checkpoint: { dir: join(out, 'run') }, meta: { modelName: 'resnet20', dataset: 'cifar10' },
    onProgress: (p) => { if (p.phase === 'train' && p.step % 20 === 0) console.log(`epoch ${p.epoch} step ${p.step}/${p.stepsPerEpoch} loss ${p.loss.toFixed(3)}`); },
  });
  console.log(`trained ${epochs} epochs on ${nTrain} images in ${((Date.now() - t0) / 1000).toFixed(0)} s: val top-1 ${r.final ? (100 * r.final.top1).toFixed(2) : 'n/a'} %`);
  const t1 = Date.now();
  const ft = loadDataset('cifar10', { limitTrain: ftTrain, limitVal: nVal }); // same held-out batch as the training above
  const rep = await runPQ({
    checkpoint: join(out, 'run'), out: join(out, 'resnet20.pq'),
    config: { k: 256, blockSizes: { conv3x3: 9, conv1x1: 4, dense: 8 } },
    finetuneEpochs: 1, noiseRate: 0.05, lr: 0.01, batchSize: bs, data: { train: ft.train, val: ft.val, normalize: ft.normalization },
    log: (l) => console.log(l),
  });
  console.log(`iPQ in ${((Date.now() - t1) / 1000).toFixed(0)} s`);
  for (const l of rep.layers) console.log(`${l.plan.layer.padEnd(22)} blocks ${String(l.size.nBlocks).padStart(5)} K ${String(l.plan.k).padStart(3)} bits ${l.size.bitsPerIndex} bytes ${String(l.size.bytes).padStart(6)} (fp32 ${l.size.fp32Bytes}) rel.err ${l.relativeError.toFixed(4)} H ${rep.entropy[l.plan.layer].entropy.toFixed(2)} huff ${rep.entropy[l.plan.layer].huffman.toFixed(2)}`);
  console.log(`size ${rep.size.fp32Bytes} B fp32 → ${rep.size.compressedBytes} B (${rep.size.ratio.toFixed(1)}×), file ${rep.fileBytes} B`);
  console.log(`top-1 before ${(100 * rep.accuracyBefore!).toFixed(2)} % after ${(100 * rep.accuracyAfter!).toFixed(2)} %`);
  writeFileSync(join(out, 'report.json'), JSON.stringify(rep, null, 1));
}
main().catch((e) => { console.error(e); process.exit(1); });
