import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMoto, type Moto } from '../support/moto.js';
import { StackCounter, duplicates } from '../support/counts.js';
import { cliEnv, runCli, startCli } from './cli.js';

/**
 * Ctrl-C in the middle of `create` (the built CLI, a child process, against moto): the steps in
 * flight finish, no new one starts, the state is saved, exit 130; a second `create` completes the
 * stack without making anything twice.
 */
const STACK = 'e2e-sigint';
let moto: Moto;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  moto = await startMoto();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ecs-wizard-sigint-'));
  env = cliEnv(moto.env(), dir);
  await fs.writeFile(path.join(dir, 'stack.yaml'), `stack: ${STACK}\n`);
});

afterAll(async () => {
  await moto?.stop();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe('interrupting create', () => {
  it('exits 130 with a valid state, and a second create completes without duplicates', async () => {
    // GIVEN a create running against moto
    const run = startCli(['create', '--answers', 'stack.yaml', '--yes', '--no-wait'], { env, cwd: dir });
    // WHEN SIGINT arrives as soon as the first resource is being created
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (/: creating$/m.test(run.stderrSoFar())) {
          clearInterval(timer);
          run.child.kill('SIGINT');
          resolve();
        }
      }, 20);
      run.child.once('close', () => {
        clearInterval(timer);
        reject(new Error(`create ended before any "creating" line:\n${run.stderrSoFar()}`));
      });
    });
    const first = await run.done;

    // THEN it stops with 130, says how to resume or clean up, and leaves a valid, partial state
    expect(first.code, first.stderr).toBe(130);
    expect(first.stderr).toContain('Interrupted');
    expect(first.stderr).toContain('run `ecs-wizard create --answers stack.yaml --yes` again to resume');
    expect(first.stderr).toContain(`ecs-wizard destroy ${STACK}`);
    // The step the Ctrl-C stopped (if one was waiting) is interrupted, not a failure
    expect(first.stderr).not.toMatch(/FAILED|: failed/);
    expect(first.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const state = JSON.parse(await fs.readFile(path.join(dir, '.ecs-wizard', `${STACK}.json`), 'utf8'));
    expect(state.version).toBe(1);
    const recorded = Object.values(state.resources as Record<string, { status: string }>);
    expect(recorded.length).toBeGreaterThan(0);
    expect(recorded.filter((r) => r.status === 'created').length).toBeLessThan(19);

    // WHEN create runs again
    const second = await runCli(['create', '--answers', 'stack.yaml', '--yes', '--no-wait', '--output', 'json'], { env, cwd: dir });
    // THEN it completes, and AWS holds exactly one of each resource
    expect(second.code, second.stderr).toBe(0);
    const result = JSON.parse(second.stdout);
    expect(result.ok).toBe(true);
    expect(result.steps.some((s: { outcome: string }) => s.outcome === 'exists')).toBe(true);
    const counter = new StackCounter(moto.endpoint);
    try {
      const counts = await counter.count(STACK);
      expect(counts.vpcs).toBe(1);
      expect(counts.loadBalancers).toBe(1);
      expect(duplicates(counts, { subnets: 2, securityGroups: 2, instances: 4 })).toEqual({});
    } finally {
      counter.destroy();
    }
  });
});
