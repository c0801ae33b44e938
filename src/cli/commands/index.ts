/**
 * Every CLI command module, loaded only when its command runs (so `whittle --help` and `whittle info`
 * never load the modules, and tfjs, of the other commands). Each module exports `register(program)`;
 * `commands` lists the names and one-line descriptions it registers, for the top-level help
 * (test/cli/lazy-cli.test.ts checks them against what the module really registers). A new command:
 * one entry here.
 */
import type { Command } from 'commander';

export interface CommandModule {
  load: () => Promise<{ register: (program: Command) => void }>;
  commands: Array<{ name: string; description: string }>;
}

export const COMMAND_MODULES: CommandModule[] = [
  {
    load: () => import('./info.js'),
    commands: [
      { name: 'info', description: 'print the backend Whittle would use, why, and the threads it runs on; the models and techniques' },
    ],
  },
  {
    load: () => import('./clip.js'),
    commands: [
      { name: 'clip', description: 'CLIP (openai/CLIP in TypeScript): zero-shot classification, tokenization' },
    ],
  },
  {
    load: () => import('./pq.js'),
    commands: [
      { name: 'pq', description: 'iPQ: product-quantise a checkpoint (k-means codebooks, centroid fine-tuning) into a compressed model file' },
    ],
  },
  {
    load: () => import('./train.js'),
    commands: [
      { name: 'train', description: 'train a model from the registry (checkpoints, log.jsonl and config.json in --out)' },
      { name: 'sfp', description: 'train with Soft Filter Pruning (zero the lowest-norm filters every epoch); config section `sfp`' },
      { name: 'repr', description: 'train with RePr (drop filters by orthogonality, retrain, re-initialise); config section `repr`' },
      { name: 'config-schema', description: 'print the JSON Schema of run config files (docs/config.schema.json)' },
    ],
  },
  {
    load: () => import('./eval.js'),
    commands: [
      { name: 'eval', description: 'evaluate a checkpoint on its run\'s validation split (or on --data/--data-dir)' },
    ],
  },
  {
    load: () => import('./quant.js'),
    commands: [
      { name: 'quant', description: 'Quant-Noise / QAT: fine-tune a checkpoint with fake-quantised int2..int8 weights, export integers, report accuracy and size' },
    ],
  },
  {
    load: () => import('./experiment.js'),
    commands: [
      { name: 'experiment', description: 'run grids of training runs from a YAML file, and follow them' },
      { name: 'report', description: 'build the HTML report (inline SVG charts) and PNG charts of an experiment directory' },
    ],
  },
  {
    load: () => import('./demo.js'),
    commands: [
      { name: 'demo', description: 'train a small ResNet, apply RePr, SFP + filter removal, stochastic depth, ENC, Quant-Noise and PQ, and write an HTML report' },
    ],
  },
  {
    load: () => import('./prune.js'),
    commands: [
      { name: 'prune', description: 'physically remove pruned filters (all-zero ones by default, e.g. after `whittle sfp`) and the matching input channels; report params, FLOPs, latency and accuracy before/after' },
    ],
  },
  {
    load: () => import('./enc.js'),
    commands: [
      { name: 'enc', description: 'compress a checkpoint by per-layer truncated SVD (ENC: uniform, ENC-Map, ENC-Model, ENC-Inf)' },
    ],
  },
  {
    load: () => import('./export.js'),
    commands: [
      { name: 'export', description: 'write a model (zoo, pruned, low-rank, quantised, PQ) as a stock TF.js Layers model (model.json + weight shards) or as ONNX (model.onnx, opset 13)' },
    ],
  },
  {
    load: () => import('./build-native.js'),
    commands: [
      { name: 'build-native', description: 'build the optional oneDNN addon (needs g++, make, python3 and libdnnl-dev); npm 11 may have skipped it at install' },
    ],
  },
];

/** The module that registers `name`, if any. */
export function commandModule(name: string | undefined): CommandModule | undefined {
  return COMMAND_MODULES.find((m) => m.commands.some((c) => c.name === name));
}

/** Every module's `register` (tests and tools that want the whole CLI at once). */
export async function loadAllCommands(): Promise<Array<(program: Command) => void>> {
  return Promise.all(COMMAND_MODULES.map(async (m) => (await m.load()).register));
}
