import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteServiceCommand, ECSClient } from '@aws-sdk/client-ecs';
import { startMoto, type Moto } from '../support/moto.js';
import { registerFakeAgents, registerTaskTargets } from '../support/fake-agent.js';
import { stackNames } from '../../src/steps/names.js';
import { cliEnv, runCli } from './cli.js';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { oneServiceNames } from '../support/service-steps.js';

const LOCAL_AGENT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../scripts/local-agent.mjs');

/**
 * `status` against moto, through the built CLI. What "healthy" needs on moto: every recorded
 * resource present, the ALB active, targets healthy (moto runs no tasks, so test/support/fake-agent.ts
 * registers one per instance on a dynamic port, as ECS would, and moto reports them healthy), every
 * in-service instance registered as a container instance (moto has no ECS agent: the fake agent
 * registers them), and the service at its desired count (moto reports MOTO_ECS_SERVICE_RUNNING
 * tasks running).
 */
const STACK = 'e2e-status';
let moto: Moto;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  moto = await startMoto({ serviceRunning: 2 });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ecs-wizard-status-'));
  env = cliEnv(moto.env(), dir);
  await fs.writeFile(path.join(dir, 'stack.yaml'), `stack: ${STACK}\nservice:\n  desiredCount: 2\n`);
  const created = await runCli(['create', '--answers', 'stack.yaml', '--yes', '--no-wait', '--output', 'json'], { env, cwd: dir });
  expect(created.code, created.stderr).toBe(0);
  const names = oneServiceNames(STACK);
  // Both instances of the group (desired capacity 2) joined the cluster.
  expect(await registerFakeAgents(moto.endpoint, names.cluster, names.autoScalingGroup)).toBe(2);
  expect(await registerTaskTargets(moto.endpoint, names.targetGroup, names.autoScalingGroup)).toBeGreaterThan(0);
});

afterAll(async () => {
  await moto?.stop();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe('ecs-wizard status', () => {
  it('reports a complete stack as healthy, with its URL, and exits 0', async () => {
    // GIVEN a created stack whose instances joined the cluster
    // WHEN status runs with JSON output and no STACK (the only stack in the state dir)
    const r = await runCli(['status', '--output', 'json'], { env, cwd: dir });
    // THEN the one JSON document says healthy, with the URL and the live details
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ stack: STACK, health: 'healthy', ok: true, verdict: 'healthy' });
    expect(report.url).toMatch(/^http:\/\/e2e-status-alb.*elb\.amazonaws\.com$/);
    expect(report.service).toMatchObject({ name: STACK, desired: 2, running: 2 });
    expect(report.autoScalingGroup.inService).toBe(2);
    expect(report.containerInstances.active).toBe(2);
    expect(report.resources.every((x: { live: string }) => x.live === 'present')).toBe(true);
    expect(report.calls.mutating).toBe(0);
    // AND what it costs now, from what runs (moto's Price List API answers 500: the bundled table's prices):
    // the two t3.small hosts On-Demand with their volumes and public addresses, the ALB and its two zones' addresses
    expect(report.cost).toMatchObject({ currency: 'USD', source: 'bundled', pricesAsOf: '2026-11-01', region: 'us-east-1', missing: [] });
    expect(report.cost.items.map((i: { item: string; quantity: number }) => [i.item, i.quantity])).toEqual([
      ['EC2 t3.small On-Demand', 2 * 730],
      ['EBS gp3 root volumes (30 GiB each)', 2 * 30],
      ['Application Load Balancer', 730],
      ['ALB capacity units (the minimum: 1 LCU)', 730],
      ['Public IPv4: instances', 2 * 730],
      ['Public IPv4: load balancer (one per zone)', 2 * 730],
    ]);
    expect(report.cost.monthly).toBeCloseTo(2 * 730 * 0.0208 + 2 * 30 * 0.08 + 730 * 0.0225 + 730 * 0.008 + 4 * 730 * 0.005, 2);
    // at max (4): two more t3.small hosts with their volumes and addresses
    expect(report.cost.monthlyAtMax).toBeCloseTo(report.cost.monthly + 2 * (730 * 0.0208 + 30 * 0.08 + 730 * 0.005), 1);
  });

  it('names the ECS service deleted behind its back and exits 1', async () => {
    // GIVEN the service deleted outside ecs-wizard
    const ecs = new ECSClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    await ecs.send(new DeleteServiceCommand({ cluster: STACK, service: STACK, force: true }));
    ecs.destroy();
    // WHEN status runs (text, then JSON)
    const text = await runCli(['status', STACK], { env, cwd: dir });
    const json = await runCli(['status', STACK, '--output', 'json'], { env, cwd: dir });
    // THEN both name the missing resource and fail
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`missing: ECS service ${STACK}`);
    expect(text.stdout).toContain('What it costs now (estimates in USD, 730 hours a month; prices: bundled table as of 2026-11-01');
    expect(text.stdout).toContain('≈ $72/month for what runs now (up to $115 at max), us-east-1 prices as of 2026-11-01');
    expect(text.stdout).not.toContain('\x1b');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report.health).toBe('missing');
    expect(report.resources.find((x: { stepId: string }) => x.stepId === 'service').live).toBe('missing');
  });

  it('lists the stack with its resource count', async () => {
    const r = await runCli(['list', '--output', 'json'], { env, cwd: dir });
    expect(r.code).toBe(0);
    const { stacks } = JSON.parse(r.stdout);
    expect(stacks).toHaveLength(1);
    expect(stacks[0]).toMatchObject({ stack: STACK, region: 'us-east-1', status: 'complete' });
    expect(stacks[0].resources).toBeGreaterThan(15);
  });

  it('refuses a corrupt state file with STATE_INVALID (exit 1)', async () => {
    await fs.writeFile(path.join(dir, '.ecs-wizard', 'broken.json'), '{"version": 1, "stack": ');
    const r = await runCli(['status', 'broken'], { env, cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('corrupt');
    await fs.rm(path.join(dir, '.ecs-wizard', 'broken.json'));
  });
});

