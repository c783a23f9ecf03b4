import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { BIN } from './cli.js';

/**
 * `ecs-wizard … | head -1`: the reader is gone before the CLI writes. Node then raises EPIPE on
 * stdout, which without a handler crashes the process with a stack trace and exit 1.
 */
describe('stdout closed by its reader', () => {
  it('is not a crash: exit 0, no stack trace', () => {
    // GIVEN a pipe whose reader has exited before the CLI starts writing (the sleep orders the two)
    const r = spawnSync('bash', ['-c', `( sleep 0.3; "${process.execPath}" "${BIN}" --help; echo "cli exit $?" >&2 ) | true`], { encoding: 'utf8' });
    // WHEN the CLI prints its help into the closed pipe  THEN it exits 0 and says nothing of EPIPE
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(r.stderr.trim()).toBe('cli exit 0');
  });
});

/**
 * `npm run demo | cat`: the whole demo (its own moto, create with the stand-in agent of
 * scripts/local-agent.mjs, status, destroy) with its output piped: plain text, no escape codes,
 * and a healthy stack in between.
 */
describe('the demo, piped', () => {
  it('prints no escape codes, and its stack is healthy before it is destroyed', async () => {
    // GIVEN stdout and stderr that are pipes, not a terminal
    const root = path.resolve(path.dirname(BIN), '..');
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [path.join(root, 'scripts/demo.mjs')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('close', (code) => resolve({ code, out }));
    });
    // WHEN it has run THEN it passed every step, status said healthy, and not one escape code was written
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('\n$ ecs-wizard status demo-web   # what exists, and is it healthy?\n');
    expect(r.out).toMatch(/^✔ healthy$/m);
    expect(r.out).toContain('Demo finished: create exit 0, status exit 0, destroy exit 0.');
    expect(r.out).not.toContain('\x1b');
  }, 180_000);
});
