#!/usr/bin/env node
// Tiny shim: the real program is the compiled TypeScript in dist/.
import('../dist/cli/main.js').then((m) => m.main(process.argv)).catch((err) => {
  console.error(err?.message ?? err);
  process.exitCode = 1;
});
