/**
 * `whittle pq`: product-quantise (iPQ) a checkpoint into a compressed model file (methods.md §5).
 * @example whittle pq --checkpoint runs/resnet20 --k 256 --block conv3x3:9,conv1x1:4,dense:8 --finetune-epochs 1 --noise-rate 0.1 --out resnet20.pq
 */
import { assertExportFile } from '../../train/output-target.js';
import type { Command } from 'commander';
import { initBackend, BACKEND_NAMES, type BackendName } from '../../engine/backend.js';
import { parseBlockSpec } from '../../techniques/pq/config.js';
import { runPQ, type PQData, type PQRunReport } from '../../techniques/pq/pipeline.js';
import { loadCheckpoint, type LoadedCheckpoint } from '../../train/index.js';
import { checkpointValidation } from '../../run/eval-checkpoint.js';
import { formatBytes } from '../../techniques/pq/size.js';
import { addCheckpointDataOptions, dataOverrides, parseCheckpointData, type CheckpointData, type CheckpointDataFlags } from '../checkpoint-data-flags.js';

interface Opts extends CheckpointDataFlags {
  checkpoint: string;
  out: string;
  k: string;
  block: string;
  subspaces: string;
  stages?: string;
  include?: string;
  exclude?: string;
  iterations: string;
  finetuneEpochs: string;
  noiseRate: string;
  lr: string;
  centroids: 'fp16' | 'fp32';
  coding: 'packed' | 'huffman' | 'auto';
  seed: string;
  backend: BackendName;
  json?: boolean;
}

/**
 * The run's own train/validation split and normalisation for a checkpoint (its stored run config with the
 * flags merged, as `whittle eval`), or why there is none (e.g. CIFAR-10 not on this machine).
 */
export async function checkpointPQData(ck: LoadedCheckpoint, d: CheckpointData): Promise<{ data?: PQData; note?: string }> {
  try {
    const v = await checkpointValidation(ck, { data: dataOverrides(d) });
    return { data: { train: v.data.train, val: v.data.val, normalize: v.normalize } };
  } catch (e) {
    return { note: `no ${d.dataset ?? 'run'} data (${(e as Error).message.split('\n')[0]})` };
  }
}

const pct = (v: number | undefined): string => (v === undefined ? 'n/a' : `${(100 * v).toFixed(2)} %`);

function print(r: PQRunReport, out: string): void {
  const rows = r.layers.map((l) => [
    l.plan.layer, String(l.size.nBlocks), l.plan.k === l.plan.kRequested ? String(l.plan.k) : `${l.plan.k} (clamped)`,
    String(l.plan.blockSize), l.plan.subspaces > 1 ? `${l.plan.subspaces}×${l.size.bitsPerIndex}` : String(l.size.bitsPerIndex),
    r.entropy[l.plan.layer]?.entropy.toFixed(2) ?? '', r.entropy[l.plan.layer]?.huffman.toFixed(2) ?? '', String(l.size.bytes), String(l.size.fp32Bytes), l.relativeError.toFixed(4),
  ]);
  // bits: fixed-width index bits; H: empirical entropy of the indices; huff: canonical Huffman bits/index achieved
  const head = ['layer', 'blocks', 'K', 'bs', 'bits', 'H', 'huff', 'bytes', 'fp32 bytes', 'rel.err'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (c: string[]) => c.map((s, i) => (i === 0 ? s.padEnd(w[i]) : s.padStart(w[i]))).join('  ');
  console.log(line(head));
  for (const row of rows) console.log(line(row));
  const s = r.size;
  console.log(`model size: ${formatBytes(s.fp32Bytes)} fp32 → ${formatBytes(s.compressedBytes)} (${s.ratio.toFixed(1)}×; ${s.otherParams} params left at 4 bytes)`);
  const fixedIdx = r.layers.reduce((a, l) => a + l.size.indexBytes, 0);
  const huffIdx = r.layers.reduce((a, l) => a + Math.ceil((l.size.nBlocks * l.plan.subspaces * (r.entropy[l.plan.layer]?.huffman ?? l.size.bitsPerIndex)) / 8) + l.plan.k * l.plan.subspaces, 0);
  console.log(`indices: ${formatBytes(fixedIdx)} fixed-width, ${formatBytes(huffIdx)} Huffman-coded incl. code tables`);
  console.log(`file: ${out} ${formatBytes(r.fileBytes)} (safetensors with header/metadata)`);
  console.log(`accuracy (top-1): before ${pct(r.accuracyBefore)}, after ${pct(r.accuracyAfter)} (decoded from the file)`);
  if (r.accuracyNote) console.log(`note: ${r.accuracyNote}`);
}

export function register(program: Command): void {
  const cmd = program
    .command('pq')
    .description('iPQ: product-quantise a checkpoint (k-means codebooks, centroid fine-tuning) into a compressed model file')
    .requiredOption('--checkpoint <dir>', 'run or checkpoint directory')
    .requiredOption('--out <file>', 'compressed model file to write (safetensors, whittle-pq format)')
    .option('--k <n>', 'centroids per codebook', '256')
    .option('--block <spec>', 'block size per layer kind', 'conv3x3:9,conv1x1:4,dense:8')
    .option('--subspaces <m>', 'sub-vectors per block (1 = VQ of blocks as fairseq; >1 = true PQ)', '1')
    .option('--stages <regexes>', 'quantisation order: ";"-separated layer-name regexes (default: by name prefix, bottom-up)')
    .option('--include <regex>', 'layers to quantise (default all Conv2D/Dense)')
    .option('--exclude <regex>', 'layers to keep in fp32')
    .option('--iterations <n>', 'k-means EM iterations', '15')
    .option('--finetune-epochs <n>', 'centroid fine-tuning epochs after each stage', '0')
    .option('--noise-rate <p>', 'Quant-Noise block drop rate during fine-tuning', '0')
    .option('--lr <x>', 'fine-tuning learning rate (SGD, momentum 0.9)', '0.01')
    .option('--centroids <dtype>', 'codebook storage: fp16 | fp32', 'fp16')
    .option('--coding <kind>', 'index coding: packed | huffman | auto (per layer, the smaller)', 'auto')
    .option('--seed <n>', 'seed', '0')
    .option('--backend <name>', `backend: ${BACKEND_NAMES.join('|')}`, 'auto')
    .option('--json', 'print the report as JSON');
  addCheckpointDataOptions(cmd).action(async (o: Opts) => {
    const flags = parseCheckpointData(o);
    assertExportFile(o.out, '--out', o.checkpoint);
    await initBackend(o.backend);
    const ck = loadCheckpoint(o.checkpoint);
    const { data, note } = await checkpointPQData(ck, flags);
    const report = await runPQ({
      checkpoint: ck, out: o.out, data, dataNote: note, batchSize: flags.batchSize,
      config: {
        k: Number(o.k), blockSizes: parseBlockSpec(o.block), subspaces: Number(o.subspaces), iterations: Number(o.iterations),
        include: o.include, exclude: o.exclude, seed: Number(o.seed), centroidDtype: o.centroids === 'fp32' ? 'F32' : 'F16',
      },
      stages: o.stages?.split(';').filter(Boolean),
      finetuneEpochs: Number(o.finetuneEpochs), noiseRate: Number(o.noiseRate), lr: Number(o.lr), coding: o.coding, seed: Number(o.seed),
      log: o.json ? undefined : (l) => console.log(l),
    });
    if (o.json) console.log(JSON.stringify(report));
    else print(report, o.out);
  });
}
