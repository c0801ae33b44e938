/**
 * Parameter and FLOPs accounting.
 *
 * FLOPs are multiply-accumulates (MACs) of conv and dense layers, the convention of he-y/soft-filter-pruning
 * utils/cifar_resnet_flop.py (and of ENC's complexity): conv = H_out·W_out·k_h·k_w·C_in·C_out, dense =
 * in·out; biases, BN, ReLU, pooling, additions and the option-A shortcut are free. SFP's reduction table
 * (methods.md §2.3) uses conv MACs only, so the report keeps `conv` and `dense` apart.
 *
 * Pruned models: `kept` gives the number of surviving filters per conv (a record by layer name, or a
 * function of (layer name, filters) — fractional values allowed, e.g. `(_, f) => 0.7 * f` reproduces the
 * continuous-rate arithmetic of the SFP table). `keptFiltersFromWeights(model)` derives it from a masked
 * model (filters whose kernel is all zero are pruned). Effective channel counts then flow through the
 * graph: BN/ReLU/pooling/padding/shortcut pass them on, Flatten multiplies by the spatial size, and an
 * Add yields its full width (the union of channels of differently pruned operands; an identity shortcut
 * carries all channels). This reproduces SFP's rule that a block's first conv sees the full residual
 * stream while its second conv sees the pruned first conv (and stage 1 block 0 sees the pruned stem).
 */
import { tfl } from '../engine/tf.js';
import { CONV_CLASSES, DENSE_CLASSES, KERNEL_CONV_CLASSES } from './layer-kinds.js';
import { inboundLayers } from './common.js';
import { modelParams } from './params.js';

export interface ParamCounts {
  trainable: number;
  nonTrainable: number;
  total: number;
}

/** Trainable parameter count — PyTorch's `sum(p.numel() for p in model.parameters())` (BN stats excluded). */
export function countParams(model: tfl.LayersModel): number {
  return paramCounts(model).trainable;
}

export function paramCounts(model: tfl.LayersModel): ParamCounts {
  let trainable = 0;
  let nonTrainable = 0;
  for (const p of modelParams(model)) {
    if (p.trainable) trainable += p.variable.size;
    else nonTrainable += p.variable.size;
  }
  return { trainable, nonTrainable, total: trainable + nonTrainable };
}

export type KeptFilters = Record<string, number> | ((layer: string, filters: number) => number);

export interface LayerStats {
  name: string;
  className: string;
  outputShape: (number | null)[];
  /** Effective (unpruned) channels or features of the output. */
  channels: number;
  params: number;
  macs: number;
}

export interface FlopsReport {
  /** conv + dense MACs. */
  total: number;
  conv: number;
  dense: number;
  layers: LayerStats[];
}

type Shape = (number | null)[];

function keptFor(kept: KeptFilters | undefined, name: string, filters: number): number {
  if (!kept) return filters;
  const k = typeof kept === 'function' ? kept(name, filters) : (kept[name] ?? filters);
  if (!Number.isFinite(k) || k < 0 || k > filters) throw new Error(`kept filters for ${name}: ${k} outside [0, ${filters}]`);
  return k;
}

const prod = (xs: (number | null)[]) => xs.reduce<number>((a, b) => a * (b ?? 1), 1);

/** Conv / dense by class, including Whittle's stand-ins (layer-kinds.ts). */
function computeKind(cls: string, config: Record<string, unknown>): 'conv' | 'dense' | undefined {
  if (CONV_CLASSES.has(cls) && (config.kernelSize !== undefined || config.kernelShape !== undefined)) return 'conv';
  return DENSE_CLASSES.has(cls) ? 'dense' : undefined;
}

/**
 * Conv and dense MACs of one forward pass of a single image, per layer.
 * @param inputShape [h, w, c]; defaults to the model's input shape.
 */
export function countFlops(model: tfl.LayersModel, inputShape?: [number, number, number], opts: { kept?: KeptFilters } = {}): FlopsReport {
  const shapes = new Map<tfl.layers.Layer, Shape>();
  const eff = new Map<tfl.layers.Layer, number>();
  const report: FlopsReport = { total: 0, conv: 0, dense: 0, layers: [] };
  const inModel = new Set(model.layers);
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const ins = inboundLayers(layer, model, inModel);
    let shape: Shape;
    if (ins.length === 0) {
      shape = inputShape ? [null, ...inputShape] : (layer.outputShape as Shape);
    } else {
      const inShapes = ins.map((l) => shapes.get(l) as Shape);
      shape = layer.computeOutputShape(inShapes.length === 1 ? inShapes[0] : inShapes) as Shape;
    }
    const width = shape[shape.length - 1] ?? 0;
    const inEff = ins.length > 0 ? (eff.get(ins[0]) as number) : width;
    const config = layer.getConfig();
    let channels = inEff;
    let macs = 0;
    const kind = computeKind(cls, config);
    if (kind === 'conv') {
      const k = (config.kernelSize as number[] | undefined) ?? (config.kernelShape as number[]).slice(0, 2);
      channels = keptFor(opts.kept, layer.name, width);
      macs = prod(shape.slice(1, -1)) * k[0] * k[1] * inEff * channels;
      report.conv += macs;
    } else if (kind === 'dense') {
      macs = inEff * width;
      channels = width;
      report.dense += macs;
    } else if (cls === 'Add' || cls === 'InputLayer' || ins.length === 0) {
      channels = width;
    } else if (cls === 'Concatenate') {
      channels = ins.reduce((a, l) => a + (eff.get(l) as number), 0);
    } else if (cls === 'Flatten') {
      const inShape = shapes.get(ins[0]) as Shape;
      channels = prod(inShape.slice(1, -1)) * inEff;
    }
    shapes.set(layer, shape);
    eff.set(layer, channels);
    report.layers.push({ name: layer.name, className: cls, outputShape: shape, channels, params: layer.countParams(), macs });
  }
  report.total = report.conv + report.dense;
  return report;
}

/** Surviving filters per conv of a masked model: filters whose kernel slice is not entirely zero. */
export function keptFiltersFromWeights(model: tfl.LayersModel): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of modelParams(model)) {
    if (!KERNEL_CONV_CLASSES.has(p.layer.getClassName()) || !p.key.endsWith('/kernel')) continue;
    const co = (p.variable.shape as number[])[3];
    const data = p.variable.dataSync();
    const alive = new Uint8Array(co);
    for (let i = 0; i < data.length; i++) if (data[i] !== 0) alive[i % co] = 1;
    out[p.layer.name] = alive.reduce((a, b) => a + b, 0);
  }
  return out;
}

/** A plain-text per-layer table (layers with parameters or MACs) with totals. */
export function formatLayerTable(report: FlopsReport): string {
  const rows = report.layers.filter((l) => l.params > 0 || l.macs > 0);
  const head = ['layer', 'type', 'output', 'params', 'MACs'];
  const body = rows.map((l) => [l.name, l.className, JSON.stringify(l.outputShape.slice(1)), String(l.params), String(Math.round(l.macs))]);
  const params = rows.reduce((a, l) => a + l.params, 0);
  body.push(['total', '', '', String(params), String(Math.round(report.total))]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => (i >= 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  return [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...body.map(fmt)].join('\n');
}
