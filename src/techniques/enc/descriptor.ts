/** ENC as a registry entry: a post-training tool (no run-config section, no layer classes of its own). */
import type { ToolTechnique } from '../descriptor.js';

export const technique: ToolTechnique = {
  name: 'enc',
  description: 'ENC: per-layer low-rank factorisation with ranks chosen under a FLOPs/params budget (`whittle enc`)',
};
