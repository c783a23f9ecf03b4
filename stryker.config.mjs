/**
 * Mutation testing (`npm run mutation`, not part of `npm test` or CI): the files whose mistakes
 * cost the most — AWS error classification, the client factory's guards, the engine, the answers
 * schema, the shared step helpers and the destroy inventory — mutated against the fast unit tier.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  // related: false — the covering tests are known from per-test coverage; vitest's related mode
  // would walk every test file's imports again for each mutant.
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  mutate: ['src/aws/**/*.ts', 'src/engine/**/*.ts', 'src/wizard/schema.ts', 'src/steps/common.ts', 'src/destroy/inventory.ts'],
  coverageAnalysis: 'perTest',
  // Module-level code (the zod schema's declarations, constant tables) would need a fresh module
  // graph per mutant — hundreds of them, about an hour. What the schema declares, the bad-input
  // corpus checks one rule at a time.
  ignoreStatic: true,
  // Twice the cores: many tests wait on short real timers (polling, backoff), so two runners per core keep both busy.
  concurrency: 4,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['coverage', 'reports', 'dist-check', '.ecs-wizard', '*.log'],
  thresholds: { high: 90, low: 80, break: null },
};
