import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand, CreateVpcCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateClusterCommand, DescribeClustersCommand, ECSClient } from '@aws-sdk/client-ecs';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { startMoto, type Moto } from '../support/moto.js';
import { startStrictAws, type StrictAws } from '../support/strict-aws.js';
import { wireJson } from '../support/aws-wire.js';

/**
 * The strict-AWS proxy itself: requests pass through to moto untouched unless a rule answers, and
 * a rule's answer reaches the caller as the real SDK parses real AWS errors (name, Code, $fault,
 * HTTP status), whatever the protocol.
 */

let moto: Moto;
let aws: StrictAws;
const creds = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const client = <C>(C: new (cfg: object) => C, maxAttempts = 1): C => new C({ region: 'us-east-1', endpoint: aws.endpoint, credentials: creds, maxAttempts });

beforeAll(async () => {
  moto = await startMoto();
  aws = await startStrictAws(moto.endpoint, { seed: 3 });
});
afterEach(() => aws.clear());
afterAll(async () => {
  await aws?.stop();
  await moto?.stop();
});

describe('strict-AWS proxy', () => {
  it('passes requests through to moto and logs each with its operation and read/mutating kind', async () => {
    // GIVEN no rules
    const ec2 = client(EC2Client);
    // WHEN a VPC is created and described through the proxy
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
    const d = await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpc.Vpc!.VpcId!] }));
    // THEN moto answered both, and the log names them
    expect(d.Vpcs?.[0]?.CidrBlock).toBe('10.9.0.0/16');
    expect(aws.requests.map((r) => [r.service, r.operation, r.read, r.status])).toEqual([
      ['ec2', 'CreateVpc', false, 200],
      ['ec2', 'DescribeVpcs', true, 200],
    ]);
    expect(aws.mutating()).toHaveLength(1);
    ec2.destroy();
  });

  it('answers an EC2 call with an EC2-format error the SDK parses as AWS sends it, then lets the retry through', async () => {
    // GIVEN a group AWS does not yet see by id, for the first authorize only
    const ec2 = client(EC2Client);
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.8.0.0/16' }));
    const sg = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'strict-sg', Description: 'x', VpcId: vpc.Vpc!.VpcId! }));
    aws.rule({ name: 'sg-not-yet', service: 'ec2', operation: 'AuthorizeSecurityGroupIngress', times: 1, error: { code: 'InvalidGroup.NotFound', message: `The security group '${sg.GroupId}' does not exist` } });
    const authorize = () =>
      ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: sg.GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }));
    // WHEN it is authorized twice
    const first = await authorize().catch((e: unknown) => e);
    const second = await authorize();
    // THEN the first failed exactly as the SDK reports AWS's error, and the second reached moto
    expect(first).toMatchObject({ name: 'InvalidGroup.NotFound', Code: 'InvalidGroup.NotFound', $fault: 'client', $metadata: { httpStatusCode: 400 } });
    expect(second.Return).toBe(true);
    expect(aws.fired('sg-not-yet')).toBe(1);
    ec2.destroy();
  });

  it('answers JSON and query protocols in their own formats', async () => {
    // GIVEN ECS refusing a cluster for want of its service-linked role, and IAM refusing a role lookup
    aws.rule({ name: 'slr', service: 'ecs', operation: 'CreateCluster', error: { code: 'InvalidParameterException', message: 'Unable to assume the service linked role. Please verify that the ECS service linked role exists.' } });
    aws.rule({ name: 'iam-missing', service: 'iam', operation: 'GetRole', error: { code: 'NoSuchEntity', message: 'The role with name x cannot be found.', status: 404 } });
    const ecs = client(ECSClient);
    const iam = client(IAMClient);
    // WHEN both are called
    const e1 = await ecs.send(new CreateClusterCommand({ clusterName: 'strict' })).catch((e: unknown) => e);
    const e2 = await iam.send(new GetRoleCommand({ RoleName: 'x' })).catch((e: unknown) => e);
    // THEN the SDK's deserializers produced AWS's own shapes
    expect(e1).toMatchObject({ name: 'InvalidParameterException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
    expect((e1 as Error).message).toMatch(/service linked role/);
    expect(e2).toMatchObject({ name: 'NoSuchEntityException', Code: 'NoSuchEntity', $metadata: { httpStatusCode: 404 } });
    expect(aws.firedAll()).toEqual({ slr: 1, 'iam-missing': 1 });
    ecs.destroy();
    iam.destroy();
  });

  it('lets a rule rewrite what moto answered, and throttles reads at the given rate until the SDK gives up', async () => {
    // GIVEN a rule that reports every cluster as PROVISIONING
    const ecs = client(ECSClient);
    await ecs.send(new CreateClusterCommand({ clusterName: 'strict-rw' }));
    aws.rule({
      name: 'provisioning',
      service: 'ecs',
      operation: 'DescribeClusters',
      respond: async (_req, ctx) => {
        const r = await ctx.forward();
        const body = JSON.parse(r.body) as { clusters: { status: string }[] };
        for (const c of body.clusters) c.status = 'PROVISIONING';
        return wireJson('ecs', body);
      },
    });
    // WHEN it is described
    const d = await ecs.send(new DescribeClustersCommand({ clusters: ['strict-rw'] }));
    // THEN the caller sees the rewritten state
    expect(d.clusters?.[0]?.status).toBe('PROVISIONING');
    expect(aws.fired('provisioning')).toBe(1);
    ecs.destroy();

    // AND a proxy throttling every read makes the SDK retry and finally report AWS's throttling error
    const busy = await startStrictAws(moto.endpoint, { throttleReads: 1 });
    try {
      const ec2 = new EC2Client({ region: 'us-east-1', endpoint: busy.endpoint, credentials: creds, maxAttempts: 2, retryMode: 'standard' });
      const err = await ec2.send(new DescribeVpcsCommand({})).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503, attempts: 2 } });
      expect(busy.fired('throttle-reads')).toBe(2);
      ec2.destroy();
    } finally {
      await busy.stop();
    }
  });
});
