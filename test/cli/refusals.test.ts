/**
 * Issue #22: a command that refuses writes nothing. A refused --resume (other seed, batch size or model)
 * leaves config.json as it was, no export or output path can land in a run's checkpoints or replace its run
 * directory, a bad --stochastic-depth rule is one line naming the flag, a corrupt config.json is named, and
 * pq --out pointing at a directory leaves no temp file. Every case hashes the whole run directory (and the
 * output's parent) before and after. In-process (commander's exitOverride) to stay fast.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRunConfig } from '../../src/config/load.js';
import { runTraining } from '../../src/run/run-training.js';
import { loadAllCommands } from '../../src/cli/commands/index.js';

const commands = await loadAllCommands();
import { runCommand } from '../helpers/cli.js';
import { Command } from 'commander';

const TMP = mkdtempSync(join(tmpdir(), 'whittle-refusals-'));
const RUN = join(TMP, 'run');

/** Every file under `dir` (names and bytes), as one digest per path. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out[p] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

const registerAll = (program: Command): void => {
  for (const r of commands) r(program);
};

/** Runs `whittle ...args` in-process; it must fail with `message`, and TMP must be byte-identical after. */
async function expectRefused(args: string[], message: RegExp): Promise<void> {
  const before = snapshot(TMP);
  await assert.rejects(runCommand(registerAll, args), (e: Error) => {
    assert.match(e.message, message);
    assert.doesNotMatch(e.message, /\n/, 'one line');
    return true;
  });
  assert.deepEqual(snapshot(TMP), before, `whittle ${args.join(' ')} changed files`);
}

test('setup: a tiny run with checkpoints', async () => {
  const config = parseRunConfig({
    model: { name: 'vanilla' }, data: { name: 'shapes', trainSubset: 32, valSubset: 16 },
    train: { epochs: 1, batchSize: 16, lr: 0.01 }, checkpoint: { everySteps: 1 }, seed: 2, out: RUN, backend: 'wasm',
  });
  const s = await runTraining(config, { command: 'train' });
  assert.equal(s.iterations, 2);
});

test('a refused --resume (seed, batch size, model) writes nothing, config.json included', async () => {
  await expectRefused(['train', '--out', RUN, '--resume', '--seed', '5'], /trained with seed 2, this run has seed 5/);
  await expectRefused(['train', '--out', RUN, '--resume', '--batch-size', '8'], /steps per epoch/);
  await expectRefused(['train', '--out', RUN, '--resume', '--model', 'resnet20'], /weights\.safetensors: has weights the model lacks/);
});

test('--stochastic-depth linear:2 is refused before the data loads, in one line naming the flag', async () => {
  await expectRefused(['train', '--out', join(TMP, 'sd'), '--model', 'resnet20', '--data', 'cifar10', '--data-dir', join(TMP, 'no-such-dir'), '--stochastic-depth', 'linear:2'],
    /stochasticDepth\.rule.*"linear:2".*--stochastic-depth/);
});

test('a corrupt config.json is named when resuming, and left as it was', async () => {
  const file = join(RUN, 'config.json');
  const good = readFileSync(file);
  writeFileSync(file, '{"model": {"name": "vanilla"},\n');
  try {
    await expectRefused(['train', '--out', RUN, '--resume'], new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: is not valid JSON`));
  } finally {
    writeFileSync(file, good);
  }
});

test('no export or output path may land in a run\'s checkpoints or on its run directory', async () => {
  const ckpts = join(RUN, 'checkpoints');
  const latest = readFileSync(join(ckpts, 'latest'), 'utf8').trim();
  const refused = /checkpoint folder|run directory/;
  await expectRefused(['prune', '--checkpoint', RUN, '--export', ckpts, '--select', 'l1:0.3'], refused);
  await expectRefused(['prune', '--checkpoint', RUN, '--export', RUN, '--select', 'l1:0.3'], refused);
  await expectRefused(['prune', '--checkpoint', join(ckpts, latest), '--export', join(ckpts, latest, 'pruned'), '--select', 'l1:0.3'], refused);
  await expectRefused(['pq', '--checkpoint', RUN, '--out', join(ckpts, 'latest')], refused);
  await expectRefused(['pq', '--checkpoint', RUN, '--out', join(ckpts, 'model.pq')], refused);
  await expectRefused(['quant', '--checkpoint', RUN, '--out', RUN, '--bits', '8', '--epochs', '0'], refused);
  await expectRefused(['quant', '--checkpoint', RUN, '--out', join(ckpts, 'q'), '--bits', '8', '--epochs', '0'], refused);
  await expectRefused(['enc', '--checkpoint', RUN, '--out', ckpts, '--target', '0.5'], refused);
  await expectRefused(['export', '--checkpoint', RUN, '--out', join(ckpts, latest)], refused);
  await expectRefused(['export', '--model', 'vanilla', '--out', RUN], refused);
  // The checkpoint read, even outside a run directory: its folder (with `latest`) is off limits too.
  await expectRefused(['prune', '--checkpoint', ckpts, '--export', join(ckpts, 'x'), '--select', 'l1:0.3'], refused);
});

test('pq --out naming a directory says so and leaves no temp file', async () => {
  const dir = join(TMP, 'pq-out');
  mkdirSync(dir);
  await expectRefused(['pq', '--checkpoint', RUN, '--out', dir], /is a directory/);
  assert.deepEqual(readdirSync(dir), []);
});

test('prune --export to a fresh folder still works and leaves the run as it was', async () => {
  const before = snapshot(RUN);
  const lines = await runCommand(registerAll, ['prune', '--checkpoint', RUN, '--export', join(TMP, 'pruned'), '--select', 'l1:0.3', '--backend', 'wasm', '--json']);
  assert.ok(JSON.parse(lines[lines.length - 1]).exported);
  assert.deepEqual(snapshot(RUN), before);
});
