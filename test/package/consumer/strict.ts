// A strict TypeScript consumer (nodenext, skipLibCheck false, lib ES2022 only): the shipped .d.ts of both
// entries must compile, with no CLI types and no DOM/WebAssembly globals needed.
import { createModel, initBackend, parseRunConfig, runTraining, reprConfigSchema, type RunSummary, type Reporter, clip, pq } from 'whittle';
import { loadPQModel, tokenizeWith, type ClipWithPreprocess } from 'whittle/browser';

const reporter: Reporter = { info: (l: string) => void l, progress: () => {}, stop: () => {} };
export async function run(): Promise<RunSummary> {
  await initBackend('wasm');
  const m = createModel('vanilla');
  m.dispose();
  const repr = reprConfigSchema.parse({ dropFraction: 0.2 });
  return runTraining(parseRunConfig({ data: { name: 'shapes' }, repr }), { reporter });
}
export const kinds: Array<typeof clip.tokenize | typeof pq.runIPQ | typeof loadPQModel | typeof tokenizeWith> = [];
export type C = ClipWithPreprocess;
