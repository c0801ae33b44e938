/**
 * VQ of blocks (fairseq / kill-the-bits "PQ": one codebook shared by all block positions) vs true product
 * quantisation (block split into m sub-vectors, one codebook per sub-space) on the same layer:
 * storage (size.ts, fp16 codebooks) against relative reconstruction error Σ(W−Ŵ)²/ΣW². For docs/pq-vs-vq.md.
 * Usage: npx tsx bench/pq/vq-vs-pq.ts [--checkpoint DIR --layer NAME] [--channels C]
 *   (default: a gaussian 3×3×C×C layer, C = 64, std 1/sqrt(9C))
 */
import { quantizeKernel, decodeKernel, relativeError } from '../../src/techniques/pq/quantize.js';
import { quantLayerSize } from '../../src/techniques/pq/size.js';
import { Rng } from '../../src/core/rng.js';
import { initBackend } from '../../src/engine/backend.js';
import { modelFromCheckpoint } from '../../src/train/model-io.js';

const arg = (n: string) => { const i = process.argv.indexOf(`--${n}`); return i >= 0 ? process.argv[i + 1] : undefined; };

async function main(): Promise<void> {
  let w: Float32Array, shape: number[], what: string;
  const ck = arg('checkpoint');
  if (ck) {
    await initBackend('cpu');
    const { model } = await modelFromCheckpoint(ck);
    const name = arg('layer') ?? 'stage3.block1.conv1';
    const k = model.getLayer(name).getWeights()[0];
    w = Float32Array.from(k.dataSync()); shape = [...k.shape]; what = `${name} of ${ck} [${shape}]`;
  } else {
    const c = Number(arg('channels') ?? 64);
    shape = [3, 3, c, c];
    w = new Rng(0).fillNormal(new Float32Array(9 * c * c), 0, 1 / Math.sqrt(9 * c)); what = `gaussian 3×3×${c}×${c} (std 1/sqrt(9·${c}))`;
  }
  console.log(`layer: ${what}`);
  const configs: [string, number, number, number][] = [ // label, bs, m, K
    ['VQ  bs 9,  K 256', 9, 1, 256],
    ['VQ  bs 9,  K 512', 9, 1, 512],
    ['PQ  bs 9,  m 3 × K 8', 9, 3, 8],
    ['PQ  bs 9,  m 3 × K 16', 9, 3, 16],
    ['VQ  bs 3,  K 256', 3, 1, 256],
    ['PQ  bs 9,  m 3 × K 256', 9, 3, 256],
    ['VQ  bs 18, K 256', 18, 1, 256],
    ['PQ  bs 18, m 2 × K 256', 18, 2, 256],
    ['VQ  bs 9,  K 16', 9, 1, 16],
  ];
  console.log('| scheme | index bits / weight | codebook B | total B (fp16 codebooks) | bits / weight | rel. error |');
  console.log('|---|---|---|---|---|---|');
  for (const [label, bs, m, k] of configs) {
    const t0 = Date.now();
    const q = quantizeKernel(w, shape, { blockSize: bs, k, subspaces: m, iterations: 15, seed: 0 });
    const err = relativeError(w, decodeKernel(q));
    const s = quantLayerSize('l', w.length, bs, k, { subspaces: m });
    console.log(`| ${label} | ${((m * s.bitsPerIndex) / bs).toFixed(3)} | ${s.codebookBytes} | ${s.bytes} | ${((8 * s.bytes) / w.length).toFixed(3)} | ${err.toFixed(4)} | <!-- ${Date.now() - t0} ms -->`);
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
