/**
 * `whittle build-native`: builds the oneDNN addon in the installed package (what the `postinstall`
 * script does; npm 11 skips install scripts of dependencies unless the project allows them).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('build-native')
    .description('build the optional oneDNN addon (needs g++, make, python3 and libdnnl-dev); npm 11 may have skipped it at install')
    .action(() => {
      const script = fileURLToPath(new URL('../../../scripts/build-native.mjs', import.meta.url));
      const r = spawnSync(process.execPath, [script, '--force'], { stdio: 'inherit' });
      process.exitCode = r.status ?? 1;
    });
}
