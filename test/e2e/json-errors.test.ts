import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli.js';

// No AWS is needed: each of these fails before any call (and AWS_ENDPOINT_URL points at a closed port).
const dir = mkdtempSync(path.join(tmpdir(), 'ecs-wizard-json-'));
const env = {
  PATH: process.env.PATH ?? '',
  HOME: dir,
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_REGION: 'us-east-1',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
};

describe('--output json when a command fails', () => {
  it.each([
    ['a missing answers file', ['create', '--answers', 'nope.yaml', '--output', 'json'], 2, 'INPUT_INVALID'],
    ['an unknown flag', ['create', '--bogus', '--output', 'json'], 2, 'USAGE'],
    ['destroy without --yes and without a terminal', ['destroy', 'shop', '--output', 'json'], 2, 'USAGE'],
    ['a bad --wait-timeout', ['status', 'shop', '--wait-timeout', '-1', '--output=json'], 2, 'INPUT_INVALID'],
  ])('%s: stdout is one JSON document with ok false, the exit code and the error code', async (_what, args, exitCode, code) => {
    const r = await runCli(args, { env, cwd: dir });
    expect(r.code).toBe(exitCode);
    const doc = JSON.parse(r.stdout) as { ok: boolean; exitCode: number; error: { code: string; message: string } };
    expect(doc).toMatchObject({ ok: false, exitCode, error: { code } });
    expect(doc.error.message.length).toBeGreaterThan(0);
  });
});
