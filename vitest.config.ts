import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Integration files each start their own moto server and spend most of their time waiting on
    // it (and on short timers): three workers keep a 2-core machine busy (CPU ~65 % with two).
    pool: 'forks',
    poolOptions: { forks: { maxForks: 3, minForks: 1 } },
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
