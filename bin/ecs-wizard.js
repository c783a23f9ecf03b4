#!/usr/bin/env node
// Tiny shim: the real program is the TypeScript bundled into dist/ecs-wizard.js (scripts/bundle.mjs).
import('../dist/ecs-wizard.js').then((m) => m.main(process.argv)).catch((err) => {
  console.error(err?.message ?? err);
  process.exitCode = 1;
});
