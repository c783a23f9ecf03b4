import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The suite's longest files, longest first (measured on a full run: the crash matrix's two halves
 * ~100 s each of a worker's time, then the stacks' lives end to end). Vitest orders by the last
 * run's durations when it has them, and by file size on a fresh clone (CI) — where the crash
 * matrix's small files came last and ran on alone, a minute and more after the rest had ended.
 */
const LONGEST = [
  'test/reliability/crash-matrix-destroy.test.ts',
  'test/reliability/crash-matrix.test.ts',
  'test/integration/create-stack.test.ts',
  'test/integration/deploy.test.ts',
  'test/e2e/hosts.test.ts',
  'test/integration/iam-policy.test.ts',
  'test/e2e/s3-state.test.ts',
  'test/integration/deploy-strict.test.ts',
  'test/integration/destroy.test.ts',
];

/** Vitest's order, with the files known to be longest first, so that no long file starts last. */
export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification): number => {
      const at = LONGEST.indexOf(relative(this.ctx.config.root, f.moduleId));
      return at < 0 ? LONGEST.length : at;
    };
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}
