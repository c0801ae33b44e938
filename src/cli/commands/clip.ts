/**
 * `whittle clip classify` (README example: probabilities of labels per image) and `whittle clip tokenize`.
 */
import type { Command } from 'commander';
import { initBackend, BACKEND_NAMES, type BackendName } from '../../engine/backend.js';

export function register(program: Command): void {
  const clip = program.command('clip').description('CLIP (openai/CLIP in TypeScript): zero-shot classification, tokenization');

  clip
    .command('classify')
    .description('probabilities of each label for each image (clip.load + preprocess + tokenize + softmax)')
    .requiredOption('--model <name|path>', 'official name (RN50, ViT-B/32, ...) or a .pt / model.safetensors path')
    .option('--vocab <path>', 'bpe_simple_vocab_16e6.txt.gz (default: $WHITTLE_CLIP_VOCAB, the cache dir, ../shared/clip, else downloaded to the cache)')
    .option('--image <file...>', 'image files', [])
    .option('--label <text...>', 'candidate labels', [])
    .option('--cache-dir <dir>', 'model cache directory (default ~/.cache/clip)')
    .option('--no-download', 'never download; use only a verified cached file')
    .option('--backend <name>', `backend: ${BACKEND_NAMES.join('|')}`, 'auto')
    .option('--json', 'machine-readable output with tokens, features, logits and probs')
    .action(async (o: { model: string; vocab?: string; image: string[]; label: string[]; cacheDir?: string; download: boolean; backend: BackendName; json?: boolean }) => {
      if (!o.image.length || !o.label.length) throw new Error('clip classify needs at least one --image and one --label');
      await initBackend(o.backend);
      const { load, ensureTokenizer, decodeImageFile, classify } = await import('../../clip/index.js');
      const tokenizer = await ensureTokenizer({ vocabPath: o.vocab, cacheDir: o.cacheDir, download: o.download });
      const clip = await load(o.model, { cacheDir: o.cacheDir, download: o.download });
      const images = await Promise.all(o.image.map((f) => decodeImageFile(f)));
      const r = classify(clip, images, o.label, tokenizer);
      clip.model.dispose();
      if (o.json) {
        console.log(JSON.stringify({ model: o.model, images: o.image, labels: o.label, ...r }));
        return;
      }
      r.probs.forEach((p, i) => {
        console.log(o.image[i]);
        const order = p.map((v, j) => [v, j] as const).sort((a, b) => b[0] - a[0]);
        for (const [v, j] of order) console.log(`  ${v.toFixed(4)}  ${o.label[j]}`);
      });
    });

  clip
    .command('tokenize')
    .description('token id rows as clip.tokenize (SOT, BPE ids, EOT, zero padding)')
    .argument('<text...>', 'texts to tokenize')
    .option('--vocab <path>', 'bpe_simple_vocab_16e6.txt.gz')
    .option('--context-length <n>', 'row length', '77')
    .option('--truncate', 'cut long texts (last kept id becomes EOT) instead of failing')
    .option('--json', 'print a JSON array of rows (default prints one row per line)')
    .action(async (texts: string[], o: { vocab?: string; contextLength: string; truncate?: boolean; json?: boolean }) => {
      const { tokenize, loadTokenizer } = await import('../../clip/tokenizer/index.js');
      const ctx = Number(o.contextLength);
      const rows = tokenize(texts, { tokenizer: loadTokenizer(o.vocab), contextLength: ctx, truncate: !!o.truncate });
      if (o.json) console.log(JSON.stringify(rows.map((r) => Array.from(r))));
      else for (const r of rows) console.log(Array.from(r).join(' '));
    });
}
