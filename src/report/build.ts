/**
 * `whittle report DIR`: one self-contained HTML file (inline SVG, no scripts, no network) and a PNG of
 * every chart in a folder named like the HTML file, next to it (`<dir>/report.html` → `<dir>/report/`,
 * `--out x/demo.html` → `x/demo/`). A chart without data is a note in the HTML and has no PNG.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { renderSvg, specRowCount, svgToPng } from './charts.js';
import { renderReport, type Section } from './html.js';
import { loadExperimentDir, type ExperimentRecord } from './load.js';
import { curvesSection, postStepSections, provenanceSection, reprSection, resultsSection, stochasticDepthSection, tradeoffSection, type SpecSection } from './sections.js';

export interface BuiltReport {
  html: string;
  htmlPath: string;
  pngDir: string;
  pngs: string[];
}

export function reportSections(e: ExperimentRecord): SpecSection[] {
  return [resultsSection(e), tradeoffSection(e), curvesSection(e), reprSection(e), stochasticDepthSection(e), ...postStepSections(e), provenanceSection(e)].filter((s): s is SpecSection => !!s);
}

/** The PNG folder for an HTML report: its path without the extension. */
export function pngDirFor(htmlPath: string): string {
  return join(dirname(htmlPath), basename(htmlPath, extname(htmlPath)));
}

export async function buildReport(dir: string, opts: { out?: string; png?: boolean } = {}): Promise<BuiltReport> {
  const root = resolve(dir);
  const e = loadExperimentDir(root);
  const htmlPath = resolve(opts.out ?? join(root, 'report.html'));
  const pngDir = pngDirFor(htmlPath);
  if (opts.png !== false) mkdirSync(pngDir, { recursive: true });
  const pngs: string[] = [];
  const sections: Section[] = [];
  for (const s of reportSections(e)) {
    const charts: Section['charts'] = [];
    for (const c of s.charts ?? []) {
      const title = (c.spec as { title?: string }).title;
      if (specRowCount(c.spec) === 0) {
        charts.push({ title, noData: c.noData ?? 'nothing was logged for this chart', caption: c.caption });
        continue;
      }
      const svg = await renderSvg(c.spec);
      charts.push({ svg, caption: c.caption });
      if (opts.png !== false) {
        const p = join(pngDir, `${e.experiment.name}-${c.name}.png`);
        writeFileSync(p, await svgToPng(svg));
        pngs.push(p);
      }
    }
    sections.push({ heading: s.heading, paragraphs: s.paragraphs, tables: s.tables, charts });
  }
  const html = renderReport({
    title: e.experiment.title,
    subtitle: `${e.experiment.description} — experiment "${e.experiment.name}", budget ${e.budget}, ${e.seeds} seed(s), generated ${new Date().toISOString().slice(0, 16)}Z by Whittle`,
    sections,
  });
  mkdirSync(dirname(htmlPath), { recursive: true });
  writeFileAtomic(htmlPath, html);
  return { html, htmlPath, pngDir, pngs };
}
