/**
 * Where a checkpoint or resume sits, as log.jsonl counts: `epoch` is 1-based in every event (the Nth
 * epoch, as the progress lines and the checkpoint after it say), `step` the steps done in it; a position
 * at an epoch boundary is the end of the epoch before it (epoch N, step = steps per epoch). The run
 * state itself (RunPosition, EpochRecord) stays 0-based.
 */
export function logPosition(p: { epoch: number; stepInEpoch: number }, stepsPerEpoch: number): { epoch: number; step: number } {
  return p.stepInEpoch === 0 && p.epoch > 0 ? { epoch: p.epoch, step: stepsPerEpoch } : { epoch: p.epoch + 1, step: p.stepInEpoch };
}
