/**
 * Building a tfjs model from an untrusted topology (PQ files, checkpoints' model.json): tfjs allocates every
 * layer's weights while it builds, so sizes are bounded first — every number in a layer config (units,
 * filters, kernel sizes, paddings) and the declared input size — and a failed build frees what it allocated
 * and becomes a FormatError naming the file.
 */
import { tf, tfl } from '../engine/tf.js';
import { FormatError } from '../core/errors.js';
import './layers.js'; // registers the zoo's custom layers (ShortcutA) for modelFromJSON
import { describeValue } from '../core/describe.js';

export const TOPOLOGY_LIMITS = {
  /** Any number in a layer config. */
  maxConfigNumber: 65_536,
  /** Input elements per example (e.g. 296×296×3): bounds what a Flatten → Dense can allocate. */
  maxInputElements: 2 ** 18,
};

/** Numbers in layer configs are finite and bounded; the declared input is not huge. */
export function checkTopology(topology: Record<string, unknown>, file: string): void {
  // Sequential topologies may keep the layer list as `config` itself (older tfjs) and have no graph
  const raw = topology.config;
  const config = (Array.isArray(raw) ? { layers: raw } : raw) as { layers?: unknown } | undefined;
  if (!config || typeof config !== 'object' || !Array.isArray(config.layers)) throw new FormatError(file, 'topology has no config.layers list');
  const todo: [unknown, string][] = [[config.layers, 'topology.config.layers']];
  while (todo.length) {
    const [v, path] = todo.pop()!;
    if (typeof v === 'number' && !(Number.isFinite(v) && Math.abs(v) <= TOPOLOGY_LIMITS.maxConfigNumber)) {
      throw new FormatError(file, `${path} = ${v} is out of range (|x| ≤ ${TOPOLOGY_LIMITS.maxConfigNumber})`);
    }
    if (v && typeof v === 'object') for (const [k, c] of Object.entries(v)) todo.push([c, `${path}.${k}`]);
  }
  if (topology.class_name !== 'Sequential') checkGraph(config.layers as { name?: unknown }[], config as Record<string, unknown>, file);
  for (const l of config.layers as { config?: { batch_input_shape?: unknown }; name?: unknown }[]) {
    const shape = l?.config?.batch_input_shape;
    if (shape === undefined) continue;
    const dims = Array.isArray(shape) ? shape.slice(1) : [];
    const ok = Array.isArray(shape) && dims.every((d) => Number.isInteger(d) && d > 0);
    const n = ok ? dims.reduce((a: number, b: number) => a * b, 1) : 0;
    if (!ok || n > TOPOLOGY_LIMITS.maxInputElements) {
      throw new FormatError(file, `layer "${String(l.name).slice(0, 100)}": input shape ${Array.isArray(shape) && shape.length <= 8 && shape.every((d) => d === null || typeof d === 'number') ? `[${shape.join(', ')}]` : describeValue(shape)} is not a positive size of at most ${TOPOLOGY_LIMITS.maxInputElements} elements`);
    }
  }
}

type NodeRef = [unknown, unknown, unknown, ...unknown[]];

/**
 * Replays tfjs's node-processing loop (container.ts fromConfig) on names only: tfjs re-queues a node whose
 * inbound layer or node does not exist yet and loops until the queue is empty, so a dangling or cyclic
 * reference makes it spin forever. Here a pass without progress is an error.
 */
function checkGraph(layers: { name?: unknown; class_name?: unknown; inbound_nodes?: unknown; config?: { name?: unknown } }[], config: Record<string, unknown>, file: string): void {
  const fail = (m: string): never => {
    throw new FormatError(file, `topology: ${m}`);
  };
  const nodes = new Map<string, number>();
  const queue: [string, NodeRef[]][] = [];
  for (const l of layers) {
    if (typeof l?.name !== 'string' || nodes.has(l.name)) fail(`layer name ${describeValue(l?.name)} is missing or repeated`);
    const name = l.name as string;
    if (l.config && l.config.name !== undefined && l.config.name !== name) fail(`layer "${name.slice(0, 60)}" has config name ${describeValue(l.config.name)}`);
    nodes.set(name, l.class_name === 'InputLayer' ? 1 : 0);
    if (!Array.isArray(l.inbound_nodes)) fail(`layer "${name.slice(0, 60)}" has no inbound_nodes list`);
    for (const node of l.inbound_nodes as unknown[]) {
      if (!Array.isArray(node) || node.length === 0 || !node.every((r) => Array.isArray(r) && r.length >= 3 && typeof r[0] === 'string' && Number.isSafeInteger(r[1]) && r[1] >= 0 && Number.isSafeInteger(r[2]) && r[2] >= 0)) {
        fail(`layer "${name.slice(0, 60)}" has a malformed inbound node`);
      }
      queue.push([name, node as NodeRef[]]);
    }
  }
  let pending = queue;
  while (pending.length) {
    const next = pending.filter(([name, refs]) => {
      if (!refs.every(([n, i]) => (nodes.get(n as string) ?? -1) > (i as number))) return true;
      nodes.set(name, nodes.get(name)! + 1);
      return false;
    });
    if (next.length === pending.length) fail(`layer "${next[0][0].slice(0, 60)}" takes input from a missing layer or node (or a cycle)`);
    pending = next;
  }
  for (const key of ['input_layers', 'output_layers']) {
    const refs = config[key];
    if (!Array.isArray(refs) || !refs.every((r) => Array.isArray(r) && typeof r[0] === 'string' && Number.isSafeInteger(r[1]) && (nodes.get(r[0]) ?? 0) > r[1])) {
      fail(`${key} refer to missing layers or nodes`);
    }
  }
}

/** modelFromJSON after checkTopology; on failure the variables it created are disposed and the error is typed. */
export async function buildFromTopology(topology: Record<string, unknown>, file: string): Promise<tfl.LayersModel> {
  checkTopology(topology, file);
  const before = variableNames();
  try {
    return await tfl.models.modelFromJSON({ modelTopology: topology as tf.io.ModelJSON['modelTopology'] });
  } catch (e) {
    disposeVariablesSince(before);
    throw new FormatError(file, `topology does not build a model (${(e as Error).message.split('\n')[0].slice(0, 200)})`);
  }
}

/** Names of the variables alive now (a failed model build leaves its layers' variables behind). */
export function variableNames(): Set<string> {
  return new Set(Object.keys(tf.engine().registeredVariables));
}

/** Disposes every variable created since `before` was taken. */
export function disposeVariablesSince(before: Set<string>): void {
  for (const [name, v] of Object.entries(tf.engine().registeredVariables)) if (!before.has(name)) v.dispose();
}
