/**
 * Chart specs (vega-lite) and rendering to SVG (vega, no canvas or browser) and PNG (sharp/librsvg),
 * as measured in ../shared/docs/ecosystem.md §0.6.
 */
import * as vl from 'vega-lite';
import * as vega from 'vega';
import sharp from 'sharp';

export type Row = Record<string, string | number | null>;

const BASE = { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', width: 420, height: 240 } as const;

/**
 * Axis numbers: thousands separators and no trailing zeros (`15.8`, not `15.800000` — d3's automatic
 * precision goes to 6 decimals when a domain collapses to one value).
 */
export const AXIS_FORMAT = ',~r';

/** Distinct colours for n series: tableau10 up to 10, tableau20 up to 20, else evenly spaced hues. */
export function colorScale(n: number): { scheme: string } | { range: string[] } {
  if (n <= 10) return { scheme: 'tableau10' };
  if (n <= 20) return { scheme: 'tableau20' };
  return { range: Array.from({ length: n }, (_, i) => `hsl(${Math.round((i * 360) / n)}, ${i % 2 ? 55 : 75}%, ${i % 3 === 0 ? 38 : i % 3 === 1 ? 52 : 64}%)`) };
}

const seriesCount = (rows: Row[], field?: string) => (field ? new Set(rows.map((r) => r[field])).size : 1);

/** A horizontal reference line (e.g. the float model's accuracy), labelled. */
export interface Baseline {
  y: number;
  label: string;
}

function baselineLayers(b: Baseline | undefined, y: string): unknown[] {
  if (!b) return [];
  const data = { values: [{ [y]: b.y, label: b.label }] };
  return [
    { data, mark: { type: 'rule', strokeDash: [6, 4], color: '#444', strokeWidth: 1.5 }, encoding: { y: { field: y, type: 'quantitative' } } },
    { data, mark: { type: 'text', align: 'left', dx: 4, dy: -6, fontSize: 10, color: '#333' }, encoding: { y: { field: y, type: 'quantitative' }, x: { value: 0 }, text: { field: 'label' } } },
  ];
}

/** The number of rows a spec draws from (0 = an empty chart). */
export function specRowCount(spec: vl.TopLevelSpec): number {
  const d = (spec as { data?: { values?: unknown[] } }).data;
  return d?.values?.length ?? 0;
}

export interface LineChartOptions {
  title: string;
  rows: Row[];
  x: string;
  y: string;
  series?: string;
  xTitle?: string;
  yTitle?: string;
  /** Column holding the spread (e.g. std over seeds); drawn as a band of ±spread around y. */
  spread?: string;
  /** Vertical rules at these x values, labelled (e.g. prune / re-init events). */
  events?: Array<{ x: number; label: string }>;
  /** Column distinguishing lines by dash pattern (colour stays `series`), e.g. rule vs observed. */
  dash?: string;
  /** Whole-number x ticks only (epochs, block indices). */
  integerX?: boolean;
  /** Draw points on the lines (default: when there are at most 40 rows). */
  points?: boolean;
}

export function lineChart(o: LineChartOptions): vl.TopLevelSpec {
  const color = o.series ? { color: { field: o.series, type: 'nominal' as const, title: o.series, scale: colorScale(seriesCount(o.rows, o.series)), legend: { labelLimit: 320, symbolOpacity: 1 } } } : {};
  const dash = o.dash ? { strokeDash: { field: o.dash, type: 'nominal' as const, title: o.dash } } : {};
  const layers: unknown[] = [
    {
      mark: { type: 'line', point: o.points ?? o.rows.length <= 40 },
      encoding: {
        x: { field: o.x, type: 'quantitative', title: o.xTitle ?? o.x, axis: o.integerX ? { tickMinStep: 1, format: 'd' } : { format: AXIS_FORMAT } },
        y: { field: o.y, type: 'quantitative', title: o.yTitle ?? o.y, scale: { zero: false }, axis: { format: AXIS_FORMAT } },
        ...color,
        ...dash,
      },
    },
  ];
  if (o.spread) {
    // Under the lines, and fainter the more series overlap, so the means stay readable.
    const n = o.series ? new Set(o.rows.map((r) => r[o.series!])).size : 1;
    layers.unshift({
      mark: { type: 'area', opacity: n > 3 ? 0.08 : 0.2 },
      transform: [
        { calculate: `datum['${o.y}'] - datum['${o.spread}']`, as: '_lo' },
        { calculate: `datum['${o.y}'] + datum['${o.spread}']`, as: '_hi' },
      ],
      encoding: { x: { field: o.x, type: 'quantitative' }, y: { field: '_lo', type: 'quantitative' }, y2: { field: '_hi' }, ...color },
    });
  }
  if (o.events?.length) {
    layers.push({
      data: { values: o.events },
      mark: { type: 'rule', strokeDash: [4, 3], color: '#888' },
      encoding: { x: { field: 'x', type: 'quantitative' } },
    });
    layers.push({
      data: { values: o.events },
      mark: { type: 'text', angle: 270, align: 'left', dx: 4, dy: -4, fontSize: 9, color: '#555' },
      encoding: { x: { field: 'x', type: 'quantitative' }, y: { value: 0 }, text: { field: 'label' } },
    });
  }
  return { ...BASE, title: o.title, data: { values: o.rows }, layer: layers } as vl.TopLevelSpec;
}

export interface BarChartOptions {
  title: string;
  rows: Row[];
  x: string;
  y: string;
  /** Groups bars side by side (xOffset) and colours them. */
  group?: string;
  xTitle?: string;
  yTitle?: string;
  xType?: 'nominal' | 'ordinal' | 'quantitative';
  /** Colour by `group` without placing the groups side by side (one bar per x). */
  colorOnly?: boolean;
  /** A horizontal reference line. */
  baseline?: Baseline;
  /** One panel per value of this column, side by side (e.g. RePr cycles). */
  column?: string;
}

export function barChart(o: BarChartOptions): vl.TopLevelSpec {
  const grp = o.group
    ? { color: { field: o.group, type: 'nominal' as const, scale: colorScale(seriesCount(o.rows, o.group)), legend: { labelLimit: 320 } }, ...(o.colorOnly ? {} : { xOffset: { field: o.group, type: 'nominal' as const } }) }
    : {};
  const categories = new Set(o.rows.map((r) => r[o.x])).size;
  // Wide enough for every bar (long per-layer axes get 14 px per bar), long names turned on the axis.
  const bars = categories * (o.group && !o.colorOnly ? seriesCount(o.rows, o.group) : 1);
  const width = Math.max(BASE.width, Math.min(1000, bars * 14));
  const labelAngle = categories > 6 || o.rows.some((r) => String(r[o.x]).length > 10) ? -45 : 0;
  const bar = {
    mark: 'bar',
    encoding: {
      x: { field: o.x, type: o.xType ?? 'ordinal', title: o.xTitle ?? o.x, sort: null, axis: { labelAngle, labelLimit: 260 } },
      y: { field: o.y, type: 'quantitative', title: o.yTitle ?? o.y, axis: { format: AXIS_FORMAT } },
      ...grp,
    },
  };
  if (o.column) {
    const panels = seriesCount(o.rows, o.column);
    const panelWidth = Math.max(120, Math.min(width, Math.round(900 / panels)));
    return { $schema: BASE.$schema, title: o.title, data: { values: o.rows }, facet: { column: { field: o.column, type: 'nominal', title: null, sort: null } }, spec: { width: panelWidth, height: BASE.height, ...bar } } as vl.TopLevelSpec;
  }
  const base = baselineLayers(o.baseline, o.y);
  return { ...BASE, width, title: o.title, data: { values: o.rows }, ...(base.length ? { layer: [bar, ...base] } : bar) } as vl.TopLevelSpec;
}

export interface ScatterOptions {
  title: string;
  rows: Row[];
  x: string;
  y: string;
  label?: string;
  series?: string;
  xTitle?: string;
  yTitle?: string;
  logX?: boolean;
  /** A horizontal reference line (e.g. the float model). */
  baseline?: Baseline;
  /** Connect the points no other point beats on both axes (smaller x, higher y). */
  front?: boolean;
}

export function scatterChart(o: ScatterOptions): vl.TopLevelSpec {
  const n = seriesCount(o.rows, o.series);
  const color = o.series ? { color: { field: o.series, type: 'nominal' as const, scale: colorScale(n), legend: { labelLimit: 320 } } } : {};
  const shape = o.series ? { shape: { field: o.series, type: 'nominal' as const } } : {};
  const ys = [...o.rows.map((r) => Number(r[o.y])), ...(o.baseline ? [o.baseline.y] : [])].filter(Number.isFinite);
  const enc = {
    x: { field: o.x, type: 'quantitative', title: o.xTitle ?? o.x, scale: o.logX ? { type: 'log' } : { zero: false }, axis: { format: AXIS_FORMAT } },
    // The domain includes the baseline, so the reference line is always on the chart.
    y: { field: o.y, type: 'quantitative', title: o.yTitle ?? o.y, scale: { zero: false, ...(ys.length ? { domain: padded(ys), nice: true } : {}) }, axis: { format: AXIS_FORMAT } },
  };
  const layers: unknown[] = [];
  if (o.front) {
    const front = paretoFront(o.rows, o.x, o.y);
    if (front.length > 1) layers.push({ data: { values: front }, mark: { type: 'line', color: '#999', strokeWidth: 1, interpolate: 'step-after' }, encoding: { x: enc.x, y: enc.y, order: { field: o.x, type: 'quantitative' } } });
  }
  layers.push({ mark: { type: 'point', filled: true, size: 70, opacity: 0.9 }, encoding: { ...enc, ...color, ...shape } });
  if (o.label) layers.push({ mark: { type: 'text', dx: 6, dy: -4, align: 'left', fontSize: 9, color: '#444' }, encoding: { ...enc, text: { field: o.label } } });
  layers.push(...baselineLayers(o.baseline, o.y));
  return { ...BASE, width: 520, height: 300, title: o.title, data: { values: o.rows }, layer: layers } as vl.TopLevelSpec;
}

/** [min, max] of the values with 6 % of the range (or 1) either side, so no point sits on the frame. */
function padded(v: number[]): [number, number] {
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  const pad = hi > lo ? 0.06 * (hi - lo) : 1;
  return [lo - pad, hi + pad];
}

/** Points not beaten by another on both axes (smaller or equal x and higher y), sorted by x. */
export function paretoFront(rows: Row[], x: string, y: string): Row[] {
  const pts = rows.filter((r) => Number.isFinite(Number(r[x])) && Number.isFinite(Number(r[y]))).sort((a, b) => Number(a[x]) - Number(b[x]) || Number(b[y]) - Number(a[y]));
  const out: Row[] = [];
  let best = -Infinity;
  for (const p of pts) {
    if (Number(p[y]) > best) {
      out.push(p);
      best = Number(p[y]);
    }
  }
  return out;
}

/** Renders a vega-lite spec to a standalone SVG string (no network, no DOM). */
export async function renderSvg(spec: vl.TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** SVG → PNG (librsvg inside sharp), at 144 dpi for crisp text. */
export async function svgToPng(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density: 144 }).png().toBuffer();
}
