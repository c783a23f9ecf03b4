import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateLoadBalancerCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AwsClients } from '../../src/aws/clients.js';
import { runCreate } from '../../src/engine/engine.js';
import { stateFilePath } from '../../src/engine/state.js';
import { isWaitStep, type Step } from '../../src/engine/types.js';
import { topoOrder } from '../../src/engine/graph.js';
import { buildPlan } from '../../src/steps/index.js';
import type { StackEnv } from '../../src/steps/env.js';
import type { AnswersInput } from '../../src/wizard/schema.js';
import { destroy, type DestroyFlags } from '../../src/cli/commands/destroy.js';
import type { CliContext } from '../../src/cli/context.js';
import { exitCodeFor } from '../../src/cli/exit.js';
import { startMoto, type Moto } from '../support/moto.js';
import { CallLog, FAST_TIMING, testStack } from '../support/stack.js';
import { sweep } from '../support/sweep.js';
import { existingNetwork } from '../support/existing-network.js';

const run = promisify(execFile);
let moto: Moto;
let ec2: EC2Client;

beforeAll(async () => {
  moto = await startMoto();
  ec2 = new EC2Client({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
});
afterAll(async () => {
  ec2?.destroy();
  await moto?.stop();
});
// No reset between cases: each case has its own stack name and the sweep looks at one stack only
// (a reset makes moto's next EC2 call take seconds).

/** Creates a stack in-process (waits off), with its state file holding the answers like `create` writes it. */
async function createStack(input: Partial<AnswersInput> & { stack: string }, plan?: (steps: Step<StackEnv>[]) => Step<StackEnv>[]) {
  const t = testStack(input, { endpoint: moto.endpoint });
  await t.state.update((s) => Object.assign(s, { answers: t.answers, region: 'us-east-1', endpointUrl: moto.endpoint }));
  const steps = buildPlan(t.answers);
  const result = await runCreate(plan ? plan(steps) : steps, { env: t.env, state: t.state, wait: false, concurrency: 1 });
  t.aws.destroy();
  return { ...t, result };
}

/** The destroy command in-process: same code as the binary, minus the process start (fast, countable). */
async function destroyInProcess(stack: string, stateDir: string, flags: Partial<DestroyFlags> = {}) {
  const log = new CallLog();
  let out = '';
  let err = '';
  const ctx: CliContext = {
    stdout: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream,
    stderr: { write: (s: string) => ((err += s), true) } as unknown as NodeJS.WritableStream,
    stdin: process.stdin,
    env: { ...process.env, ...moto.env() },
    cwd: process.cwd(),
    isTTY: false,
    makeClients: (target) =>
      new AwsClients({
        ...target,
        maxAttempts: 2,
        onCall: (c) => {
          log.onCall(c);
          target.onCall?.(c);
        },
      }),
    timing: FAST_TIMING,
    signal: new AbortController().signal,
  };
  let code: number;
  try {
    code = await destroy(stack, { yes: true, stateDir, endpointUrl: moto.endpoint, output: 'json', waitTimeout: '10', ...flags }, ctx);
  } catch (e) {
    code = exitCodeFor(e);
    err += `\n${(e as Error).message}`;
  }
  return { code, out, err, log, json: out ? JSON.parse(out) : undefined };
}

describe('destroy on moto', () => {
  it('create → destroy (built CLI) leaves nothing, and a second destroy is a no-op', async () => {
    // GIVEN a whole stack created
    const t = await createStack({ stack: 'ds-full' });
    expect(t.result.ok).toBe(true);
    expect((await sweep(moto.endpoint, 'ds-full')).length).toBeGreaterThan(15);

    // WHEN the built CLI destroys it
    const r = await run('node', ['bin/ecs-wizard.js', 'destroy', 'ds-full', '--yes', '--output', 'json', '--endpoint-url', moto.endpoint, '--state-dir', t.stateDir], {
      env: { ...process.env, ...moto.env() },
    });

    // THEN it exits 0, the independent sweep finds nothing and the state file is gone
    const json = JSON.parse(r.stdout);
    expect(json.ok).toBe(true);
    expect(json.leftovers).toEqual([]);
    expect(json.steps.filter((s: { outcome: string }) => s.outcome === 'failed')).toEqual([]);
    expect(await sweep(moto.endpoint, 'ds-full')).toEqual([]);
    expect(existsSync(stateFilePath(t.stateDir, 'ds-full'))).toBe(false);

    // WHEN it runs again
    const again = await destroyInProcess('ds-full', t.stateDir);

    // THEN it exits 0 without a single mutating call
    expect(again.code).toBe(0);
    expect(again.json.nothing).toBe(true);
    expect(again.log.mutating).toEqual([]);
  });

  it('destroys the legacy variant (launch configuration, ASG policy, ECR) to nothing', async () => {
    const t = await createStack({ stack: 'ds-legacy', instances: { launch: 'configuration' }, scaling: { instances: { managed: false } }, service: { ecrRepository: 'ds-legacy-app' } });
    expect(t.result.ok).toBe(true);
    const r = await destroyInProcess('ds-legacy', t.stateDir);
    expect(r.err).not.toMatch(/Still present/);
    expect(r.code).toBe(0);
    expect(await sweep(moto.endpoint, 'ds-legacy')).toEqual([]);
  });

  it('with the state file deleted, --discover finds and deletes everything, duplicates included', async () => {
    // GIVEN a stack whose state file is lost, plus a duplicate ALB moto let someone make
    const t = await createStack({ stack: 'ds-lost' });
    expect(t.result.ok).toBe(true);
    const subnets = (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'tag:ecs-wizard:stack', Values: ['ds-lost'] }] }))).Subnets!;
    const elb = new ElasticLoadBalancingV2Client({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    await elb.send(new CreateLoadBalancerCommand({ Name: 'ds-lost-alb', Subnets: subnets.map((s) => s.SubnetId!), Tags: [{ Key: 'ecs-wizard:stack', Value: 'ds-lost' }] }));
    elb.destroy();
    rmSync(stateFilePath(t.stateDir, 'ds-lost'));

    // WHEN destroy runs without --discover
    const plain = await destroyInProcess('ds-lost', t.stateDir);
    // THEN it says there is nothing it knows of, and touches nothing
    expect(plain.code).toBe(0);
    expect(plain.log.mutating).toEqual([]);

    // WHEN destroy runs with --discover
    // (a short --wait-timeout: the plan deletes one of the two ALBs, the tag sweep the other)
    const r = await destroyInProcess('ds-lost', t.stateDir, { discover: true, waitTimeout: '2' });

    // THEN it showed what it found, deleted it all, and the sweep agrees
    expect(r.err).not.toMatch(/Still present/);
    expect(r.code).toBe(0);
    expect(r.json.found.map((f: { type: string }) => f.type)).toEqual(expect.arrayContaining(['vpc', 'load-balancer', 'auto-scaling-group', 'cluster', 'iam-role']));
    expect(await sweep(moto.endpoint, 'ds-lost')).toEqual([]);
  });

  it('reuse mode: the pre-existing VPC and subnets survive', async () => {
    // GIVEN a VPC and two subnets that are not the stack's (internet route, public IPs)
    const { vpcId, subnetIds } = await existingNetwork(ec2, '10.9');
    const t = await createStack({ stack: 'ds-reuse', network: { vpcId, subnetIds } });
    expect(t.result.ok).toBe(true);

    // WHEN the stack is destroyed
    const r = await destroyInProcess('ds-reuse', t.stateDir);

    // THEN everything of the stack is gone but the VPC and subnets are still there
    expect(r.err).not.toMatch(/Still present/);
    expect(r.code).toBe(0);
    expect(await sweep(moto.endpoint, 'ds-reuse')).toEqual([]);
    expect((await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))).Vpcs).toHaveLength(1);
    expect((await ec2.send(new DescribeSubnetsCommand({ SubnetIds: subnetIds }))).Subnets).toHaveLength(2);
  });

  describe('after a create interrupted at each step boundary', () => {
    // Every resource step of the default plan, in create order: a new step is covered automatically.
    // One secret, so the secrets-policy step has something to create (with none it creates nothing).
    const secrets = { API_KEY: 'arn:aws:ssm:us-east-1:123456789012:parameter/ds-cut/api-key' };
    const probe = testStack({ stack: 'ds-cut', service: { secrets } });
    const plan = buildPlan(probe.answers);
    const order = topoOrder(plan).filter((id) => !isWaitStep(plan.find((s) => s.id === id)!));
    probe.aws.destroy();

    it.each(order.map((id, k) => [k, id] as const))('boundary %i: create stops before "%s"', async (k, failing) => {
      const stack = `ds-cut-${k}`;
      // GIVEN a create whose step `failing` crashed before reaching AWS (concurrency 1: everything before it exists)
      const crash = (steps: Step<StackEnv>[]) =>
        steps.map((s) =>
          s.id === failing && !isWaitStep(s)
            ? { ...s, create: async () => { throw new Error(`simulated crash before ${failing}`); } }
            : s,
        );
      const t = await createStack({ stack, service: { secrets } }, crash);
      expect(t.result.ok).toBe(false);

      // WHEN destroy runs
      const r = await destroyInProcess(stack, t.stateDir);

      // THEN nothing of the stack is left
      expect(r.err).not.toMatch(/Still present/);
      expect(r.code).toBe(0);
      expect(await sweep(moto.endpoint, stack)).toEqual([]);
    });
  });
});
