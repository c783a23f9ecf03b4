import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The installed package's own folder: the nearest one above this module that holds package.json.
 * The same answer from src/ (tests), dist/ (the compiled modules) and dist/ecs-wizard.js (the
 * bundle the bin runs), where a path relative to `import.meta.url` would differ by depth.
 */
export const PACKAGE_ROOT: string = packageRoot(dirname(fileURLToPath(import.meta.url)));

function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`ecs-wizard is installed without its package.json (looked above ${from}).`);
  }
}
