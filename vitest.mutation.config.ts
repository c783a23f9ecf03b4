import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// The base's projects split the tiers; this config is the unit tier alone.
const { projects: _tiers, ...shared } = base.test ?? {};

/**
 * The unit tier alone, for `npm run mutation` (Stryker): no global setup (it would rebuild dist/
 * from the mutated sources), no moto, no built CLI. (Spread, not mergeConfig: merging would
 * concatenate `include` with the base's and bring the integration tiers back.)
 */
export default defineConfig({
  test: {
    ...shared,
    include: ['test/unit/**/*.test.ts'],
    globalSetup: [],
    // One module graph for all files: each mutant run then costs its tests, not an SDK import.
    isolate: false,
    setupFiles: ['test/support/unit-setup.ts', 'test/support/mutation-setup.ts'],
    // A mutant that leaves a promise pending (a scheduler that never resolves) fails its test here,
    // within the runner, instead of waiting out Stryker's timeout and costing a restarted runner.
    // Four times the slowest unit test, so a loaded machine does not fail a sound one.
    testTimeout: 15_000,
    hookTimeout: 15_000,
    // Lets a test that runs the built dist/ (never mutated) stand aside.
    env: { ...base.test?.env, ECS_WIZARD_MUTATION_RUN: '1' },
  },
});
