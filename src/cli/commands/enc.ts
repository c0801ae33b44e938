/**
 * `whittle enc`: low-rank (truncated-SVD) compression of a trained checkpoint with per-layer ranks chosen by
 * Uniform, ENC-Map, ENC-Model or ENC-Inf (methods.md §3), optional fine-tuning, and a comparison table.
 * The layer metrics and ENC-Inf use the run's validation split (`--val-subset` bounds their cost).
 */
import { assertExportTarget } from '../../train/output-target.js';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { tfl } from '../../engine/tf.js';
import { ConfigError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { initBackend, BACKEND_NAMES, type BackendName } from '../../engine/backend.js';
import type { ConfigTree } from '../../config/load.js';
import type { RunConfig } from '../../config/run-config.js';
import {
  loadCheckpoint, imageBatchSource, train, createOptimizer, saveCheckpoint, captureWeights,
  cosine, type LoadedCheckpoint,
} from '../../train/index.js';
import { modelFromCheckpoint } from '../../train/model-io.js';
import { checkpointValidation } from '../../run/eval-checkpoint.js';
import { describeBackend } from '../../run/run-training.js';
import { optimizerConfig } from '../../run/run-parts.js';
import { toJson } from '../output.js';
import {
  createSession, compareMethods, formatComparison, formatRanks, ENC_METHODS,
  type EncMethod, type EncMetric, type Conv1Mode, type StrideMode, type MethodReport,
} from '../../techniques/enc/index.js';

interface EncOptions {
  checkpoint: string;
  target: string;
  method: string;
  metric: string;
  conv1: string;
  strideMode: string;
  includeDense?: boolean;
  samples: string;
  topN: string;
  finetuneEpochs: string;
  finetuneLr: string;
  valSubset?: string;
  trainSubset?: string;
  batchSize?: string;
  backend?: BackendName;
  out?: string;
  json?: boolean;
}

function pick<T extends string>(field: string, v: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v)) throw new ConfigError(field, `"${v}" is not one of ${allowed.join(', ')}`);
  return v as T;
}

function num(field: string, v: string, int = false): number {
  const x = Number(v);
  if (!Number.isFinite(x) || (int && !Number.isInteger(x))) throw new ConfigError(field, `"${v}" is not a${int ? 'n integer' : ' number'}`);
  return x;
}

