/**
 * Structural description of the residual blocks of a zoo ResNet, recovered from layer names and the
 * graph (not from metadata), so it works on freshly built and on loaded models alike.
 *
 * A block is found by its `${block}.add` layer (Add with inputs [shortcut, branch]). For each block:
 * - `branch`: the block's layers on the residual path, in model order (conv1, bn1, relu1, conv2, bn2 and
 *   any layer a technique inserted under the same prefix, e.g. a stochastic-depth gate);
 *   `branchOutput` is the layer feeding the add from the branch side.
 * - `shortcut`: the ShortcutA layer (option A) or null for identity; `input` the layer whose output
 *   enters the block (`relu1` of the stem or the previous block's `.relu`).
 * - `convs`: branch convs; `tiedConv` is the conv whose filters are summed into the residual stream.
 *
 * Channel tying (what filter removal must respect): within a stage, the output channels of the stem
 * conv1 (stage 1 only) and of every block's conv2 are added together, so removing channel c of one of
 * them needs c removed from all (`residualStreams`). Option A maps channel c < inChannels of the previous
 * stream to channel c of the next stage and pads the rest with zeros, so the first inChannels channels of
 * a stage are tied to the previous stage's stream too (`ResidualStream.carriedFrom`). conv1 of each block
 * only has its output channels tied to the next conv's inputs (free to prune, as SFP's small model does).
 */
import { tfl } from '../engine/tf.js';
import { KERNEL_CONV_CLASSES } from './layer-kinds.js';
import { inboundLayers } from './common.js';
import { ShortcutA } from './layers.js';

export interface ResidualBlockInfo {
  /** `stage{s}.block{b}` */
  name: string;
  stage: number;
  block: number;
  /** 0-based position among all blocks. */
  index: number;
  input: string;
  branch: string[];
  branchOutput: string;
  convs: string[];
  tiedConv: string;
  shortcut: string | null;
  add: string;
  /** The layer after the add (the block's output). */
  output: string;
  inChannels: number;
  outChannels: number;
  stride: number;
}

export interface ResidualStream {
  stage: number;
  channels: number;
  /** Convs whose output channels are summed into this stream (all tied channel-for-channel). */
  convs: string[];
  /** Previous stage whose stream feeds channels [0, carriedChannels) through option A; null for stage 1. */
  carriedFrom: number | null;
  carriedChannels: number;
}

const ADD_RE = /^stage(\d+)\.block(\d+)\.add$/;


function lastDim(layer: tfl.layers.Layer): number {
  const s = layer.outputShape as (number | null)[];
  return s[s.length - 1] ?? 0;
}

/** Every residual block of `model`, in order; [] for a model without blocks (vanilla, vgg16). */
export function describeResidualBlocks(model: tfl.LayersModel): ResidualBlockInfo[] {
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  const inModel = new Set(model.layers);
  const inbound = (l: tfl.layers.Layer) => inboundLayers(l, model, inModel);
  // The first consumer of each layer (the block's output is the layer fed by its add).
  const consumer = new Map<tfl.layers.Layer, tfl.layers.Layer>();
  for (const l of model.layers) for (const src of inbound(l)) if (!consumer.has(src)) consumer.set(src, l);
  const out: ResidualBlockInfo[] = [];
  for (const add of model.layers) {
    const m = ADD_RE.exec(add.name);
    if (!m) continue;
    const name = `stage${m[1]}.block${m[2]}`;
    const prefix = `${name}.`;
    const [shortSide, branchSide] = inbound(add);
    if (!shortSide || !branchSide) throw new Error(`${add.name}: expected two inputs [shortcut, branch]`);
    const shortcut = shortSide instanceof ShortcutA ? shortSide.name : null;
    const inputLayer = shortcut ? inbound(shortSide)[0] : shortSide;
    const outputLayer = consumer.get(add);
    const branch = model.layers
      .filter((l) => l.name.startsWith(prefix) && l !== add && l !== outputLayer && l.name !== shortcut)
      .map((l) => l.name);
    const convs = branch.filter((n) => KERNEL_CONV_CLASSES.has(byName.get(n)?.getClassName() ?? ''));
    const conv1 = byName.get(convs[0]) as (tfl.layers.Layer & { strides?: number[] }) | undefined;
    out.push({
      name,
      stage: Number(m[1]),
      block: Number(m[2]),
      index: out.length,
      input: inputLayer.name,
      branch,
      branchOutput: branchSide.name,
      convs,
      tiedConv: convs[convs.length - 1],
      shortcut,
      add: add.name,
      output: outputLayer ? outputLayer.name : add.name,
      inChannels: lastDim(inputLayer),
      outChannels: lastDim(add),
      stride: conv1?.strides?.[0] ?? 1,
    });
  }
  return out;
}

/** The channel-tied groups of convs, one per stage (see the file header). */
export function residualStreams(model: tfl.LayersModel): ResidualStream[] {
  const blocks = describeResidualBlocks(model);
  const streams = new Map<number, ResidualStream>();
  for (const b of blocks) {
    let s = streams.get(b.stage);
    if (!s) {
      const first = b.stage === blocks[0].stage;
      // The stem conv feeds stage 1's stream through identity shortcuts.
      const stem = first && !b.shortcut && model.layers.some((l) => l.name === 'conv1') ? ['conv1'] : [];
      s = {
        stage: b.stage,
        channels: b.outChannels,
        convs: stem,
        carriedFrom: first ? null : b.stage - 1,
        carriedChannels: first ? 0 : b.inChannels,
      };
      streams.set(b.stage, s);
    }
    s.convs.push(b.tiedConv);
  }
  return [...streams.values()];
}
