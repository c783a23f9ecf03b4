import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { DeleteVpcCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { ECSClient } from '@aws-sdk/client-ecs';
import { IAMClient } from '@aws-sdk/client-iam';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { STSClient } from '@aws-sdk/client-sts';
import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AwsClients } from '../../../src/aws/clients.js';
import { StateFile, emptyState, stateFilePath, readState } from '../../../src/engine/state.js';
import { destroy } from '../../../src/cli/commands/destroy.js';
import type { CliContext } from '../../../src/cli/context.js';
import { exitCodeFor } from '../../../src/cli/exit.js';
import { isWizardError } from '../../../src/errors.js';
import { validateAnswers } from '../../../src/wizard/answers-file.js';
import { FAST_TIMING, tempDir } from '../../support/stack.js';
import { sdkError } from '../../support/aws-wire.js';
import { scriptedPrompter } from '../wizard/scripted-prompter.js';
import type { PollTiming } from '../../../src/aws/poll.js';

const ec2 = mockClient(EC2Client);
// Every other client the destroy touches answers {} — nothing here may reach the network.
const s3 = mockClient(S3Client);
const mocks = [ec2, s3, mockClient(ElasticLoadBalancingV2Client), mockClient(AutoScalingClient), mockClient(ECSClient), mockClient(IAMClient), mockClient(ECRClient), mockClient(ApplicationAutoScalingClient), mockClient(CloudWatchClient), mockClient(CloudWatchLogsClient), mockClient(STSClient), mockClient(ServiceDiscoveryClient)] as unknown as { onAnyCommand(): { resolves(v: object): unknown }; reset(): void; calls(): unknown[] }[];
afterEach(() => mocks.forEach((m) => m.reset()));

/**
 * FAST_TIMING on a clock that moves only when the code sleeps: a 1-second --wait-timeout is reached
 * at once, after as many retries as real time would allow.
 */
function virtualTiming(): PollTiming {
  let now = 0;
  return {
    ...FAST_TIMING,
    now: () => now,
    sleep: async (ms) => {
      now += ms;
      await new Promise((r) => setImmediate(r));
    },
  };
}

function cli(out: { stdout: string; stderr: string }, isTTY = false): CliContext {
  return {
    stdout: { write: (s: string) => ((out.stdout += s), true) } as unknown as NodeJS.WritableStream,
    stderr: { write: (s: string) => ((out.stderr += s), true) } as unknown as NodeJS.WritableStream,
    stdin: process.stdin,
    env: {},
    cwd: process.cwd(),
    isTTY,
    makeClients: (target) => new AwsClients({ ...target, region: 'us-east-1' }),
    timing: virtualTiming(),
    signal: new AbortController().signal,
  };
}

async function stackWithVpc(stack: string): Promise<string> {
  const dir = tempDir();
  const state = new StateFile(stateFilePath(dir, stack), { ...emptyState(stack), answers: validateAnswers({ stack }), region: 'us-east-1' });
  await state.put({ stepId: 'vpc', status: 'created', outputs: { vpcId: 'vpc-0000000a', cidr: '10.0.0.0/16' }, updatedAt: new Date().toISOString() });
  return dir;
}

