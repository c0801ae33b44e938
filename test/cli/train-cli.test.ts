/**
 * End to end through `node bin/whittle.js` (as a user runs it): train → eval, SIGINT → checkpoint →
 * --resume, --json, and the error paths. Tiny shapes runs (a few 32-image steps) keep this fast.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnWhittle } from '../helpers/cli.js';

const TMP = mkdtempSync(join(tmpdir(), 'whittle-cli-'));
const TINY = ['--model', 'vanilla', '--data', 'shapes', '--train-subset', '96', '--val-subset', '64', '--batch-size', '32', '--epochs', '1', '--seed', '3'];

const whittle = spawnWhittle;

interface Summary {
  runDir: string;
  checkpoint: string;
  iterations: number;
  epochsDone: number;
  interrupted: boolean;
  resumedFrom?: string;
  val: { top1: number; top5: number; loss: number; n: number };
  imagesPerSecond: number;
}

let reference: Summary | undefined;

test('train --json prints one parsable summary; eval on its checkpoint gives the same accuracy and loss', async () => {
  const out = join(TMP, 'plain');
  const r = await whittle(['train', ...TINY, '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as Summary;
  reference = s;
  assert.equal(s.iterations, 3);
  assert.equal(s.epochsDone, 1);
  assert.equal(s.val.n, 64);
  assert.ok(s.imagesPerSecond > 0);
  assert.match(r.stderr, /^backend: \w+ \(/m, 'the backend and why is said once');
  for (const f of ['config.json', 'log.jsonl', 'checkpoints/latest']) assert.ok(existsSync(join(out, f)), f);
  const events = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });
  assert.ok(events.some((e) => e.type === 'epoch') && events.some((e) => e.type === 'checkpoint'));

  const e = await whittle(['eval', '--checkpoint', out, '--json']);
  assert.equal(e.code, 0, e.stderr);
  const m = JSON.parse(e.stdout) as { top1: number; top5: number; loss: number; n: number; rebuiltFrom: string };
  assert.equal(m.rebuiltFrom, 'topology');
  assert.equal(m.n, 64);
  assert.equal(m.top1, s.val.top1);
  assert.equal(m.top5, s.val.top5);
  assert.ok(Math.abs(m.loss - s.val.loss) < 1e-6, `${m.loss} vs ${s.val.loss}`);
});

test('SIGINT writes a checkpoint and exits 130; --resume finishes with the uninterrupted result', async () => {
  const out = join(TMP, 'interrupted');
  let sent = false;
  const r = await whittle(['train', ...TINY, '--out', out, '--json'], (text, kill) => {
    if (!sent && /^model: /m.test(text)) {
      sent = true;
      kill('SIGINT');
    }
  });
  assert.equal(r.code, 130, r.stderr);
  const s1 = JSON.parse(r.stdout) as Summary;
  assert.equal(s1.interrupted, true);
  assert.ok(existsSync(join(out, 'checkpoints', 'latest')));
  assert.match(r.stderr, /--resume/);

  const r2 = await whittle(['train', '--out', out, '--resume', '--json']); // settings come from <out>/config.json
  assert.equal(r2.code, 0, r2.stderr);
  const s2 = JSON.parse(r2.stdout) as Summary;
  assert.ok(s2.resumedFrom, 'resumed');
  assert.equal(s2.iterations, 3);
  assert.ok(reference, 'runs after the first test');
  assert.deepEqual(s2.val, reference.val, 'same weights as the uninterrupted run');
});

test('a bad config field exits non-zero naming the field', async () => {
  const cfg = join(TMP, 'bad.yaml');
  writeFileSync(cfg, 'train:\n  lr: fast\n');
  const r = await whittle(['train', '--config', cfg, '--data', 'shapes', '--out', join(TMP, 'bad')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /config field "train\.lr": Expected number, received string \(from .*bad\.yaml\)/);
});

test('whittle train --quant-bits 4 --quant-noise-rate 0.5 trains with Quant-Noise; eval loads the quantised model', async () => {
  const out = join(TMP, 'quant');
  const r = await whittle(['train', ...TINY, '--quant-bits', '4', '--quant-noise-rate', '0.5', '--quant-observer', 'ema', '--out', out, '--json', '--backend', 'wasm']);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { techniques: string[]; val: { top1: number } };
  assert.deepEqual(s.techniques, ['quant']);
  const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { quant: { bits: number; noiseRate: number; observer: { kind: string } } };
  assert.equal(cfg.quant.bits, 4);
  assert.equal(cfg.quant.noiseRate, 0.5);
  assert.equal(cfg.quant.observer.kind, 'ema');
  const e = await whittle(['eval', '--checkpoint', out, '--json', '--backend', 'wasm']);
  assert.equal(e.code, 0, e.stderr);
  assert.equal((JSON.parse(e.stdout) as { top1: number }).top1, s.val.top1, 'eval reproduces the run\'s final accuracy (fully quantised at evaluation)');
});
