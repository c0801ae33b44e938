/**
 * `whittle quant`: Quant-Noise / QAT fine-tuning of a checkpoint with int2..int8 weights, integer export
 * and a report of accuracy and size (methods.md §4). With `--sweep`, --bits, --noise-rate and
 * --observer take comma lists and every combination runs from the same checkpoint.
 * @example whittle quant --checkpoint runs/resnet20-cifar10 --bits 4 --noise-rate 0.5 --observer histogram --epochs 1 --out runs/rn20-int4
 * @example whittle quant --checkpoint runs/rn20 --sweep --bits 8,4 --noise-rate 0,0.1,0.5,1 --observer ema,histogram --epochs 1 --out runs/rn20-sweep
 */
import { assertExportTarget } from '../../train/output-target.js';
import type { Command } from 'commander';
import { initBackend, BACKEND_NAMES, type BackendName } from '../../engine/backend.js';
import { loadCheckpoint, imageBatchSource, imageEvalBatches } from '../../train/index.js';
import { addCheckpointDataOptions, dataOverrides, numberFlag, parseCheckpointData, type CheckpointDataFlags } from '../checkpoint-data-flags.js';
import { checkpointValidation } from '../../run/eval-checkpoint.js';
import { modelFromCheckpoint } from '../../train/model-io.js';
import {
  OBSERVER_KINDS, parseQuantConfig, quantLayers, stripQuantization, runQuant, runQuantSweep, formatSweepTable,
  type ObserverKind, type QuantConfig, type QuantRunReport,
} from '../../techniques/quant/index.js';

/** Flags shared by `whittle quant` and (for the lead to wire) `whittle train`. */
export interface QuantFlags {
  bits: string;
  noiseRate: string;
  observer: string;
  perChannel?: boolean;
  symmetric?: boolean;
  updateStep: string;
  noiseBlock: string;
  emaMomentum: string;
  layers?: string;
  exclude?: string;
  activationBits?: string;
}

/** Adds the quantisation flags to a command. */
export function addQuantOptions(cmd: Command): Command {
  return cmd
    .option('--bits <b>', 'weight bits, 2..8 (int8 / int4 usual)', '8')
    .option('--noise-rate <p>', 'Quant-Noise rate p in [0, 1]; 1 = QAT', '1')
    .option('--observer <kind>', `range observer: ${OBSERVER_KINDS.join('|')}`, 'histogram')
    .option('--per-channel', 'one scale/zero point per output channel')
    .option('--symmetric', 'symmetric grid (zero point 2^(b-1))')
    .option('--update-step <n>', 'recompute ranges every N steps (fairseq: 1000)', '1000')
    .option('--noise-block <b>', 'noise mask granularity: element | kernel | N input channels', 'element')
    .option('--ema-momentum <m>', 'EMA observer momentum', '0.99')
    .option('--layers <regexes>', 'comma-separated layer-name regexes to quantise (default all Conv2D/Dense)')
    .option('--exclude <regexes>', 'comma-separated layer-name regexes to keep in float')
    .option('--activation-bits <b>', 'also quantise layer outputs (clamped in training, fake-quantised at evaluation)');
}

const list = (s: string | undefined) => (s ? s.split(',').map((v) => v.trim()).filter(Boolean) : undefined);


/** Flags → a validated QuantConfig (one value per flag). */
export function quantConfigFromFlags(o: QuantFlags, seed = 0): QuantConfig {
  const block = o.noiseBlock === 'element' || o.noiseBlock === 'kernel' ? o.noiseBlock : numberFlag('--noise-block', o.noiseBlock);
  return parseQuantConfig({
    bits: numberFlag('--bits', o.bits),
    noiseRate: numberFlag('--noise-rate', o.noiseRate),
    observer: { kind: o.observer as ObserverKind, momentum: numberFlag('--ema-momentum', o.emaMomentum) },
    perChannel: !!o.perChannel,
    symmetric: !!o.symmetric,
    updateStep: numberFlag('--update-step', o.updateStep),
    noiseBlock: block,
    ...(list(o.layers) ? { layers: list(o.layers) } : {}),
    ...(list(o.exclude) ? { exclude: list(o.exclude) } : {}),
    ...(o.activationBits ? { activation: { bits: numberFlag('--activation-bits', o.activationBits) } } : {}),
    seed,
  }, '--quant');
}

interface Opts extends QuantFlags, CheckpointDataFlags {
  checkpoint: string;
  out?: string;
  epochs: string;
  lr: string;
  momentum: string;
  weightDecay: string;
  maxIterations?: string;
  seed: string;
  backend: BackendName;
  sweep?: boolean;
  json?: boolean;
}

