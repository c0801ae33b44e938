/**
 * Finds the factorisable layers of a tfjs model and factorises each once at its break-even rank
 * (methods.md §3.1: "the net is first decomposed at R_max"; smaller ranks are slices).
 */
import { tfl } from '../../engine/tf.js';
import { WhittleError } from '../../core/errors.js';
import { breakEvenRank, originalMacs, type LayerSpec } from './cost.js';
import { factorize, matrixShape, type Factors } from './factorize.js';
import { pcaEnergy } from './metrics.js';
import { evbmfRank } from './vbmf.js';

export interface SelectOptions {
  /** Layers never factorised (kept as they are). Default matches the reference's `'proj' in name` skip. */
  exclude?: RegExp;
  /**
   * Also factorise Dense layers into two Dense layers (methods.md §3.1 "FC (only if included)"); the
   * complexity budget then counts conv + dense MACs. Default false: the reference's runs (`Sel_comp = 0`)
   * count and compress conv layers only.
   */
  includeDense?: boolean;
  /** Rank the stored factors keep: 'rmax' (default, as the reference) or 'full' (min(rows, cols); tests). */
  factorRank?: 'rmax' | 'full';
}

export interface AnalysedLayer {
  spec: LayerSpec;
  rMax: number;
  /** Factors at R_max (slice them for smaller ranks). */
  factors: Factors;
  /** E(r), r = 1..R_max. */
  energy: Float64Array;
  /** EVBMF rank of the reshaped matrix (chooses the validation-metric sample ranks). */
  vbmf: number;
  bias?: Float32Array;
  /** The first conv of the network (channel scheme). */
  first: boolean;
}

export interface Analysis {
  layers: AnalysedLayer[];
  /** Conv MACs of the original network (C_orig, every Conv2D counted). */
  convMacs: number;
  /** MACs of convs that are not factorised (excluded). */
  untouchedConvMacs: number;
  /** Dense MACs of the original network (every 2-D Dense layer). */
  denseMacs: number;
  /** MACs of Dense layers that are not factorised (excluded by name, or all when !includeDense). */
  untouchedDenseMacs: number;
  /** Whether Dense layers were candidates (SelectOptions.includeDense). */
  includeDense: boolean;
  seconds: number;
}

function shape4(s: tfl.SymbolicTensor['shape'] | number[], what: string): number[] {
  const a = s as (number | null)[];
  if (a.length !== 4) throw new WhittleError(`${what}: expected a 4-D shape, got ${JSON.stringify(a)}`);
  return a.map((x) => x ?? 1);
}

/** Describes a Conv2D / Dense layer, or returns undefined for anything else. */
export function describeLayer(layer: tfl.layers.Layer, first: boolean): LayerSpec | undefined {
  const cls = layer.getClassName();
  const cfg = layer.getConfig() as Record<string, unknown>;
  if (cls === 'Conv2D') {
    const ks = cfg.kernelSize as number[];
    const st = cfg.strides as number[];
    const dil = cfg.dilationRate as number[] | number | undefined;
    if ((Array.isArray(dil) ? dil : [dil ?? 1]).some((d) => d !== 1)) return undefined;
    if (cfg.dataFormat !== undefined && cfg.dataFormat !== 'channelsLast') return undefined;
    const inp = shape4((layer.input as tfl.SymbolicTensor).shape, layer.name);
    const out = shape4(layer.outputShape as number[], layer.name);
    return {
      name: layer.name,
      scheme: first ? 'channel' : 'spatial',
      kh: ks[0],
      kw: ks[1],
      cin: inp[3],
      cout: out[3],
      strides: [st[0], st[1]],
      padding: cfg.padding === 'same' ? 'same' : 'valid',
      inH: inp[1],
      inW: inp[2],
      outH: out[1],
      outW: out[2],
      useBias: cfg.useBias !== false,
    };
  }
  if (cls === 'Dense') {
    const inp = (layer.input as tfl.SymbolicTensor).shape;
    if (inp.length !== 2) return undefined;
    return {
      name: layer.name, scheme: 'dense', kh: 1, kw: 1, cin: inp[1] as number, cout: cfg.units as number,
      strides: [1, 1], padding: 'valid', inH: 1, inW: 1, outH: 1, outW: 1, useBias: cfg.useBias !== false,
    };
  }
  return undefined;
}

/**
 * Factorises every selected layer at R_max and computes its PCA energy and VBMF rank.
 * @example const a = analyseModel(model); a.layers.map((l) => l.rMax) // resnet56: 10, 24, …
 */
export function analyseModel(model: tfl.LayersModel, opts: SelectOptions = {}): Analysis {
  const t0 = performance.now();
  const exclude = opts.exclude ?? /proj|shortcut|downsample/;
  const layers: AnalysedLayer[] = [];
  let convMacs = 0;
  let untouched = 0;
  let denseMacs = 0;
  let untouchedDense = 0;
  let seenConv = false;
  for (const layer of model.layers) {
    const isConv = layer.getClassName() === 'Conv2D';
    const spec = describeLayer(layer, isConv && !seenConv);
    if (isConv) seenConv = true;
    if (!spec) continue;
    if (spec.scheme !== 'dense') convMacs += originalMacs(spec);
    else denseMacs += originalMacs(spec);
    if (exclude.test(spec.name) || (spec.scheme === 'dense' && !opts.includeDense)) {
      if (spec.scheme !== 'dense') untouched += originalMacs(spec);
      else untouchedDense += originalMacs(spec);
      continue;
    }
    const w = layer.getWeights();
    const kernel = w[0].dataSync() as Float32Array;
    const bias = spec.useBias && w[1] ? (w[1].dataSync() as Float32Array).slice() : undefined;
    const [rows, cols] = matrixShape(spec);
    const rMax = opts.factorRank === 'full' ? Math.min(rows, cols) : breakEvenRank(spec);
    const factors = factorize(kernel, spec, rMax);
    layers.push({
      spec, rMax, factors, bias, first: spec.scheme === 'channel',
      energy: pcaEnergy(factors.singularValues, rMax),
      vbmf: evbmfRank(factors.singularValues, rows, cols),
    });
  }
  if (layers.length === 0) throw new WhittleError('ENC: the model has no Conv2D/Dense layer to factorise');
  return {
    layers, convMacs, untouchedConvMacs: untouched, denseMacs, untouchedDenseMacs: untouchedDense,
    includeDense: opts.includeDense === true, seconds: (performance.now() - t0) / 1000,
  };
}
