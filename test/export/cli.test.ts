import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register } from '../../src/cli/commands/export.js';
import { runCommand } from '../helpers/cli.js';

test('whittle export --format tfjs|onnx writes model.json + shards / model.onnx; bad flags are named', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'whittle-export-cli-'));
  try {
    const tfjs = JSON.parse((await runCommand(register, ['export', '--model', 'resnet20', '--out', join(dir, 'tfjs'), '--quantize', 'float16', '--backend', 'cpu', '--json']))[0]);
    assert.equal(tfjs.format, 'tfjs');
    assert.ok(tfjs.weightBytes * 2 === tfjs.floatBytes, 'float16 halves the weights');
    const json = JSON.parse(readFileSync(join(dir, 'tfjs', 'model.json'), 'utf8'));
    assert.equal(json.format, 'layers-model');
    assert.ok(!JSON.stringify(json.modelTopology).includes('Whittle'), 'no Whittle class in the topology');
    const onnx = JSON.parse((await runCommand(register, ['export', '--model', 'vanilla', '--format', 'onnx', '--out', join(dir, 'onnx'), '--backend', 'cpu', '--json']))[0]);
    assert.equal(onnx.opset, 13);
    assert.ok(existsSync(join(dir, 'onnx', 'model.onnx')));
    // A bring-your-own model.json (here: the tfjs export above) goes through --model.
    const again = JSON.parse((await runCommand(register, ['export', '--model', join(dir, 'tfjs', 'model.json'), '--format', 'onnx', '--out', join(dir, 'byo'), '--backend', 'cpu', '--json']))[0]);
    assert.equal(again.from, join(dir, 'tfjs', 'model.json'));
    const pruned = JSON.parse((await runCommand(register, ['export', '--model', join(dir, 'tfjs', 'model.json'), '--prune', '0.5', '--format', 'onnx', '--out', join(dir, 'pruned'), '--backend', 'cpu', '--json']))[0]);
    assert.ok(pruned.bytes < again.bytes * 0.6, `${pruned.bytes} vs ${again.bytes}`);
    await assert.rejects(runCommand(register, ['export', '--model', 'vanilla', '--input-size', '64', '--out', dir]), /--input-size applies to a model.json/);
    await assert.rejects(runCommand(register, ['export', '--model', 'vanilla', '--format', 'tflite', '--out', dir]), /--format: expected tfjs\|onnx, got "tflite"/);
    await assert.rejects(runCommand(register, ['export', '--model', 'vanilla', '--quantize', 'int3', '--out', dir]), /--quantize: expected uint8\|uint16\|float16/);
    await assert.rejects(runCommand(register, ['export', '--out', dir]), /exactly one of --checkpoint <dir> or --model <name>/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
