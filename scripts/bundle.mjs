// The program the bin runs: the CLI and its dependencies in one ES module, dist/ecs-wizard.js.
// Node then reads one file instead of resolving and compiling ~600 small modules (the SDK's
// clients, @smithy/*), which took two thirds of a command's start: `status` of a missing stack
// took 1.4 s of CPU from dist/cli/main.js and 0.9 s from the bundle; a no-change create 2.7 s and 1.4 s. dist/ keeps the compiled
// modules too, for the scripts and tests that import them.
import { build } from 'esbuild';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

await build({
  entryPoints: [path.join(root, 'src/cli/main.ts')],
  outfile: path.join(root, 'dist/ecs-wizard.js'),
  bundle: true,
  platform: 'node',
  // The SDK's ES modules (dist-es), not its CommonJS: only what the CLI uses is kept, and no
  // namespace object of thousands of exports is copied at start.
  mainFields: ['module', 'main'],
  format: 'esm',
  target: 'node20',
  // Class and function names stay as written (error names, stack traces).
  keepNames: true,
  // CommonJS dependencies call require() for Node's own modules; an ES module has none.
  banner: { js: "import { createRequire as __ecsWizardRequire } from 'node:module'; const require = __ecsWizardRequire(import.meta.url);" },
  logLevel: 'warning',
});
