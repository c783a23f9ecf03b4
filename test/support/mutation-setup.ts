import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

/**
 * For `npm run mutation` only, where test files share one module graph (isolate: false, so that a
 * mutant run does not re-import the AWS SDK).
 *
 * In the dry run (where Stryker learns which test covers which mutant), every mutated module (the
 * scope of stryker.config.mjs) is loaded here, before any test: its module-level code (the zod
 * schema's declarations, constant tables) then counts as static, which the run skips
 * (ignoreStatic). Loaded first inside some test instead, it would count as that test's: a mutant
 * there would be run, and survive, though no test can see it.
 *
 * Not in a mutant's run: vitest loads the source modules afresh for every run, so loading all
 * seventeen (and what they import) cost ~0.6 s per mutant — most of the run — where the covering
 * tests need only their own few.
 */
const src = fileURLToPath(new URL('../../src/', import.meta.url));
const mutated = [
  ...['aws', 'engine'].flatMap((dir) => readdirSync(path.join(src, dir)).filter((f) => f.endsWith('.ts')).map((f) => `${dir}/${f}`)),
  'wizard/schema.ts',
  'steps/common.ts',
  'destroy/inventory.ts',
];
// Stryker's own setup provides the mode ('dry-run' or 'mutant'); a plain vitest run has none.
if ((inject as (key: string) => unknown)('mode') !== 'mutant') await Promise.all(mutated.map((f) => import(path.join(src, f))));

