import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
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
