/**
 * Chart specs (vega-lite) and rendering to SVG (vega, no canvas or browser) and PNG (sharp/librsvg),
 * as measured in ../shared/docs/ecosystem.md §0.6.
 */
import * as vl from 'vega-lite';
import * as vega from 'vega';
import sharp from 'sharp';

export type Row = Record<string, string | number | null>;

const BASE = { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', width: 420, height: 240 } as const;

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
}

export function lineChart(o: LineChartOptions): vl.TopLevelSpec {
  const color = o.series ? { color: { field: o.series, type: 'nominal' as const, title: o.series, legend: { labelLimit: 320, symbolOpacity: 1 } } } : {};
  const dash = o.dash ? { strokeDash: { field: o.dash, type: 'nominal' as const, title: o.dash } } : {};
  const layers: unknown[] = [
    {
      mark: { type: 'line', point: o.rows.length <= 40 },
      encoding: {
        x: { field: o.x, type: 'quantitative', title: o.xTitle ?? o.x, ...(o.integerX ? { axis: { tickMinStep: 1, format: 'd' } } : {}) },
        y: { field: o.y, type: 'quantitative', title: o.yTitle ?? o.y, scale: { zero: false } },
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
}

export function barChart(o: BarChartOptions): vl.TopLevelSpec {
  const grp = o.group
    ? { color: { field: o.group, type: 'nominal' as const }, ...(o.colorOnly ? {} : { xOffset: { field: o.group, type: 'nominal' as const } }) }
    : {};
  return {
    ...BASE,
    title: o.title,
    data: { values: o.rows },
    mark: 'bar',
    encoding: {
      x: { field: o.x, type: o.xType ?? 'ordinal', title: o.xTitle ?? o.x, sort: null },
      y: { field: o.y, type: 'quantitative', title: o.yTitle ?? o.y },
      ...grp,
    },
  } as vl.TopLevelSpec;
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
}

export function scatterChart(o: ScatterOptions): vl.TopLevelSpec {
  const color = o.series ? { color: { field: o.series, type: 'nominal' as const } } : {};
  const enc = {
    x: { field: o.x, type: 'quantitative', title: o.xTitle ?? o.x, scale: o.logX ? { type: 'log' } : { zero: false } },
    y: { field: o.y, type: 'quantitative', title: o.yTitle ?? o.y, scale: { zero: false } },
    ...color,
  };
  const layers: unknown[] = [{ mark: { type: 'point', filled: true, size: 60 }, encoding: enc }];
  if (o.label) layers.push({ mark: { type: 'text', dx: 6, align: 'left', fontSize: 9 }, encoding: { ...enc, text: { field: o.label } } });
  return { ...BASE, title: o.title, data: { values: o.rows }, layer: layers } as vl.TopLevelSpec;
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
