/** `whittle export`: a model as files that stock runtimes load (`--format tfjs`: a TF.js Layers model; `--format onnx`: model.onnx). */
import type { Command } from 'commander';
import { BACKEND_NAMES, initBackend, type BackendName } from '../../engine/backend.js';
import { WhittleError } from '../../core/errors.js';
import { assertExportTarget } from '../../train/output-target.js';
import { EXPORT_FORMATS, exportOnnx, exportTfjs, type ManifestQuantization } from '../../export/index.js';
import { loadModelSource, type ModelSourceOptions } from '../model-source.js';
import { planGraphPruning, pruneGroups } from '../../graph/prune-graph.js';

interface ExportOptions extends ModelSourceOptions {
  format: string;
  out: string;
  quantize?: string;
  prune?: string;
  backend?: BackendName;
  json?: boolean;
}

const QUANTIZE = ['uint8', 'uint16', 'float16'];

export function register(program: Command): void {
  program
    .command('export')
    .description('write a model (zoo, pruned, low-rank, quantised, PQ) as a stock TF.js Layers model (model.json + weight shards) or as ONNX (model.onnx, opset 13)')
    .option('--checkpoint <dir>', 'run directory or checkpoint to export')
    .option('--model <name|model.json>', 'a zoo model, freshly initialised, or a TF.js Layers model.json (+ shards) (instead of --checkpoint)')
    .option('--input-size <HxW>', 'input height and width for a model.json whose topology has another or none')
    .option('--seed <n>', 'initialisation seed with --model', '0')
    .requiredOption('--out <dir>', 'output directory')
    .option('--format <name>', `output format: ${EXPORT_FORMATS.join('|')}`, 'tfjs')
    .option('--quantize <dtype>', 'weight quantisation in the manifest, as tensorflowjs_converter: uint8|uint16|float16 (int8/QAT kernels keep their own scales)')
    .option('--prune <fraction>', 'first remove this fraction of every prunable channel group (smallest L2 over the group\'s filters; dependency graph over any topology)')
    .option('--backend <name>', `backend: ${BACKEND_NAMES.join('|')}`, 'auto')
    .option('--json', 'print one JSON object on stdout')
    .action(async (o: ExportOptions) => {
      if (!(EXPORT_FORMATS as readonly string[]).includes(o.format)) throw new WhittleError(`--format: expected ${EXPORT_FORMATS.join('|')}, got "${o.format}"`);
      if (o.quantize !== undefined && !QUANTIZE.includes(o.quantize)) throw new WhittleError(`--quantize: expected ${QUANTIZE.join('|')}, got "${o.quantize}"`);
      assertExportTarget(o.out, '--out', o.checkpoint);
      await initBackend(o.backend ?? 'auto');
      if (o.quantize !== undefined && o.format !== 'tfjs') throw new WhittleError('--quantize applies to --format tfjs only (ONNX stores int8/QAT kernels as QDQ by itself)');
      const src = await loadModelSource(o);
      if (o.prune !== undefined) {
        const plan = planGraphPruning(src.model, Number(o.prune));
        const fixed = plan.groups.filter((g) => !g.prunable);
        process.stderr.write(`pruning ${plan.remove.size} of ${plan.groups.length} channel groups; kept whole: ${fixed.map((g) => `${g.producers.join('+') || `${g.channels} ch`} (${g.reason})`).join('; ')}\n`);
        src.model = await pruneGroups(src.model, plan);
      }
      if (o.format === 'onnx') {
        const r = await exportOnnx(src.model, o.out);
        if (o.json) console.log(JSON.stringify({ from: src.from, format: o.format, ...r }));
        else console.log(`exported ${src.from} → ${r.file} (opset ${r.opset}, ${(r.bytes / 1024).toFixed(1)} KiB${r.quantizedKernels.length ? `, ${r.quantizedKernels.length} kernels as uint8 + DequantizeLinear` : ''})`);
        return;
      }
      const r = await exportTfjs(src.model, o.out, { quantize: o.quantize as ManifestQuantization | undefined });
      const result = { from: src.from, format: o.format, quantize: o.quantize ?? null, ...r };
      if (o.json) console.log(JSON.stringify(result));
      else {
        console.log(`exported ${src.from} → ${r.dir}/model.json (${r.weights} weights, ${r.files.length - 1} shard(s), ${(r.weightBytes / 1024).toFixed(1)} KiB${o.quantize ? `, ${o.quantize} of ${(r.floatBytes / 1024).toFixed(1)} KiB float32` : ''})`);
        if (r.learnedScales.length) console.log(`${r.learnedScales.length} kernels stored with their own int8 scales`);
      }
    });
}
