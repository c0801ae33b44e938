/**
 * A single self-contained HTML report: inline SVG charts, tables, no scripts, no network. Tables wrap
 * their cells (and scroll as a last resort) inside the page's column; a table with many columns is drawn
 * transposed; a chart without data is a "no data" note.
 */
import { columnDigits, formatCell } from './format.js';

export interface Table {
  caption?: string;
  columns: string[];
  rows: Array<Array<string | number | null>>;
}

export interface Section {
  heading: string;
  /** Plain text paragraphs (escaped). */
  paragraphs?: string[];
  /** A chart (inline SVG) or, where it had no data, the note saying why. */
  charts?: Array<{ svg?: string; noData?: string; title?: string; caption?: string }>;
  tables?: Table[];
}

export interface ReportDoc {
  title: string;
  subtitle?: string;
  sections: Section[];
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** Past this many columns a table reads better transposed (one row per column, one column per row). */
const MAX_COLUMNS = 12;

export function transpose(t: Table): Table {
  const labels = t.rows.map((r, i) => String(r[0] ?? `row ${i + 1}`));
  return {
    caption: t.caption,
    columns: [t.columns[0], ...labels],
    rows: t.columns.slice(1).map((c, j) => [c, ...t.rows.map((r) => r[j + 1] ?? null)]),
  };
}

export function renderTable(table: Table): string {
  // Transposed only where that makes it narrower (few rows, many columns).
  const t = table.columns.length > MAX_COLUMNS && table.rows.length < table.columns.length ? transpose(table) : table;
  const flipped = t !== table;
  const digits = t.columns.map(columnDigits);
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  // Text left-aligned; only long text (command lines, per-layer lists) may break inside a word.
  const cell = (v: string | number | null, d: number | undefined) => `<td${typeof v === 'string' ? (v.length > 24 ? ' class="s l"' : ' class="s"') : ''}>${escapeHtml(formatCell(v, d))}</td>`;
  const body = t.rows.map((r) => `<tr>${r.map((v, j) => cell(v, flipped ? (j > 0 ? columnDigits(String(r[0])) : undefined) : digits[j])).join('')}</tr>`).join('\n');
  const cap = t.caption ? `<caption>${escapeHtml(t.caption)}</caption>` : '';
  const empty = t.rows.length === 0 ? `<p class="nodata">No rows.</p>` : '';
  return `<div class="tw"><table>${cap}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>${empty}</div>`;
}

const STYLE = `body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{margin-bottom:0}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}section{max-width:100%}
.sub{color:#666;margin-top:.3em}.tw{max-width:100%;overflow-x:auto;margin:1em 0}table{border-collapse:collapse;font-size:13px;max-width:100%}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right;vertical-align:top}td.s{text-align:left}td.l{overflow-wrap:anywhere}
th{background:#f5f5f5;font-weight:600;overflow-wrap:normal;hyphens:auto}
td:first-child,th:first-child{text-align:left}tbody tr:nth-child(even){background:#fafafa}
caption{text-align:left;font-weight:600;padding:4px 0}figure{display:inline-block;margin:.5em 1em .5em 0;vertical-align:top;max-width:100%}
figure svg{max-width:100%;height:auto}figcaption{font-size:12px;color:#555;max-width:520px}
.nodata{border:1px dashed #bbb;color:#666;padding:1.5em 1em;max-width:420px;font-size:13px;background:#fcfcfc}`;

export function renderReport(doc: ReportDoc): string {
  const sections = doc.sections
    .map((s) => {
      const paras = (s.paragraphs ?? []).map((p) => `<p>${escapeHtml(p)}</p>`).join('\n');
      const charts = (s.charts ?? [])
        .map((c) => {
          const body = c.svg ?? `<div class="nodata"><strong>${escapeHtml(c.title ?? 'Chart')}</strong><br>No data: ${escapeHtml(c.noData ?? 'nothing was logged for this chart')}.</div>`;
          return `<figure>${body}${c.caption ? `<figcaption>${escapeHtml(c.caption)}</figcaption>` : ''}</figure>`;
        })
        .join('\n');
      const tables = (s.tables ?? []).map(renderTable).join('\n');
      return `<section><h2>${escapeHtml(s.heading)}</h2>\n${paras}\n${tables}\n${charts}</section>`;
    })
    .join('\n');
  const sub = doc.subtitle ? `<p class="sub">${escapeHtml(doc.subtitle)}</p>` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(doc.title)}</title><style>${STYLE}</style></head><body><h1>${escapeHtml(doc.title)}</h1>${sub}\n${sections}\n</body></html>\n`;
}
