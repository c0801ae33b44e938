/**
 * Backend selection. `auto` prefers the native oneDNN backend when its addon loads, then
 * `@tensorflow/tfjs-node` when the user installed it (an optional peer), then wasm with Whittle's
 * training kernels. The choice and the reason are reported once.
 */
import { tf } from './tf.js';
import '@tensorflow/tfjs-backend-cpu';
import { registerWasmTrainingKernels } from './wasm/register.js';

export type BackendName = 'auto' | 'native' | 'node' | 'wasm' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['auto', 'native', 'node', 'wasm', 'cpu'];

export interface BackendInfo {
  /** The tfjs backend actually in use (`wasm`, `cpu`, `tensorflow` for tfjs-node, `native`). */
  name: string;
  requested: BackendName;
  /** Why this backend was chosen, and why others were not. */
  reasons: string[];
  threads: number;
}

/** Optional native backend hook, installed by src/engine/native when present. */
export interface NativeProvider {
  /** Registers the backend under `name` and returns it, or throws with the reason it is unavailable. */
  register(threads?: number): Promise<string>;
}
let nativeProvider: (() => Promise<NativeProvider | undefined>) | undefined;
/** Lets the native fast path (src/engine/native) plug itself into `auto` selection. */
export function setNativeProvider(p: () => Promise<NativeProvider | undefined>): void {
  nativeProvider = p;
}

let current: BackendInfo | undefined;

async function tryNode(reasons: string[]): Promise<boolean> {
  try {
    // Optional peer: resolved at run time only, so Whittle installs without it.
    const spec = '@tensorflow/tfjs-node';
    await import(/* @vite-ignore */ spec);
    if (await tf.setBackend('tensorflow')) return true;
    reasons.push('tfjs-node imported but its backend did not initialise');
  } catch (e) {
    reasons.push(`tfjs-node not available (${(e as Error).message.split('\n')[0]})`);
  }
  return false;
}

async function tryNative(reasons: string[], threads?: number): Promise<boolean> {
  if (!nativeProvider) {
    // The native module installs its provider on import; it loads the addon only when asked to register.
    try {
      await import('./native/index.js');
    } catch (e) {
      reasons.push(`native backend module failed to load (${(e as Error).message.split('\n')[0]})`);
      return false;
    }
  }
  if (!nativeProvider) {
    reasons.push('native backend not built into this install');
    return false;
  }
  try {
    const p = await nativeProvider();
    if (!p) {
      reasons.push('native backend unavailable');
      return false;
    }
    const name = await p.register(threads);
    if (await tf.setBackend(name)) return true;
    reasons.push('native backend registered but failed to initialise');
  } catch (e) {
    reasons.push(`native backend unavailable (${(e as Error).message.split('\n')[0]})`);
  }
  return false;
}

async function useWasm(threads?: number): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (threads && threads > 1) wasm.setThreadsCount(threads);
  registerWasmTrainingKernels();
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend failed to initialise');
}

/**
 * Selects and initialises a backend. Idempotent for the same request.
 * @example await initBackend('wasm') // → { name: 'wasm', ... }
 */
export async function initBackend(requested: BackendName = 'auto', opts: { threads?: number } = {}): Promise<BackendInfo> {
  if (!BACKEND_NAMES.includes(requested)) {
    throw new Error(`unknown backend "${requested}" (expected one of ${BACKEND_NAMES.join(', ')})`);
  }
  if (current && current.requested === requested && tf.getBackend() === current.name) return current;
  const reasons: string[] = [];
  if (requested === 'native') {
    if (!(await tryNative(reasons, opts.threads))) throw new Error(`--backend native: ${reasons.join('; ')}`);
  } else if (requested === 'node') {
    if (!(await tryNode(reasons))) throw new Error(`--backend node: ${reasons.join('; ')}`);
  } else if (requested === 'cpu') {
    await tf.setBackend('cpu');
    reasons.push('requested');
  } else if (requested === 'wasm') {
    await useWasm(opts.threads);
    reasons.push('requested');
  } else {
    const ok = (await tryNative(reasons, opts.threads)) || (await tryNode(reasons));
    if (!ok) {
      await useWasm(opts.threads);
      reasons.push('using wasm with Whittle training kernels');
    }
  }
  await tf.ready();
  let threads = opts.threads ?? 1;
  if (tf.getBackend() === 'native') {
    const info = (await import('./native/index.js')).nativeInfo();
    if (info) {
      threads = info.threads;
      reasons.push(`oneDNN ${info.version} from ${info.libPath}`);
    }
  }
  current = { name: tf.getBackend(), requested, reasons, threads };
  return current;
}

export function backendInfo(): BackendInfo | undefined {
  return current;
}
