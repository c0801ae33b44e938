/**
 * Every technique, one line each. Order matters where techniques meet in one run: the model builder
 * (stochastic depth) first, then hooks in this order (SFP zeroes before RePr ranks), then the model
 * wrappers (quant, pqNoise). A new technique: one folder with a descriptor.ts, one line here.
 */
import type { LayerClassSpec, SectionTechnique, TechniqueDescriptor } from './descriptor.js';
import { technique as stochasticDepth } from './stochastic-depth/descriptor.js';
import { technique as sfp } from './sfp/descriptor.js';
import { technique as repr } from './repr/descriptor.js';
import { technique as quant } from './quant/descriptor.js';
import { technique as pq } from './pq/descriptor.js';
import { technique as enc } from './enc/descriptor.js';
import { technique as pruneExport } from './prune-export/descriptor.js';

export const TECHNIQUES = [
  stochasticDepth,
  sfp,
  repr,
  quant,
  pq,
  enc,
  pruneExport,
] as const;

/** The techniques with a run-config section, in registry order. */
export function sectionTechniques(): SectionTechnique[] {
  return (TECHNIQUES as readonly TechniqueDescriptor[]).filter((t): t is SectionTechnique => t.section !== undefined);
}

/** Every custom layer class the techniques register. */
export function techniqueLayers(): LayerClassSpec[] {
  return (TECHNIQUES as readonly TechniqueDescriptor[]).flatMap((t) => t.layers ?? []);
}
