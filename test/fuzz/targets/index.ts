/** Every fuzz target by reader name (the order of the report). */
import type { FuzzTarget } from '../target.js';
import { torchPtTarget } from './torch-pt.js';
import { safetensorsTarget } from './safetensors.js';
import { pqTarget } from './pq.js';
import { imageTarget } from './image.js';
import { configTarget } from './config.js';
import { cifarTarget } from './cifar.js';
import { checkpointTarget } from './checkpoint.js';

export const TARGETS: Record<string, FuzzTarget> = Object.fromEntries(
  [torchPtTarget, safetensorsTarget, pqTarget, imageTarget, configTarget, cifarTarget, checkpointTarget].map((t) => [t.name, t]),
);
