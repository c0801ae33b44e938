/**
 * Native oneDNN fast path. Importing this module installs the provider that `initBackend('auto' |
 * 'native')` tries first; when the addon is not built or libdnnl.so.2 is missing, `register()` throws
 * with the reason and Whittle falls back to wasm (backend.ts reports why).
 */
import { setNativeProvider } from '../backend.js';
import { loadAddon, type LoadedAddon } from './addon.js';
import { registerNativeBackend } from './register.js';

export { loadAddon, addonPath, DEFAULT_ADDON_PATH } from './addon.js';
export { NATIVE_BACKEND, NATIVE_KERNELS, registerNativeBackend, startProfile, stopProfile, nativePool } from './register.js';
export { NativeBackend } from './backend.js';
export { BufferPool } from './pool.js';
export { batchNormTraining } from './batchnorm.js';

let info: LoadedAddon | undefined;

/** What the native path found: oneDNN version, threads, paths (undefined until registered). */
export function nativeInfo(): { version: string; threads: number; addonPath: string; libPath: string } | undefined {
  return info && { version: info.version, threads: info.threads, addonPath: info.addonPath, libPath: info.libPath };
}

/** Loads the addon and registers the `native` tfjs backend; throws with the reason when unavailable. */
export function registerNative(threads?: number): string {
  info = loadAddon(threads);
  return registerNativeBackend(info);
}

setNativeProvider(async () => ({
  register: async (threads?: number) => registerNative(threads),
}));
