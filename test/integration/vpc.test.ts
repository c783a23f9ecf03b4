import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeVpcsCommand, EC2Client, DescribeVpcAttributeCommand } from '@aws-sdk/client-ec2';
import { runCreate, runDestroy } from '../../src/engine/engine.js';
import { vpcStep } from '../../src/steps/stack/vpc.js';
import { STACK_TAG } from '../../src/aws/tags.js';
import { startMoto, type Moto } from '../support/moto.js';
import { testStack } from '../support/stack.js';

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

async function stackVpcs(stack: string) {
  const r = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: `tag:${STACK_TAG}`, Values: [stack] }] }));
  return r.Vpcs ?? [];
}

describe('VPC step on moto', () => {
  it('creates once, creates nothing on a rerun, and destroys to nothing', async () => {
    // GIVEN a new stack
    const t = testStack({ stack: 'vpc-it', network: { vpcCidr: '10.42.0.0/16', subnetCidrs: ['10.42.0.0/24', '10.42.1.0/24'] } }, { endpoint: moto.endpoint });

    // WHEN it is created
    const first = await runCreate([vpcStep], { env: t.env, state: t.state });

    // THEN one tagged VPC with the CIDR and DNS hostnames exists, and the state records its id
    expect(first.ok).toBe(true);
    const vpcs = await stackVpcs('vpc-it');
    expect(vpcs).toHaveLength(1);
    expect(vpcs[0]!.CidrBlock).toBe('10.42.0.0/16');
    expect(vpcs[0]!.Tags).toContainEqual({ Key: 'Name', Value: 'vpc-it-vpc' });
    const dns = await ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcs[0]!.VpcId!, Attribute: 'enableDnsHostnames' }));
    expect(dns.EnableDnsHostnames?.Value).toBe(true);
    expect(t.state.get('vpc')).toMatchObject({ status: 'created', outputs: { vpcId: vpcs[0]!.VpcId } });

    // WHEN it runs again
    t.log.clear();
    const second = await runCreate([vpcStep], { env: t.env, state: t.state });

    // THEN nothing new exists and no mutating call was made
    expect(second.results[0]!.outcome).toBe('exists');
    expect(await stackVpcs('vpc-it')).toHaveLength(1);
    expect(t.log.mutating).toEqual([]);

    // WHEN it is destroyed
    const gone = await runDestroy([vpcStep], { env: t.env, state: t.state });

    // THEN no VPC of the stack is left
    expect(gone.ok).toBe(true);
    expect(gone.results[0]!.outcome).toBe('destroyed');
    expect(await stackVpcs('vpc-it')).toHaveLength(0);
    t.aws.destroy();
  });

  it('finds the VPC by its tag when the state file lost it', async () => {
    const a = testStack({ stack: 'vpc-lost' }, { endpoint: moto.endpoint });
    await runCreate([vpcStep], { env: a.env, state: a.state });
    // GIVEN a fresh state (the file was lost)
    const b = testStack({ stack: 'vpc-lost' }, { endpoint: moto.endpoint });
    // WHEN create runs again
    const r = await runCreate([vpcStep], { env: b.env, state: b.state });
    // THEN it adopts the tagged VPC instead of making a second one
    expect(r.results[0]!.outcome).toBe('exists');
    expect(await stackVpcs('vpc-lost')).toHaveLength(1);
    expect(b.log.mutating).toEqual([]);
    await runDestroy([vpcStep], { env: b.env, state: b.state });
    a.aws.destroy();
    b.aws.destroy();
  });

  it('refuses a changed CIDR instead of diverging', async () => {
    const a = testStack({ stack: 'vpc-drift', network: { vpcCidr: '10.1.0.0/16', subnetCidrs: ['10.1.0.0/24', '10.1.1.0/24'] } }, { endpoint: moto.endpoint });
    await runCreate([vpcStep], { env: a.env, state: a.state });
    const b = testStack({ stack: 'vpc-drift', network: { vpcCidr: '10.2.0.0/16', subnetCidrs: ['10.2.0.0/24', '10.2.1.0/24'] } }, { endpoint: moto.endpoint, stateDir: a.stateDir });
    const r = await runCreate([vpcStep], { env: b.env, state: a.state });
    expect(r.ok).toBe(false);
    expect((r.results[0]!.error as { code?: string }).code).toBe('DRIFT');
    expect(await stackVpcs('vpc-drift')).toHaveLength(1);
    await runDestroy([vpcStep], { env: a.env, state: a.state });
    a.aws.destroy();
    b.aws.destroy();
  });
});
