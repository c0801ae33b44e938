/** The programmatic run API (what the experiments runner and the demo call), in-process. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { parseRunConfig } from '../../src/config/load.js';
import { runTraining } from '../../src/run/run-training.js';
import { silentReporter } from '../../src/run/reporter.js';
import { register as registerTraining } from '../../src/cli/commands/train.js';
import { ConfigError } from '../../src/core/errors.js';

const TMP = mkdtempSync(join(tmpdir(), 'whittle-run-'));
const tiny = (extra: Record<string, unknown> = {}) =>
  parseRunConfig({
    model: { name: 'vanilla' },
    data: { name: 'shapes', trainSubset: 32, valSubset: 32, augment: false },
    train: { epochs: 1, batchSize: 32 },
    ...extra,
  });

// Both are refused when the config is parsed (src/config/semantics.ts), before runTraining touches the disk.
test('unknown model: a config error listing the registry', () => {
  assert.throws(() => tiny({ model: { name: 'resnet7' }, out: join(TMP, 'u') }), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.field, 'model.name');
    assert.match((e as Error).message, /unknown model "resnet7" \(valid models: vanilla, resnet20, /);
    return true;
  });
  assert.equal(existsSync(join(TMP, 'u')), false);
});

test('stochastic depth on a model without residual blocks is a config error', () => {
  assert.throws(() => tiny({ stochasticDepth: { rule: 'linear:0.5' }, out: join(TMP, 'sd') }), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.field, 'stochasticDepth');
    return true;
  });
});

test('runTraining with an SFP section trains, logs the masks and refuses to overwrite the run without resume', async () => {
  const out = join(TMP, 'sfp');
  const events: string[] = [];
  const s = await runTraining(tiny({ sfp: { keepRate: 0.5 }, out }), { reporter: silentReporter, onEvent: (e) => events.push(e.type), command: 'sfp' });
  assert.deepEqual(s.techniques, ['sfp']);
  assert.equal(s.iterations, 1);
  assert.equal(s.val?.n, 32);
  assert.ok(events.includes('sfp_mask') && events.includes('epoch'));
  const log = readFileSync(join(out, 'log.jsonl'), 'utf8');
  assert.match(log, /"type":"sfp_mask"/);
  const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { command: string; sfp: { keepRate: number } };
  assert.equal(cfg.command, 'sfp');
  assert.equal(cfg.sfp.keepRate, 0.5);
  await assert.rejects(runTraining(tiny({ out }), { reporter: silentReporter }), /already has checkpoints: pass --resume/);
});

test('whittle sfp wires its flags into the sfp section', async () => {
  const program = new Command().exitOverride();
  registerTraining(program);
  const out = join(TMP, 'sfp-cli');
  const orig = process.stdout.write.bind(process.stdout);
  let printed = '';
  // Capture the command's (string) output only: node:test's own protocol also goes through stdout.
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) =>
    typeof chunk === 'string' ? ((printed += chunk), true) : (orig as (...a: unknown[]) => boolean)(chunk, ...rest)) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'whittle', 'sfp', '--model', 'vanilla', '--data', 'shapes', '--train-subset', '32', '--val-subset', '32', '--batch-size', '32', '--keep-rate', '0.75', '--exclude', 'conv1', '--out', out, '--json']);
  } finally {
    process.stdout.write = orig;
  }
  const s = JSON.parse(printed) as { techniques: string[] };
  assert.deepEqual(s.techniques, ['sfp']);
  const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { sfp: { keepRate: number; exclude: string[] } };
  assert.equal(cfg.sfp.keepRate, 0.75);
  assert.deepEqual(cfg.sfp.exclude, ['conv1']);
});
