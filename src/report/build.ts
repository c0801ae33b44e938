/**
 * `whittle report DIR`: one self-contained HTML file (inline SVG, no scripts, no network) and a PNG of
 * every chart under `<dir>/report/`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { renderSvg, svgToPng } from './charts.js';
import { renderReport, type Section } from './html.js';
import { loadExperimentDir, type ExperimentRecord } from './load.js';
import { curvesSection, postStepSections, reprSection, resultsSection, stochasticDepthSection, type SpecSection } from './sections.js';

export interface BuiltReport {
  html: string;
  htmlPath: string;
  pngs: string[];
}

export function reportSections(e: ExperimentRecord): SpecSection[] {
  return [resultsSection(e), curvesSection(e), reprSection(e), stochasticDepthSection(e), ...postStepSections(e)].filter((s): s is SpecSection => !!s);
}

export async function buildReport(dir: string, opts: { out?: string; png?: boolean } = {}): Promise<BuiltReport> {
  const root = resolve(dir);
  const e = loadExperimentDir(root);
  const pngDir = join(root, 'report');
  mkdirSync(pngDir, { recursive: true });
  const pngs: string[] = [];
  const sections: Section[] = [];
  for (const s of reportSections(e)) {
    const charts: Section['charts'] = [];
    for (const c of s.charts ?? []) {
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
  const htmlPath = resolve(opts.out ?? join(root, 'report.html'));
  writeFileAtomic(htmlPath, html);
  return { html, htmlPath, pngs };
}
