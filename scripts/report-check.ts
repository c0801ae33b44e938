/**
 * Opens a `whittle report` HTML file in headless Chromium and checks it as a reader would: every chart
 * has marks, no table or chart is wider than its column, nothing logs a console error, no "NaN" or
 * "undefined" is printed. Optionally writes a full-page screenshot. Chromium: /usr/bin/chromium (Debian
 * `chromium`) or WHITTLE_CHROMIUM; playwright-core drives it.
 *
 *   npx tsx scripts/report-check.ts runs/demo/report.html [--screenshot out.png] [--width 1280]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CHROMIUM } from './pq-browser-parity.js';

export { browserSkipReason } from './pq-browser-parity.js';

export interface ReportCheck {
  charts: number;
  /** Titles (or positions) of charts drawn without a single data mark. */
  emptyCharts: string[];
  /** Tables / charts wider than the page column: "table 3 (caption): 1210 px in 1068 px". */
  overflows: string[];
  consoleErrors: string[];
  /** Visible text containing NaN / undefined / Infinity. */
  badText: string[];
  noDataNotes: number;
  tables: number;
}

export async function checkReport(htmlPath: string, o: { screenshot?: string; width?: number } = {}): Promise<ReportCheck> {
  const profile = mkdtempSync(join(tmpdir(), 'whittle-report-check-'));
  const { chromium } = await import('playwright-core');
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, viewport: { width: o.width ?? 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await ctx.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(pathToFileURL(resolve(htmlPath)).href);
    const r = await page.evaluate(() => {
      const out = { charts: 0, emptyCharts: [] as string[], overflows: [] as string[], badText: [] as string[], noDataNotes: 0, tables: 0 };
      const sections = Array.from(document.querySelectorAll('section'));
      sections.forEach((sec) => {
        const right = sec.getBoundingClientRect().right + 1;
        const heading = sec.querySelector('h2')?.textContent ?? '?';
        sec.querySelectorAll('figure svg').forEach((svg: Element, i: number) => {
          out.charts++;
          // vega's SVG renderer: one group per mark with class role-mark, one child per datum.
          const marks = Array.from(svg.querySelectorAll('g.role-mark')).filter((g: Element) => !g.closest('.role-axis, .role-legend, .role-title'));
          const drawn = marks.reduce((n: number, g: Element) => n + g.querySelectorAll('path, line, text, rect, circle').length, 0);
          const title = svg.querySelector('.role-title-text')?.textContent ?? `${heading} chart ${i + 1}`;
          if (drawn === 0) out.emptyCharts.push(title);
          const w = svg.getBoundingClientRect();
          if (w.right > right) out.overflows.push(`chart "${title}": right edge ${Math.round(w.right)} px past the column's ${Math.round(right)} px`);
        });
        sec.querySelectorAll('.tw').forEach((wrap: Element, i: number) => {
          out.tables++;
          const t = wrap.querySelector('table')!;
          const cap = t.querySelector('caption')?.textContent ?? `${heading} table ${i + 1}`;
          if (t.scrollWidth > (wrap as HTMLElement).clientWidth + 1) out.overflows.push(`table "${cap}": ${t.scrollWidth} px in a ${(wrap as HTMLElement).clientWidth} px column`);
          if (wrap.getBoundingClientRect().right > right) out.overflows.push(`table "${cap}": past the column`);
        });
        out.noDataNotes += sec.querySelectorAll('.nodata').length;
      });
      const text = document.body.innerText;
      for (const m of Array.from(text.matchAll(/[^\n]{0,40}\b(NaN|undefined|Infinity)\b[^\n]{0,40}/g))) out.badText.push(m[0]);
      return out;
    });
    if (o.screenshot) await page.screenshot({ path: o.screenshot, fullPage: true });
    return { ...r, consoleErrors };
  } finally {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (n: string): string | undefined => { const i = args.indexOf(`--${n}`); return i >= 0 ? args[i + 1] : undefined; };
  const file = args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')));
  if (!file) throw new Error('usage: npx tsx scripts/report-check.ts REPORT.html [--screenshot out.png] [--width 1280]');
  const r = await checkReport(file, { screenshot: opt('screenshot'), width: opt('width') ? Number(opt('width')) : undefined });
  console.log(JSON.stringify(r, null, 2));
  if (r.emptyCharts.length || r.overflows.length || r.consoleErrors.length || r.badText.length) process.exitCode = 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
