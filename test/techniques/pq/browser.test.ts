/**
 * Browser parity: the compressed file decoded by src/browser/pq-decoder.ts (bundled with esbuild, no Node
 * APIs) in headless Chromium reproduces the Node logits within 1e-5. Skipped, with the reason, when
 * /usr/bin/chromium (Debian `chromium`, apt-installed by .ci/run) is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { tf } from '../../../src/engine/tf.js';
import { initBackend } from '../../../src/engine/backend.js';
import { Rng } from '../../../src/core/rng.js';
import { createModel } from '../../../src/models/registry.js';
import { runIPQ } from '../../../src/techniques/pq/ipq.js';
import { encodePQModel, decodePQModel } from '../../../src/techniques/pq/format.js';

const CHROMIUM = process.env.WHITTLE_CHROMIUM ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} not found (install Debian's chromium: apt-get install -y chromium)`;

test('browser parity: headless Chromium decodes the PQ file to the Node logits (1e-5)', { skip, timeout: 120_000 }, async () => {
  await initBackend('cpu');
  const dir = mkdtempSync(join(tmpdir(), 'whittle-pq-browser-'));
  try {
    const model = createModel('resnet20', { inputShape: [8, 8, 3], seed: 4 });
    const { model: pq } = await runIPQ(model, { config: { k: 16, iterations: 3 } });
    writeFileSync(join(dir, 'model.pq'), await encodePQModel(pq, { coding: 'huffman' }));
    const xData = new Rng(6).fillNormal(new Float32Array(2 * 8 * 8 * 3), 0, 1);
    const fileBytes = readFileSync(join(dir, 'model.pq'));
    const node = await decodePQModel(new Uint8Array(fileBytes));
    const nodeLogits = Array.from((node.model.predict(tf.tensor(xData, [2, 8, 8, 3])) as tf.Tensor).dataSync());

    const esbuild = await import('esbuild');
    writeFileSync(join(dir, 'entry.ts'), `
      import { loadPQModel, tf } from ${JSON.stringify(resolve('src/browser/pq-decoder.ts'))};
      (window as any).runPQ = async (x: number[]) => {
        const buf = await (await fetch('model.pq')).arrayBuffer();
        const { model } = await loadPQModel(buf, { backend: 'cpu' });
        const y = model.predict(tf.tensor(x, [2, 8, 8, 3])) as any;
        return { backend: tf.getBackend(), logits: Array.from(await y.data()) };
      };`);
    await esbuild.build({
      entryPoints: [join(dir, 'entry.ts')], bundle: true, format: 'iife', platform: 'browser', target: 'es2020',
      outfile: join(dir, 'bundle.js'), logLevel: 'error', nodePaths: [resolve('node_modules')],
    });
    writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><script src="bundle.js"></script>');

    const types: Record<string, string> = { html: 'text/html', js: 'text/javascript', pq: 'application/octet-stream' };
    const server = createServer((req, res) => {
      const name = (req.url ?? '/').split('?')[0].replace(/^\/+/, '') || 'index.html';
      const file = join(dir, name);
      if (!/^[\w.-]+$/.test(name) || !existsSync(file)) { res.writeHead(404).end(); return; }
      res.writeHead(200, { 'content-type': types[name.split('.').pop()!] ?? 'application/octet-stream' }).end(readFileSync(file));
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
      const out = await page.evaluate(async (x) => (window as unknown as { runPQ: (x: number[]) => Promise<{ backend: string; logits: number[] }> }).runPQ(x), Array.from(xData));
      assert.deepEqual(errors, []);
      assert.equal(out.backend, 'cpu');
      assert.equal(out.logits.length, nodeLogits.length);
      const err = Math.max(...out.logits.map((v, i) => Math.abs(v - nodeLogits[i])));
      assert.ok(err <= 1e-5, `browser vs node max |Δlogit| = ${err}`);
    } finally {
      await ctx.close();
      server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
