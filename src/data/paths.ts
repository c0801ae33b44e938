/** Where datasets live by default. Resolved from the repository root, not the cwd, so tests run from anywhere. */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is src/data/paths.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `$WHITTLE_CIFAR10_DIR`, else `<repo>/../shared/data/cifar10` (where developers and CI have CIFAR-10). */
export function defaultCifar10Dir(): string {
  const env = process.env.WHITTLE_CIFAR10_DIR;
  return env && env.length > 0 ? resolve(env) : resolve(REPO_ROOT, '..', 'shared', 'data', 'cifar10');
}

/** `$WHITTLE_CACHE_DIR`, else `~/.cache/whittle` (or `$XDG_CACHE_HOME/whittle`): where downloads go. */
export function defaultCacheDir(): string {
  const env = process.env.WHITTLE_CACHE_DIR;
  if (env && env.length > 0) return resolve(env);
  const xdg = process.env.XDG_CACHE_HOME;
  const home = process.env.HOME ?? process.env.USERPROFILE ?? '.';
  return resolve(xdg && xdg.length > 0 ? xdg : resolve(home, '.cache'), 'whittle');
}