describe('scripts/local-agent.mjs (the README\'s way to try the wizard against the emulator)', () => {
  const agent = (args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [LOCAL_AGENT, ...args], { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  it('joins any stack\'s instances and registers its running tasks, from its state: status then says healthy', async () => {
    // GIVEN a second stack made on moto, whose instances no agent joined and whose tasks no one registered
    await fs.writeFile(path.join(dir, 'agent.yaml'), 'stack: e2e-agent\n');
    const created = await runCli(['create', '--answers', 'agent.yaml', '--yes', '--no-wait', '--output', 'json'], { env, cwd: dir });
    expect(created.code, created.stderr).toBe(0);
    const before = await runCli(['status', 'e2e-agent'], { env, cwd: dir });
    expect(before.code).toBe(1);
    expect(before.stdout).toContain('degraded: no healthy targets (0 registered)');
    // WHEN the stand-in agent makes one pass
    const once = await agent(['e2e-agent', '--endpoint-url', moto.endpoint, '--once']);
    // THEN it says what it did, and the stack is healthy
    expect(once.code, once.stderr).toBe(0);
    expect(once.stdout).toMatch(/^\d\d:\d\d:\d\d i-\w+ joined cluster e2e-agent$/m);
    expect(once.stdout).toMatch(/^\d\d:\d\d:\d\d task target i-\w+:32768 registered in e2e-agent-tg$/m);
    expect(once.stdout.trim().split('\n').at(-1)).toMatch(/^\d\d:\d\d:\d\d stack e2e-agent: 2 instances joined to cluster e2e-agent, 2 task targets in e2e-agent-tg$/);
    const after = await runCli(['status', 'e2e-agent', '--output', 'json'], { env, cwd: dir });
    expect(after.code, after.stdout).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ health: 'healthy', containerInstances: { active: 2 }, calls: { mutating: 0 } });
    // AND a second pass has nothing to do; a mistyped stack is named as the CLI names it
    const again = await agent(['e2e-agent', '--endpoint-url', moto.endpoint, '--once']);
    expect(again.stdout.trim().split('\n')).toHaveLength(1);
    const typo = await agent(['e2e-agnet', '--endpoint-url', moto.endpoint, '--once']);
    expect(typo.code).toBe(1);
    expect(typo.stderr.split('\n')[0]).toBe('local-agent: no stack e2e-agnet in ./.ecs-wizard; did you mean e2e-agent?');
  });
});
