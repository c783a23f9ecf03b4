import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * End-to-end tests run the built CLI (dist/ecs-wizard.js, the bundle bin/ runs; some tests import dist/ modules). Build it once, here, before any test file starts —
 * never from inside a test file, where a rebuild would rewrite dist/ under another file's running CLI.
 * `npm test` has built it already, so this is only a check then.
 */
export default function setup(): void {
  const src = newestMtime(path.join(root, 'src'));
  const built = ['dist/cli/main.js', 'dist/ecs-wizard.js'].map((f) => path.join(root, f));
  if (built.every((f) => existsSync(f) && statSync(f).mtimeMs >= src)) return;
  const r = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}\n${r.stderr}`);
}