export function register(program: Command): void {
  program
    .command('enc')
    .description('compress a checkpoint by per-layer truncated SVD (ENC: uniform, ENC-Map, ENC-Model, ENC-Inf)')
    .requiredOption('--checkpoint <dir>', 'run directory, its checkpoints/ folder, or a ckpt-* directory')
    .option('--target <fraction>', 'remaining conv FLOPs (MACs) fraction, e.g. 0.5 (conv + dense with --include-dense)', '0.5')
    .option('--method <name>', `${ENC_METHODS.join('|')}|all`, 'map')
    .option('--metric <name>', 'layer/network accuracy metric: pca (E_l, A_p) | val (A_l, A_m) | combined (A_l, A_c)', 'pca')
    .option('--conv1 <mode>', 'first conv: fixed (kept, as res56) | half (rank R_max/2, as vgg16) | search', 'fixed')
    .option('--stride-mode <mode>', 'strided spatial factorisations: exact | reference (stride on both axes of the Dx1 conv)', 'exact')
    .option('--include-dense', 'also factorise Dense layers into two Dense layers (methods.md §3.1); FLOPs then count conv + dense MACs')
    .option('--samples <rule>', 'validation-metric sample ranks: vbmf (reference) | fixed (R_max/10, /6, /4, /2)', 'vbmf')
    .option('--top-n <n>', 'ENC-Inf: candidates evaluated on validation', '20')
    .option('--finetune-epochs <n>', 'fine-tune each factorised model this many epochs', '0')
    .option('--finetune-lr <lr>', 'fine-tuning learning rate (cosine to 0, the run\'s optimizer)', '0.01')
    .option('--val-subset <n>', 'validation images for the metrics, ENC-Inf and the reported accuracy')
    .option('--train-subset <n>', 'fine-tune on the first N training images only')
    .option('--batch-size <n>', 'evaluation/fine-tuning batch size (default: the run\'s)')
    .option('--backend <name>', `backend: ${BACKEND_NAMES.join('|')} (default: the run's)`)
    .option('--out <dir>', 'save each factorised model as a checkpoint in <dir>/<method>')
    .option('--json', 'print the reports as JSON')
    .action(async (opts: EncOptions) => {
      const target = num('target', opts.target);
      const methods: EncMethod[] = opts.method === 'all' ? [...ENC_METHODS] : [pick('method', opts.method, ENC_METHODS)];
      const metric = pick<EncMetric>('metric', opts.metric, ['pca', 'val', 'combined']);
      const conv1 = pick<Conv1Mode>('conv1', opts.conv1, ['fixed', 'half', 'search']);
      const strideMode = pick<StrideMode>('stride-mode', opts.strideMode, ['exact', 'reference']);
      const epochs = num('finetune-epochs', opts.finetuneEpochs, true);
      const say = (m: string) => process.stderr.write(m + '\n');
      if (opts.out) assertExportTarget(opts.out, '--out', opts.checkpoint);

      const ck = loadCheckpoint(opts.checkpoint); // a run dir resolves to its checkpoints/latest
      const data: ConfigTree = {};
      if (opts.valSubset) data.valSubset = num('val-subset', opts.valSubset, true);
      if (opts.trainSubset) data.trainSubset = num('train-subset', opts.trainSubset, true);
      // The run's stored config and its own data split and normalisation, as `whittle eval` sees them.
      const v = await checkpointValidation(ck, { data, batchSize: opts.batchSize ? num('batch-size', opts.batchSize, true) : undefined });
      const { config, normalize, batchSize } = v;
      const ds = v.data;
      say(describeBackend(await initBackend(opts.backend ?? (config.backend as BackendName), { threads: config.threads })));
      const { model } = await modelFromCheckpoint(ck);
      const evalFn = async (m: tfl.LayersModel) => (await v.evaluate(m)).top1;
      const baseAcc = await evalFn(model);
      say(`original: top-1 ${(100 * baseAcc).toFixed(2)}% on ${ds.val.n} ${ds.val.name} images`);

      const finetune = epochs > 0 ? async (fm: tfl.LayersModel, method: EncMethod) => {
        const source = imageBatchSource(ds.train, { batchSize, shuffle: true, augment: config.data.augment, normalize });
        await train({
          model: fm, data: source, epochs, seed: config.seed,
          optimizer: createOptimizer(optimizerConfig(config.train)),
          lr: cosine({ base: num('finetune-lr', opts.finetuneLr), total: epochs * source.stepsPerEpoch, unit: 'iteration' }),
          evalEvery: epochs + 1,
          checkpoint: opts.out ? { dir: resolve(opts.out, method), keep: 1 } : undefined,
          meta: { ...ck.meta, enc: { method, metric, target } },
          config: { command: 'enc', ...config },
          onProgress: (p) => p.phase === 'train' && p.step === p.stepsPerEpoch && say(`  ${method} fine-tune epoch ${p.epoch + 1}/${epochs}: loss ${p.loss.toFixed(4)}`),
        });
      } : undefined;

      const samples = pick<'vbmf' | 'fixed'>('samples', opts.samples, ['vbmf', 'fixed']);
      const session = createSession(model, { conv1, strideMode, samples, includeDense: opts.includeDense === true, log: say });
      if (opts.includeDense) say(`dense layers searched too: FLOPs = conv + dense MACs (${session.analysis.denseMacs} of ${session.problem.cost.origMacs} are dense)`);
      const rows = await compareMethods(session, {
        target, methods, metric, topN: num('top-n', opts.topN, true), evaluate: evalFn, finetune,
        onModel: opts.out && epochs === 0 ? async (fm, rep) => saveUntrained(resolve(opts.out as string, rep.method), fm, ck, config, rep) : undefined,
      });
      if (session.metricEvaluations) say(`validation metric: ${session.metricEvaluations} passes, ${session.metricSeconds.toFixed(1)} s`);
      if (opts.json) process.stdout.write(toJson({ original: { top1: baseAcc }, metricSeconds: session.metricSeconds, methods: rows }) + '\n');
      else {
        process.stdout.write(formatComparison(rows, { acc: baseAcc }) + '\n');
        for (const r of rows) process.stdout.write(`\n${r.method} ranks: ${formatRanks(r)}${r.note ? `\n  (${r.note})` : ''}\n`);
      }
      session.rmaxModel?.dispose();
      model.dispose();
    });
}

/** A loadable checkpoint of a factorised model that was not fine-tuned (epoch 0). */
function saveUntrained(dir: string, fm: tfl.LayersModel, ck: LoadedCheckpoint, config: RunConfig, rep: MethodReport): void {
  const opt = createOptimizer(optimizerConfig(config.train));
  saveCheckpoint(dir, {
    meta: { ...ck.meta, enc: { method: rep.method, metric: rep.metric, target: rep.target, ranks: rep.ranks } },
    topology: fm.toJSON(null, false),
    weights: captureWeights(fm),
    optimizer: opt.getState(),
    hookTensors: {},
    state: {
      format: 'whittle-train-state', version: 1, epoch: 0, stepInEpoch: 0, iteration: 0, epochs: 0, stepsPerEpoch: 1,
      seed: config.seed, rng: { main: new Rng(config.seed).getState() }, config: { command: 'enc', ...config }, hooks: {}, history: [],
      epochAccum: { lossSum: 0, correct: 0, n: 0 },
    },
  }, { keep: 1 });
}
