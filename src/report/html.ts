/**
 * A single self-contained HTML report: inline SVG charts, tables, no scripts, no network.
 */
export interface Table {
  caption?: string;
  columns: string[];
  rows: Array<Array<string | number | null>>;
}

export interface Section {
  heading: string;
  /** Plain text paragraphs (escaped). */
  paragraphs?: string[];
  charts?: Array<{ svg: string; caption?: string }>;
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

function fmt(v: string | number | null): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v)) return v.toLocaleString('en-US');
    return Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4);
  }
  return v;
}

export function renderTable(t: Table): string {
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = t.rows.map((r) => `<tr>${r.map((v) => `<td>${escapeHtml(fmt(v))}</td>`).join('')}</tr>`).join('\n');
  const cap = t.caption ? `<caption>${escapeHtml(t.caption)}</caption>` : '';
  return `<table>${cap}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const STYLE = `body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{margin-bottom:0}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
.sub{color:#666;margin-top:.3em}table{border-collapse:collapse;margin:1em 0;font-size:13px}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}th{background:#f5f5f5}td:first-child,th:first-child{text-align:left}
caption{text-align:left;font-weight:600;padding:4px 0}figure{display:inline-block;margin:.5em 1em .5em 0;vertical-align:top}
figcaption{font-size:12px;color:#555;max-width:460px}`;

export function renderReport(doc: ReportDoc): string {
  const sections = doc.sections
    .map((s) => {
      const paras = (s.paragraphs ?? []).map((p) => `<p>${escapeHtml(p)}</p>`).join('\n');
      const charts = (s.charts ?? [])
        .map((c) => `<figure>${c.svg}${c.caption ? `<figcaption>${escapeHtml(c.caption)}</figcaption>` : ''}</figure>`)
        .join('\n');
      const tables = (s.tables ?? []).map(renderTable).join('\n');
      return `<section><h2>${escapeHtml(s.heading)}</h2>\n${paras}\n${tables}\n${charts}</section>`;
    })
    .join('\n');
  const sub = doc.subtitle ? `<p class="sub">${escapeHtml(doc.subtitle)}</p>` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(doc.title)}</title><style>${STYLE}</style></head><body><h1>${escapeHtml(doc.title)}</h1>${sub}\n${sections}\n</body></html>\n`;
}
