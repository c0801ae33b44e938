/**
 * `whittle pq` end to end (Node only): checkpoint → iPQ (quantise stage by stage, optional centroid
 * fine-tuning with Quant-Noise) → compressed file → reload it and evaluate what is actually stored.
 */
import { tfl } from '../../engine/tf.js';
import { WhittleError } from '../../core/errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { modelParams } from '../../models/params.js';
import { modelFromCheckpoint, evaluate, train, Sgd, type BatchSource, type LoadedCheckpoint } from '../../train/index.js';
import { iterateBatches, epochRng, numBatches, type ImageDataset, type Normalization } from '../../data/index.js';
import { parsePQConfig, type PQConfigInput } from './config.js';
import { runIPQ, pqNoiseHook, type QuantizedLayerReport } from './ipq.js';
import { setNoiseRate } from './convert.js';
import { encodePQModel, decodePQModel } from './format.js';
import { modelSize, type ModelSize } from './size.js';
import { entropyReport } from './entropy.js';
import { readSafetensors } from '../../io/safetensors.js';
import { isPQLayer } from './layers.js';

/**
 * Fine-tuning and evaluation data, normalised as the model was trained. The CLI resolves it from the
 * run config stored in the checkpoint (`checkpointValidation`, as `whittle eval` does), so the run's
 * own validation split is never trained on.
 */
export interface PQData {
  train: ImageDataset;
  val: ImageDataset;
  normalize: Normalization;
}

export interface PQRunOptions {
  /** A checkpoint path (run dir, checkpoints/ folder, ckpt-* dir) or one already loaded. */
  checkpoint: string | LoadedCheckpoint;
  out: string;
  config: PQConfigInput;
  stages?: string[];
  finetuneEpochs?: number;
  noiseRate?: number;
  lr?: number;
  batchSize?: number;
  /** Without data, nothing is fine-tuned or evaluated; `dataNote` says why (it becomes `accuracyNote`). */
  data?: PQData;
  dataNote?: string;
  /** Index coding (format.ts `EncodeOptions.coding`); default 'auto'. */
  coding?: 'packed' | 'huffman' | 'auto';
  seed?: number;
  log?: (line: string) => void;
}

export interface PQRunReport {
  layers: QuantizedLayerReport[];
  size: ModelSize;
  fileBytes: number;
  /** Per layer: fixed bits/index, empirical entropy, Huffman bits/index. */
  entropy: Record<string, { fixed: number; entropy: number; huffman: number }>;
  accuracyBefore?: number;
  accuracyAfter?: number;
  accuracyNote?: string;
}

function trainSource(ds: PQData, batchSize: number): BatchSource {
  return {
    stepsPerEpoch: numBatches(ds.train.n, batchSize),
    epoch: (e, _rng, start) => iterateBatches(ds.train, { batchSize, shuffle: true, augment: true, rng: epochRng(0, e), normalize: ds.normalize, startBatch: start }),
    canSkip: true,
  };
}

export async function runPQ(o: PQRunOptions): Promise<PQRunReport> {
  const log = o.log ?? (() => undefined);
  const { model } = await modelFromCheckpoint(o.checkpoint);
  const cfg = parsePQConfig(o.config);
  const batchSize = o.batchSize ?? 128;
  const data = o.data;
  const accuracyNote = data ? undefined : `${o.dataNote ?? 'no data given'}: accuracy not measured`;
  if (!data && (o.finetuneEpochs ?? 0) > 0) throw new WhittleError(`--finetune-epochs needs training data: ${accuracyNote}`);
  const val = data ? () => iterateBatches(data.val, { batchSize, normalize: data.normalize }) : undefined;
  const accuracyBefore = val ? (await evaluate(model, val())).top1 : undefined;
  const totalParams = modelParams(model).reduce((s, p) => s + p.variable.size, 0);

  const res = await runIPQ(model, {
    config: cfg, stages: o.stages, noiseRate: o.noiseRate ?? 0, log,
    finetune: (o.finetuneEpochs ?? 0) > 0 && data
      ? async (m, info) => {
          // A fresh optimizer per stage (each stage is a new model), freed with its momentum slots.
          const optimizer = new Sgd({ momentum: 0.9 });
          const r = await train({
            model: m, data: trainSource(data!, batchSize), evalData: val, epochs: o.finetuneEpochs!,
            optimizer, lr: o.lr ?? 0.01, seed: (o.seed ?? 0) + info.index, hooks: [pqNoiseHook(m)],
          }).finally(() => optimizer.dispose());
          log(`  fine-tuned ${o.finetuneEpochs} epoch(s): val top-1 ${r.final ? (100 * r.final.top1).toFixed(2) + ' %' : 'n/a'}`);
        }
      : undefined,
  });
  setNoiseRate(res.model, 0);
  const bytes = await encodePQModel(res.model, { centroidDtype: cfg.centroidDtype, coding: o.coding ?? 'auto' });
  writeFileAtomic(o.out, bytes);
  const entropy = indexEntropy(res.model, bytes);
  let accuracyAfter: number | undefined;
  if (val) {
    const back = await decodePQModel(bytes, o.out); // evaluate exactly what the file holds (fp16 centroids)
    accuracyAfter = (await evaluate(back.model, val())).top1;
    back.model.dispose();
  }
  return { layers: res.layers, size: modelSize(totalParams, res.layers.map((l) => l.size)), fileBytes: bytes.length, entropy, accuracyBefore, accuracyAfter, accuracyNote };
}

/** Entropy of each layer's stored indices vs fixed width and Huffman. */
function indexEntropy(model: tfl.LayersModel, bytes: Uint8Array): PQRunReport['entropy'] {
  const st = readSafetensors(bytes);
  const layers = JSON.parse(st.metadata.layers) as Record<string, { bits: number }>;
  const out: PQRunReport['entropy'] = {};
  for (const l of model.layers.filter(isPQLayer)) {
    const meta = layers[l.name];
    const rows = Int32Array.from(l.pqTensors().assignments.dataSync());
    const r = entropyReport(rows, l.k * l.subspaces);
    out[l.name] = { fixed: meta.bits, entropy: r.entropy, huffman: r.huffmanBits };
  }
  return out;
}