function printReport(r: QuantRunReport): void {
  const pct = (v: number | undefined) => (v === undefined ? 'n/a' : `${(100 * v).toFixed(2)} %`);
  const c = r.config;
  console.log(`int${c.bits} ${c.symmetric ? 'symmetric' : 'affine'} ${c.perChannel ? 'per-channel' : 'per-tensor'}, observer ${c.observer.kind}, noise rate ${c.noiseRate}${c.noiseRate === 1 ? ' (QAT)' : ''}`);
  console.log(`top-1: float ${pct(r.accuracy.float)} | post-training ${pct(r.accuracy.ptq)} | fine-tuned ${pct(r.accuracy.finetuned)} | exported file ${pct(r.accuracy.exported)}`);
  console.log(`size: ${r.size.floatBytes} B float32 → ${r.size.fileBytes} B file (${r.size.ratio.toFixed(2)}×; ${r.size.quantizedTensors} integer tensors, ${r.size.floatTensors} left float)`);
  if (r.files) console.log(`wrote ${r.files.model}, ${r.files.weights}, ${r.files.report}`);
  for (const n of r.notes) console.log(`note: ${n}`);
}

export function register(program: Command): void {
  const cmd = program
    .command('quant')
    .description('Quant-Noise / QAT: fine-tune a checkpoint with fake-quantised int2..int8 weights, export integers, report accuracy and size')
    .requiredOption('--checkpoint <dir>', 'run or checkpoint directory (float model)')
    .option('--out <dir>', 'output directory (model.json, weights.safetensors, report.json, checkpoints/)')
    .option('--epochs <n>', 'fine-tuning epochs (0: post-training quantisation only)', '1')
    .option('--lr <x>', 'SGD learning rate', '0.01')
    .option('--momentum <m>', 'SGD momentum', '0.9')
    .option('--weight-decay <w>', 'SGD weight decay', '0')
    .option('--max-iterations <n>', 'stop fine-tuning after N steps')
    .option('--seed <n>', 'seed (noise masks and data order)', '0')
    .option('--backend <name>', `backend: ${BACKEND_NAMES.join('|')}`, 'auto')
    .option('--sweep', 'run every combination of comma-separated --bits, --noise-rate and --observer')
    .option('--json', 'print the report(s) as JSON');
  addQuantOptions(addCheckpointDataOptions(cmd)).action(async (o: Opts) => {
    const flags = parseCheckpointData(o);
    if (o.out) assertExportTarget(o.out, '--out', o.checkpoint);
    await initBackend(o.backend);
    const seed = numberFlag('--seed', o.seed);
    const ck = loadCheckpoint(o.checkpoint);
    const loaded = (await modelFromCheckpoint(ck)).model;
    // The float model: quantising layers of a previous quant run are stripped.
    const model = quantLayers(loaded).length ? stripQuantization(loaded) : loaded;
    // The run's own data (stored run config, flags merged), as `whittle eval` sees it.
    const v = await checkpointValidation(ck, { data: dataOverrides(flags) });
    const batchSize = flags.batchSize;
    const common = {
      model,
      train: imageBatchSource(v.data.train, { batchSize, shuffle: true, augment: v.config.data.augment, normalize: v.normalize }),
      val: imageEvalBatches(v.data.val, { batchSize, normalize: v.normalize }),
      epochs: numberFlag('--epochs', o.epochs),
      lr: numberFlag('--lr', o.lr),
      momentum: numberFlag('--momentum', o.momentum),
      weightDecay: numberFlag('--weight-decay', o.weightDecay),
      seed,
      meta: ck.meta,
      maxIterations: o.maxIterations ? numberFlag('--max-iterations', o.maxIterations) : undefined,
      log: o.json ? undefined : (l: string) => console.log(l),
    };
    if (o.sweep) {
      const one = quantConfigFromFlags({ ...o, bits: list(o.bits)![0], noiseRate: list(o.noiseRate)![0], observer: list(o.observer)![0] }, seed);
      const { bits: _b, noiseRate: _p, observer: _o, ...rest } = one;
      const rows = await runQuantSweep(
        {
          bits: list(o.bits)!.map((b) => numberFlag('--bits', b)),
          rates: list(o.noiseRate)!.map((p) => numberFlag('--noise-rate', p)),
          observers: list(o.observer) as ObserverKind[],
          base: { ...rest, observer: { kind: one.observer.kind, momentum: one.observer.momentum, bins: one.observer.bins } },
        },
        { ...common, out: o.out },
      );
      if (o.json) console.log(JSON.stringify(rows.map((r) => r.report)));
      else console.log(formatSweepTable(rows));
      return;
    }
    const { model: qm, ...report } = await runQuant({ ...common, config: quantConfigFromFlags(o, seed), out: o.out });
    qm.dispose();
    if (o.json) console.log(JSON.stringify(report));
    else printReport(report);
  });
}
