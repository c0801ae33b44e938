/**
 * Loads a whittle-pq file in headless Chromium (src/browser/pq-decoder.ts bundled by esbuild, no Node
 * APIs, tfjs cpu backend) and returns its logits for the given inputs, to compare with Node's. Used by
 * test/techniques/pq/browser.test.ts and, on a real CIFAR-10 file, by
 *   npx tsx scripts/pq-browser-parity.ts FILE.pq [--n 256] [--data-dir DIR]
 * which prints the max |Δlogit| and whether the predicted classes agree (Node: the decoded model on the
 * active backend; inputs: the first N validation images, normalised as the file's training data).
 * Chromium: /usr/bin/chromium (Debian `chromium`) or WHITTLE_CHROMIUM; playwright-core drives it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CHROMIUM = process.env.WHITTLE_CHROMIUM ?? '/usr/bin/chromium';

/** Why the browser check cannot run here, or undefined when it can. */
export function browserSkipReason(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} not found (install Debian's chromium: apt-get install -y chromium)`;
}

export interface BrowserBundleOptions {
  /** Module that exports `loadPQModel` and `tf` (default: src/browser/pq-decoder.ts; the packaging test passes 'whittle/browser'). */
  entry?: string;
  /** Where bare imports resolve (default: the repository's node_modules). */
  nodePaths?: string[];
}

/** Logits of the PQ file decoded in headless Chromium for `x` (NHWC, `shape`). */
export async function browserLogits(file: Uint8Array, x: Float32Array, shape: number[], opts: BrowserBundleOptions = {}): Promise<{ backend: string; logits: Float32Array }> {
  const dir = mkdtempSync(join(tmpdir(), 'whittle-pq-browser-'));
  try {
    writeFileSync(join(dir, 'model.pq'), file);
    writeFileSync(join(dir, 'x.bin'), new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
    const esbuild = await import('esbuild');
    writeFileSync(join(dir, 'entry.ts'), `
      import { loadPQModel, tf } from ${JSON.stringify(opts.entry ?? join(ROOT, 'src/browser/pq-decoder.ts'))};
      (window as any).runPQ = async (shape: number[]) => {
        const buf = await (await fetch('model.pq')).arrayBuffer();
        const x = new Float32Array(await (await fetch('x.bin')).arrayBuffer());
        const { model } = await loadPQModel(buf, { backend: 'cpu' });
        const y = model.predict(tf.tensor(x, shape)) as any;
        return { backend: tf.getBackend(), logits: Array.from(await y.data()) };
      };`);
    await esbuild.build({
      entryPoints: [join(dir, 'entry.ts')], bundle: true, format: 'iife', platform: 'browser', target: 'es2020',
      outfile: join(dir, 'bundle.js'), logLevel: 'error', nodePaths: opts.nodePaths ?? [join(ROOT, 'node_modules')],
    });
    writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><script src="bundle.js"></script>');
    const types: Record<string, string> = { html: 'text/html', js: 'text/javascript' };
    const server = createServer((req, res) => {
      const name = (req.url ?? '/').split('?')[0].replace(/^\/+/, '') || 'index.html';
      const path = join(dir, name);
      if (!/^[\w.-]+$/.test(name) || !existsSync(path)) { res.writeHead(404).end(); return; }
      res.writeHead(200, { 'content-type': types[name.split('.').pop()!] ?? 'application/octet-stream' }).end(readFileSync(path));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { chromium } = await import('playwright-core');
    const ctx = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM, headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await ctx.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/index.html`);
      const out = await page.evaluate(async (s) => (window as unknown as { runPQ: (s: number[]) => Promise<{ backend: string; logits: number[] }> }).runPQ(s), shape);
      if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
      return { backend: out.backend, logits: Float32Array.from(out.logits) };
    } finally {
      await ctx.close();
      server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (n: string, d: string): string => { const i = args.indexOf(`--${n}`); return i >= 0 ? args[i + 1] : d; };
  const path = args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')));
  if (!path) throw new Error('usage: npx tsx scripts/pq-browser-parity.ts FILE.pq [--n 256] [--data-dir DIR] [--dataset cifar10]');
  const skip = browserSkipReason();
  if (skip) throw new Error(skip);
  const n = Number(opt('n', '256'));
  const { tf } = await import('../src/engine/tf.js');
  const { initBackend } = await import('../src/engine/backend.js');
  const { decodePQModel } = await import('../src/techniques/pq/format.js');
  const { loadDataset, iterateBatches } = await import('../src/data/index.js');
  const backend = await initBackend('auto');
  const bytes = new Uint8Array(readFileSync(path));
  const { model } = await decodePQModel(bytes, path);
  const ds = loadDataset(opt('dataset', 'cifar10') as 'cifar10', { dataDir: args.includes('--data-dir') ? opt('data-dir', '') : undefined, limitVal: n });
  const batch = iterateBatches(ds.val, { batchSize: n, normalize: ds.normalization }).next().value!;
  const x = batch.x;
  const labels = batch.y;
  const shape = [batch.n, ds.val.height, ds.val.width, ds.val.channels];
  const nodeLogits = tf.tidy(() => (model.predict(tf.tensor(x, shape)) as import('../src/engine/tf.js').tf.Tensor).dataSync() as Float32Array);
  const t0 = Date.now();
  const web = await browserLogits(bytes, x, shape);
  const classes = nodeLogits.length / shape[0];
  let maxDiff = 0;
  let agree = 0;
  let correctNode = 0;
  let correctWeb = 0;
  const argmax = (v: Float32Array, i: number): number => { let b = 0; for (let c = 1; c < classes; c++) if (v[i * classes + c] > v[i * classes + b]) b = c; return b; };
  for (let i = 0; i < nodeLogits.length; i++) maxDiff = Math.max(maxDiff, Math.abs(nodeLogits[i] - web.logits[i]));
  for (let i = 0; i < shape[0]; i++) {
    const a = argmax(nodeLogits, i);
    const b = argmax(web.logits, i);
    if (a === b) agree++;
    if (a === labels[i]) correctNode++;
    if (b === labels[i]) correctWeb++;
  }
  console.log(`file ${path} (${bytes.length} bytes), ${shape[0]} validation images`);
  console.log(`node (${backend.name}) top-1 ${(100 * correctNode / shape[0]).toFixed(2)} %, chromium (tfjs ${web.backend}) top-1 ${(100 * correctWeb / shape[0]).toFixed(2)} % (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  console.log(`max |Δlogit| ${maxDiff.toExponential(2)}, same predicted class on ${agree}/${shape[0]}`);
  if (maxDiff > 1e-4 || agree !== shape[0]) process.exitCode = 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => { console.error(e instanceof Error ? e.message : e); process.exit(2); });
}
