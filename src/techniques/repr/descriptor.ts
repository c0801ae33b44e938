/** RePr as a registry entry: the `repr` section adds the drop / re-initialise hook; `whittle repr` enables it. */
import { toNumber, type FlagSpec } from '../../config/flag-spec.js';
import { defineTechnique } from '../descriptor.js';
import { reprConfigSchema } from './config.js';
import { ReprHook } from './hook.js';

function parseAmplify(v: unknown): unknown {
  const m = /^([^:]+):([^:]+)$/.exec(String(v));
  return m ? { factor: toNumber(m[1]), steps: toNumber(m[2]) } : v;
}

export const REPR_FLAGS: readonly FlagSpec[] = [
  { flags: '--s1 <n>', field: 'repr.s1', kind: 'number', description: 'RePr: full-network phase length (default 20)' },
  { flags: '--s2 <n>', field: 'repr.s2', kind: 'number', description: 'RePr: pruned phase length (default 10)' },
  { flags: '--cycles <n>', field: 'repr.cycles', kind: 'number', description: 'RePr: drop/re-init cycles (default 3)' },
  { flags: '--unit <unit>', field: 'repr.unit', kind: 'string', description: 'RePr: s1/s2 in epoch|iteration' },
  { flags: '--drop-fraction <p>', field: 'repr.dropFraction', kind: 'number', description: 'RePr: fraction of ranked filters dropped (default 0.3)' },
  { flags: '--criterion <name>', field: 'repr.criterion', kind: 'string', description: 'RePr: orthogonality|l2|l1' },
  { flags: '--scope <scope>', field: 'repr.scope', kind: 'string', description: 'RePr: global|per-layer ranking', map: (v) => (v === 'per-layer' ? 'perLayer' : v) },
  { flags: '--exclude <list>', field: 'repr.exclude', kind: 'list', description: 'RePr: conv layers left alone (names or /regex/, comma-separated)' },
  { flags: '--fan-in-exponent <x>', field: 'repr.fanInExponent', kind: 'number', description: 'RePr: score × fanIn^x (0 none, 0.5 sqrt, 0.25)' },
  { flags: '--max-layer-fraction <x>', field: 'repr.maxLayerFraction', kind: 'number', description: 'RePr: cap on the fraction dropped per layer' },
  { flags: '--min-keep <n>', field: 'repr.minKeep', kind: 'number', description: 'RePr: filters every layer keeps (default 1)' },
  { flags: '--reinit-scale <mode>', field: 'repr.reinitScale', kind: 'string', description: 'RePr: clamp|match-kept' },
  { flags: '--next-layer <mode>', field: 'repr.nextLayer', kind: 'string', description: 'RePr: keep|zero|random incoming weights of the next layer' },
  { flags: '--bias <mode>', field: 'repr.bias', kind: 'string', description: 'RePr: keep|reset biases of re-initialised filters' },
  { flags: '--mask-bias', field: 'repr.maskBias', kind: 'bool', description: 'RePr: freeze the biases of dropped filters too' },
  { flags: '--amplify <factor:steps>', field: 'repr.gradientAmplification', kind: 'string', description: 'RePr: multiply re-initialised filters\' gradients by FACTOR for STEPS steps', map: parseAmplify },
  { flags: '--redrop-same', field: 'repr.redropSame', kind: 'bool', description: 'RePr: re-drop the filters re-initialised last cycle' },
];

export const technique = defineTechnique({
  name: 'repr',
  description: 'RePr: drop the most overlapping filters, train the rest, re-initialise the dropped ones orthogonally',
  section: { key: 'repr', schema: reprConfigSchema, description: 'RePr (present = enabled; `whittle repr` adds it)' },
  hooks: (cfg) => [new ReprHook(cfg)],
  cli: {
    command: { name: 'repr', description: 'train with RePr (drop filters by orthogonality, retrain, re-initialise); config section `repr`' },
    commandFlags: REPR_FLAGS,
  },
});
