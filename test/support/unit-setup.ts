import { createRequire } from 'node:module';
import { afterAll } from 'vitest';

// Unit test files share one worker without isolation (vitest.config.ts): aws-sdk-client-mock stubs
// a client class's prototype through sinon's default sandbox, so a file that does not restore its
// mocks would answer the next file's calls. Every file ends with all of them restored. The sandbox
// is the one aws-sdk-client-mock holds: its CommonJS build requires sinon, and sinon's ES build is
// another copy, so this requires it too.
const sinon = createRequire(import.meta.url)('sinon') as { restore(): void };
afterAll(() => {
  sinon.restore();
});
