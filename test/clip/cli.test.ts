import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runCommand } from '../helpers/cli.js';
import { register } from '../../src/cli/commands/clip.js';
import { SHARED, readJson, maxAbsDiff, type GoldenTensor } from './helpers.js';

const run = async (args: string[]): Promise<string> => (await runCommand(register, args)).join('\n');

const vocab = join(SHARED, 'bpe_simple_vocab_16e6.txt.gz');

test('whittle clip tokenize --json prints clip.tokenize rows', async () => {
  await assert.rejects(run(['clip', 'tokenize', '--vocab', vocab, '--context-length', '6', '--json', 'a photo of a cat.']), /too long for context length 6/);
  const ok = JSON.parse(await run(['clip', 'tokenize', '--vocab', vocab, '--context-length', '6', '--truncate', '--json', 'a dog', 'a photo of a cat.']));
  assert.deepEqual(ok, [[49406, 320, 1929, 49407, 0, 0], [49406, 320, 1125, 539, 320, 49407]]);
});

test('whittle clip classify --json on the tiny ViT prints the official probabilities', async () => {
  const g = readJson<{ images: Array<{ file: string }>; sentences: string[]; probs: GoldenTensor }>(join(SHARED, 'tiny_vit', 'golden.json'));
  const args = ['clip', 'classify', '--backend', 'cpu', '--model', join(SHARED, 'tiny_vit', 'tiny_clip_vit_state_dict.pt'), '--vocab', vocab, '--json',
    '--image', ...g.images.map((i) => join(SHARED, i.file)), '--label', ...g.sentences];
  const out = JSON.parse(await run(args)) as { probs: number[][]; tokens: number[][]; imageFeatures: number[][] };
  const d = maxAbsDiff(out.probs.flat(), g.probs.data);
  assert.ok(d <= 1e-4, `probs max |diff| ${d}`);
  assert.equal(out.tokens.length, 5);
  assert.equal(out.imageFeatures.length, 3);
  const text = await run(args.filter((a) => a !== '--json'));
  assert.match(text, /img0\.png\n\s+0\.7917\s+a colorful gradient/);
});
