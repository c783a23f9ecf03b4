import { defineConfig } from 'vitest/config';
import LongestFirst from './test/support/sequencer.js';

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    // Integration files each start their own moto server and spend most of their time waiting on
    // it (and on short timers): three workers keep a 2-core machine busy (CPU ~65 % with two).
    pool: 'forks',
    // The unit tier shares one worker thread and one module graph (no isolation): each file would
    // otherwise import the AWS SDK afresh — 117 s of CPU for the tier against 18 s shared, the same
    // 1,099 tests passing. What a file leaves behind is undone by unit-setup.ts.
    poolOptions: { forks: { maxForks: 3, minForks: 1 }, threads: { isolate: false, maxThreads: 1, minThreads: 1 } },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], pool: 'threads', setupFiles: ['test/support/unit-setup.ts'] } },
      { extends: true, test: { name: 'aws', include: ['test/**/*.test.ts'], exclude: ['test/unit/**'], globalSetup: ['test/support/moto-warm-setup.ts'] } },
    ],
    // The longest files first, also on a fresh clone without vitest's record of durations.
    sequence: { sequencer: LongestFirst },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Unit tests must never reach real credentials or the network.
    env: {
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      // A client a test forgot to mock or point at moto fails fast on a closed loopback port,
      // instead of reaching for real AWS. Tests that use moto pass its endpoint explicitly.
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    },
  },
});
