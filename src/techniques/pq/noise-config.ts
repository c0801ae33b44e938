/** The `pqNoise` run-config section: Quant-Noise for iPQ (block drop rate, block sizes, layer selection). */
import { z } from 'zod';

export const PQNoiseConfigSchema = z.strictObject({
  /** Block drop probability during training (fairseq `quant_noise_pq`; the paper uses 0.05–0.2). */
  rate: z.number().min(0).lt(1).default(0.1),
  /** Block size by layer kind, as the later `whittle pq` (defaults: conv3x3 9, conv1x1 4, dense 8). */
  blockSizes: z.strictObject({
    conv3x3: z.number().int().positive().optional(),
    conv1x1: z.number().int().positive().optional(),
    convkxk: z.number().int().positive().optional(),
    dense: z.number().int().positive().optional(),
  }).default({}),
  /** Regex of layers to noise (default all that PQ would quantise) and of layers to leave alone. */
  include: z.string().default('.*'),
  exclude: z.string().optional(),
});
export type PQNoiseConfig = z.infer<typeof PQNoiseConfigSchema>;