describe('destroy command: a wait that never ends', () => {
  it('stops at --wait-timeout with a report naming what is left, exit 1, and keeps the state', async () => {
    // GIVEN a recorded VPC that AWS never lets go of (an ENI that never goes away)
    const dir = await stackWithVpc('unit-to');
    mocks.forEach((m) => m.onAnyCommand().resolves({}));
    ec2.on(DeleteVpcCommand).rejects(await sdkError(EC2Client, DeleteVpcCommand, 'DependencyViolation', "The vpc 'vpc-0000000a' has dependencies and cannot be deleted."));
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-0000000a', CidrBlock: '10.0.0.0/16', Tags: [{ Key: 'ecs-wizard:stack', Value: 'unit-to' }] }] });
    const out = { stdout: '', stderr: '' };

    // WHEN destroy runs with a 1-second wait timeout
    let error: unknown;
    try {
      await destroy('unit-to', { yes: true, stateDir: dir, waitTimeout: '1' }, cli(out));
    } catch (e) {
      error = e;
    }

    // THEN it fails with LEFTOVERS (exit 1), naming the VPC and the timeout, and the state file is kept for a retry
    expect(isWizardError(error, 'LEFTOVERS')).toBe(true);
    expect(exitCodeFor(error)).toBe(1);
    const message = (error as Error).message;
    expect(message).toMatch(/Timed out after \d+ s waiting for the VPC vpc-0000000a/);
    expect(message).toMatch(/Still present \(1\):\n {2}vpc vpc-0000000a/);
    expect((error as { hint?: string }).hint).toMatch(/run `ecs-wizard destroy unit-to` again/);
    const kept = await readState(stateFilePath(dir, 'unit-to'));
    expect(kept?.resources.vpc?.status).toBe('failed');
    expect(ec2.commandCalls(DeleteVpcCommand).length).toBeGreaterThan(2);
  });

  it('without a terminal and without --yes exits 2 before any AWS call', async () => {
    const dir = await stackWithVpc('unit-tty');
    mocks.forEach((m) => m.onAnyCommand().resolves({}));
    const error = await destroy('unit-tty', { stateDir: dir }, cli({ stdout: '', stderr: '' })).catch((e: unknown) => e);
    expect(exitCodeFor(error)).toBe(2);
    expect(mocks.every((m) => m.calls().length === 0)).toBe(true);
  });

  it('asks an interactive user to type the stack name, and does nothing when it is wrong', async () => {
    // GIVEN a terminal user who types another name
    const dir = await stackWithVpc('unit-ask');
    mocks.forEach((m) => m.onAnyCommand().resolves({}));
    const ctx = cli({ stdout: '', stderr: '' }, true);
    const prompter = scriptedPrompter([['Type the stack name (unit-ask)', 'unit-asked']]);
    ctx.prompter = async () => prompter;
    const error = await destroy('unit-ask', { stateDir: dir }, ctx).catch((e: unknown) => e);
    // THEN nothing was deleted and the state is untouched
    expect(prompter.remaining()).toBe(0);
    expect(exitCodeFor(error)).toBe(2);
    expect(ec2.commandCalls(DeleteVpcCommand)).toHaveLength(0);
    expect(existsSync(stateFilePath(dir, 'unit-ask'))).toBe(true);
  });

  it('with the right name typed: the question lists what goes, grouped by kind with names, and the live progress shows after it', async () => {
    // GIVEN a terminal user, and a VPC the inventory finds (then, once deleted, no more)
    const dir = await stackWithVpc('unit-ok');
    mocks.forEach((m) => m.onAnyCommand().resolves({}));
    const vpc = { Vpcs: [{ VpcId: 'vpc-0000000a', CidrBlock: '10.0.0.0/16', Tags: [{ Key: 'ecs-wizard:stack', Value: 'unit-ok' }, { Key: 'Name', Value: 'unit-ok-vpc' }] }] };
    ec2.on(DescribeVpcsCommand).resolvesOnce(vpc).resolvesOnce(vpc).resolves({});
    const out = { stdout: '', stderr: '' };
    const ctx = cli(out, true);
    const script = scriptedPrompter([['Type the stack name (unit-ok)', 'unit-ok']]);
    let promptedAt = -1;
    ctx.prompter = async () => ({ ...script, input: (q) => ((promptedAt = out.stderr.length), script.input(q)) });
    // WHEN it runs and the name is typed
    const code = await destroy('unit-ok', { stateDir: dir }, ctx);
    // THEN above the question, the VPC by its Name and id, in us-east-1
    expect(code).toBe(0);
    expect(out.stdout).toContain('This deletes 1 resource of stack "unit-ok" in us-east-1:\n  VPC  unit-ok-vpc vpc-0000000a\n');
    expect(script.asked).toEqual(['Type the stack name (unit-ok) to delete all of it:']);
    // AND the progress after the answer reached the terminal (the reporter was paused for the prompt, not closed)
    expect(promptedAt).toBeGreaterThanOrEqual(0);
    expect(out.stderr.slice(promptedAt).replace(/\x1b\[\d*m/g, '')).toMatch(/✔ VPC: deleted \d/);
    expect(ec2.commandCalls(DeleteVpcCommand)).toHaveLength(1);
    expect(existsSync(stateFilePath(dir, 'unit-ok'))).toBe(false);
    expect(out.stdout).toMatch(/State file .* removed/);
  });

  it('with the state in S3, a verified-empty destroy deletes the state object only at the ETag of its last write (If-Match)', async () => {
    // GIVEN a stack whose state (a recorded VPC) lives in s3://team-state/teams, and S3 answering every write with a new ETag
    mocks.forEach((m) => m.onAnyCommand().resolves({}));
    const key = 'teams/unit-s3.json';
    const text = JSON.stringify({
      ...emptyState('unit-s3'),
      answers: validateAnswers({ stack: 'unit-s3' }),
      region: 'us-east-1',
      resources: { vpc: { stepId: 'vpc', status: 'created', outputs: { vpcId: 'vpc-0000000b', cidr: '10.0.0.0/16' }, updatedAt: new Date().toISOString() } },
    });
    s3.on(HeadBucketCommand).resolves({ BucketRegion: 'us-east-1' });
    s3.on(GetObjectCommand, { Key: key }).resolves({ Body: { transformToString: async () => text } as never, ETag: '"e0"' });
    let writes = 0;
    const stateWrites: string[] = [];
    s3.on(PutObjectCommand).callsFake(async ({ Key }: { Key: string }) => {
      if (Key !== key) return { ETag: '"l1"' };
      stateWrites.push(`"e${++writes}"`);
      return { ETag: stateWrites.at(-1) };
    });
    const out = { stdout: '', stderr: '' };

    // WHEN it is destroyed, the VPC goes and the inventory finds nothing left
    const code = await destroy('unit-s3', { yes: true, stateDir: 's3://team-state/teams' }, cli(out));

    // THEN the state object was deleted once, conditional on the last ETag this run wrote (never someone else's
    // state written meanwhile), after every write; and the lock was released at its own ETag
    expect(code).toBe(0);
    expect(ec2.commandCalls(DeleteVpcCommand)).toHaveLength(1);
    expect(stateWrites.length).toBeGreaterThan(1);
    const deletes = s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input);
    expect(deletes).toEqual([
      { Bucket: 'team-state', Key: key, IfMatch: stateWrites.at(-1) },
      { Bucket: 'team-state', Key: 'teams/unit-s3.lock', IfMatch: '"l1"' },
    ]);
    const calls = s3.calls().map((c) => c.args[0] as { constructor: { name: string }; input: { Key?: string } });
    const lastWrite = calls.map((c) => c.constructor.name === 'PutObjectCommand' && c.input.Key === key).lastIndexOf(true);
    expect(calls.findIndex((c) => c.constructor.name === 'DeleteObjectCommand')).toBeGreaterThan(lastWrite);
    expect(out.stdout).toContain('State file s3://team-state/teams/unit-s3.json removed');
  });
});
