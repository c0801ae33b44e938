/** Prune-export as a registry entry: a post-training tool that removes masked filters (`whittle prune`). */
import type { ToolTechnique } from '../descriptor.js';

export const technique: ToolTechnique = {
  name: 'prune-export',
  description: 'filter removal: rebuild a smaller model without the zeroed (or lowest-norm) filters and their dependents (`whittle prune`)',
};
