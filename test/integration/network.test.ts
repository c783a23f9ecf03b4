import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInternetGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  type Filter,
} from '@aws-sdk/client-ec2';
import { runCreate, runDestroy } from '../../src/engine/engine.js';
import type { Step } from '../../src/engine/types.js';
import type { StackEnv } from '../../src/steps/env.js';
import { existingVpcStep, vpcStep } from '../../src/steps/stack/vpc.js';
import { existingSubnetsStep, subnetsStep } from '../../src/steps/stack/subnets.js';
import { internetGatewayStep } from '../../src/steps/stack/internet-gateway.js';
import { routeTableStep } from '../../src/steps/stack/route-table.js';
import { albSecurityGroupStep, instanceSecurityGroupStep } from '../../src/steps/stack/security-groups.js';
import { STACK_TAG } from '../../src/aws/tags.js';
import { startMoto, type Moto } from '../support/moto.js';
import { testStack } from '../support/stack.js';
import { existingNetwork } from '../support/existing-network.js';

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

const NETWORK: Step<StackEnv>[] = [vpcStep, subnetsStep, internetGatewayStep, routeTableStep, albSecurityGroupStep, instanceSecurityGroupStep];
const REUSE: Step<StackEnv>[] = [existingVpcStep, existingSubnetsStep, albSecurityGroupStep, instanceSecurityGroupStep];

const tagged = (stack: string): Filter => ({ Name: `tag:${STACK_TAG}`, Values: [stack] });

/** Everything of the stack that EC2 still holds, read with our own client. */
async function inventory(stack: string) {
  const [vpcs, subnets, igws, tables, groups] = await Promise.all([
    ec2.send(new DescribeVpcsCommand({ Filters: [tagged(stack)] })),
    ec2.send(new DescribeSubnetsCommand({ Filters: [tagged(stack)] })),
    ec2.send(new DescribeInternetGatewaysCommand({ Filters: [tagged(stack)] })),
    ec2.send(new DescribeRouteTablesCommand({ Filters: [tagged(stack)] })),
    ec2.send(new DescribeSecurityGroupsCommand({ Filters: [tagged(stack)] })),
  ]);
  return {
    vpcs: vpcs.Vpcs ?? [],
    subnets: subnets.Subnets ?? [],
    igws: igws.InternetGateways ?? [],
    tables: tables.RouteTables ?? [],
    groups: groups.SecurityGroups ?? [],
  };
}

const counts = (inv: Awaited<ReturnType<typeof inventory>>) => Object.fromEntries(Object.entries(inv).map(([k, v]) => [k, v.length]));

describe('network steps on moto', () => {
  it('builds a public two-zone network with locked-down groups, reruns without a change, and destroys to nothing', async () => {
    // GIVEN a new stack with SSH closed (no sshCidr)
    const t = testStack(
      { stack: 'net-it', network: { vpcCidr: '10.20.0.0/16', subnetCidrs: ['10.20.0.0/24', '10.20.1.0/24'] }, loadBalancer: { listenerPort: 8080, ingressCidrs: ['203.0.113.0/24', '198.51.100.0/24'] } },
      { endpoint: moto.endpoint },
    );

    // WHEN the network is created
    const first = await runCreate(NETWORK, { env: t.env, state: t.state });

    // THEN every step created its resource
    expect(first.results.map((r) => [r.stepId, r.outcome, (r.error as Error | undefined)?.message])).toEqual(NETWORK.map((s) => [s.id, 'created', undefined]));
    const inv = await inventory('net-it');
    expect(counts(inv)).toEqual({ vpcs: 1, subnets: 2, igws: 1, tables: 1, groups: 2 });
    const vpcId = inv.vpcs[0]!.VpcId!;

    // AND the subnets are public, in two distinct zones that offer the instance type
    const subnets = [...inv.subnets].sort((a, b) => a.CidrBlock!.localeCompare(b.CidrBlock!));
    expect(subnets.map((s) => s.CidrBlock)).toEqual(['10.20.0.0/24', '10.20.1.0/24']);
    expect(new Set(subnets.map((s) => s.AvailabilityZone)).size).toBe(2);
    expect(subnets.every((s) => s.MapPublicIpOnLaunch === true && s.VpcId === vpcId)).toBe(true);
    expect(subnets.map((s) => s.Tags?.find((x) => x.Key === 'Name')?.Value)).toEqual(['net-it-public-1', 'net-it-public-2']);

    // AND the gateway is attached, and the table routes 0.0.0.0/0 to it and serves both subnets
    const igwId = inv.igws[0]!.InternetGatewayId!;
    expect(inv.igws[0]!.Attachments).toEqual([expect.objectContaining({ VpcId: vpcId })]);
    const table = inv.tables[0]!;
    expect(table.Routes).toContainEqual(expect.objectContaining({ DestinationCidrBlock: '0.0.0.0/0', GatewayId: igwId }));
    expect(table.Associations!.filter((a) => !a.Main).map((a) => a.SubnetId).sort()).toEqual(subnets.map((s) => s.SubnetId).sort());
    expect(t.state.get('route-table')!.outputs.associationIds).toHaveLength(2);

    // AND the ALB group admits the listener port from each CIDR, the instance group only the ALB group
    const alb = inv.groups.find((g) => g.GroupName === 'net-it-alb')!;
    const inst = inv.groups.find((g) => g.GroupName === 'net-it-instances')!;
    expect(alb.IpPermissions).toHaveLength(1);
    expect(alb.IpPermissions![0]).toMatchObject({ IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080 });
    expect(alb.IpPermissions![0]!.IpRanges!.map((r) => r.CidrIp).sort()).toEqual(['198.51.100.0/24', '203.0.113.0/24']);
    expect(inst.IpPermissions).toHaveLength(1);
    expect(inst.IpPermissions![0]).toMatchObject({ IpProtocol: 'tcp', FromPort: 32768, ToPort: 65535, IpRanges: [] });
    expect(inst.IpPermissions![0]!.UserIdGroupPairs!.map((p) => p.GroupId)).toEqual([alb.GroupId]);

    // WHEN it runs again
    t.log.clear();
    const second = await runCreate(NETWORK, { env: t.env, state: t.state });

    // THEN everything exists, no mutating call was made, and nothing was added
    expect(second.results.map((r) => r.outcome)).toEqual(NETWORK.map(() => 'exists'));
    expect(t.log.mutating).toEqual([]);
    expect(counts(await inventory('net-it'))).toEqual({ vpcs: 1, subnets: 2, igws: 1, tables: 1, groups: 2 });

    // WHEN it is destroyed
    const gone = await runDestroy(NETWORK, { env: t.env, state: t.state });

    // THEN nothing of the stack is left
    expect(gone.ok).toBe(true);
    expect(gone.results.map((r) => r.outcome)).toEqual(NETWORK.map(() => 'destroyed'));
    expect(counts(await inventory('net-it'))).toEqual({ vpcs: 0, subnets: 0, igws: 0, tables: 0, groups: 0 });
    t.aws.destroy();
  });

  it('repairs a network left half-made (lost association, detached gateway, missing rule, missing subnet) without duplicating it', async () => {
    // GIVEN a stack whose network was built, then damaged as a crash or a hand edit would
    const t = testStack({ stack: 'net-fix', network: { vpcCidr: '10.30.0.0/16', subnetCidrs: ['10.30.0.0/24', '10.30.1.0/24'] }, instances: { sshCidr: '192.0.2.0/24', keyName: 'ops' } }, { endpoint: moto.endpoint });
    expect((await runCreate(NETWORK, { env: t.env, state: t.state })).ok).toBe(true);
    const inv = await inventory('net-fix');
    const { DisassociateRouteTableCommand, DetachInternetGatewayCommand, RevokeSecurityGroupIngressCommand, DeleteSubnetCommand } = await import('@aws-sdk/client-ec2');
    const vpcId = inv.vpcs[0]!.VpcId!;
    const table = inv.tables[0]!;
    const second = inv.subnets.find((s) => s.CidrBlock === '10.30.1.0/24')!;
    await ec2.send(new DisassociateRouteTableCommand({ AssociationId: table.Associations!.find((a) => !a.Main && a.SubnetId !== second.SubnetId)!.RouteTableAssociationId! }));
    await ec2.send(new DisassociateRouteTableCommand({ AssociationId: table.Associations!.find((a) => a.SubnetId === second.SubnetId)!.RouteTableAssociationId! }));
    await ec2.send(new DeleteSubnetCommand({ SubnetId: second.SubnetId! }));
    await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: inv.igws[0]!.InternetGatewayId!, VpcId: vpcId }));
    const inst = inv.groups.find((g) => g.GroupName === 'net-fix-instances')!;
    expect(inst.IpPermissions!.some((p) => p.FromPort === 22)).toBe(true);
    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: inst.GroupId!, IpPermissions: inst.IpPermissions!.filter((p) => p.FromPort === 22) }));

    // WHEN create runs again
    const r = await runCreate(NETWORK, { env: t.env, state: t.state });

    // THEN the same resources are repaired in place: one table, one gateway, two subnets, all rules back
    expect(r.ok).toBe(true);
    const after = await inventory('net-fix');
    expect(counts(after)).toEqual({ vpcs: 1, subnets: 2, igws: 1, tables: 1, groups: 2 });
    expect(after.tables[0]!.RouteTableId).toBe(table.RouteTableId);
    expect(after.tables[0]!.Associations!.filter((a) => !a.Main).map((a) => a.SubnetId).sort()).toEqual(after.subnets.map((s) => s.SubnetId).sort());
    expect(after.igws[0]!.Attachments).toEqual([expect.objectContaining({ VpcId: vpcId })]);
    expect(new Set(after.subnets.map((s) => s.AvailabilityZone)).size).toBe(2);
    expect(after.subnets.every((s) => s.MapPublicIpOnLaunch)).toBe(true);
    const instAfter = after.groups.find((g) => g.GroupName === 'net-fix-instances')!;
    expect(instAfter.IpPermissions!.find((p) => p.FromPort === 22)!.IpRanges).toEqual([expect.objectContaining({ CidrIp: '192.0.2.0/24' })]);
    expect(t.state.get('subnets')!.outputs.subnetIds).toEqual(
      ['10.30.0.0/24', '10.30.1.0/24'].map((c) => after.subnets.find((s) => s.CidrBlock === c)!.SubnetId),
    );

    expect((await runDestroy(NETWORK, { env: t.env, state: t.state })).ok).toBe(true);
    expect(counts(await inventory('net-fix'))).toEqual({ vpcs: 0, subnets: 0, igws: 0, tables: 0, groups: 0 });
    t.aws.destroy();
  });

  it('refuses zones that lack the instance type before creating any subnet', async () => {
    // GIVEN zones where us-east-1e does not offer t3.micro (moto's offerings data)
    const t = testStack({ stack: 'net-az', network: { vpcCidr: '10.40.0.0/16', subnetCidrs: ['10.40.0.0/24', '10.40.1.0/24'], availabilityZones: ['us-east-1a', 'us-east-1e'] } }, { endpoint: moto.endpoint });
    // WHEN create runs
    const r = await runCreate([vpcStep, subnetsStep], { env: t.env, state: t.state });
    // THEN the subnets step fails with an input error naming the field and the zones that do offer it
    const err = r.results.find((x) => x.stepId === 'subnets')!.error as { code: string; problems: { path: string; message: string }[] };
    expect(err.code).toBe('INPUT_INVALID');
    expect(err.problems[0]!.path).toBe('network.availabilityZones');
    expect(err.problems[0]!.message).toContain('us-east-1e');
    expect(err.problems[0]!.message).toContain('us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1f');
    expect((await inventory('net-az')).subnets).toHaveLength(0);
    await runDestroy([vpcStep, subnetsStep], { env: t.env, state: t.state });
    t.aws.destroy();
  });

  it('reuses an existing VPC and subnets without creating or deleting network resources', async () => {
    // GIVEN a VPC with two subnets in two zones, made outside ecs-wizard (internet route, public IPs)
    const { vpcId, subnetIds } = await existingNetwork(ec2, '10.50');
    const t = testStack({ stack: 'net-reuse', network: { vpcId, subnetIds } }, { endpoint: moto.endpoint });

    // WHEN the plan runs in reuse mode
    const r = await runCreate(REUSE, { env: t.env, state: t.state });

    // THEN only the two security groups were created, in that VPC, and the subnets are recorded
    expect(r.results.map((x) => [x.stepId, x.outcome])).toEqual([
      ['vpc', 'exists'],
      ['subnets', 'exists'],
      ['alb-security-group', 'created'],
      ['instance-security-group', 'created'],
    ]);
    const created = new Set(t.log.mutating.map((c) => c.operation));
    expect([...created].filter((op) => !/SecurityGroup/.test(op))).toEqual([]);
    expect(t.state.get('subnets')).toMatchObject({ external: true, outputs: { subnetIds, availabilityZones: ['us-east-1a', 'us-east-1b'] } });
    const inv = await inventory('net-reuse');
    expect(counts(inv)).toEqual({ vpcs: 0, subnets: 0, igws: 0, tables: 0, groups: 2 });
    expect(inv.groups.every((g) => g.VpcId === vpcId)).toBe(true);

    // WHEN it is destroyed
    const gone = await runDestroy(REUSE, { env: t.env, state: t.state });

    // THEN the groups are gone and the user's VPC and subnets are kept
    expect(gone.results.map((x) => [x.stepId, x.outcome])).toEqual([
      ['vpc', 'kept'],
      ['subnets', 'kept'],
      ['alb-security-group', 'destroyed'],
      ['instance-security-group', 'destroyed'],
    ]);
    expect((await inventory('net-reuse')).groups).toHaveLength(0);
    const still = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
    expect(still.Subnets!.map((s) => s.SubnetId).sort()).toEqual([...subnetIds].sort());
    t.aws.destroy();
  });

  it('refuses existing subnets that all sit in one zone', async () => {
    // GIVEN a VPC whose two subnets share us-east-1a
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.60.0.0/16' }));
    const vpcId = vpc.Vpc!.VpcId!;
    const ids = [];
    for (const c of ['10.60.0.0/24', '10.60.1.0/24']) ids.push((await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: c, AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!);
    const t = testStack({ stack: 'net-onezone', network: { vpcId, subnetIds: ids } }, { endpoint: moto.endpoint });
    // WHEN the plan runs
    const r = await runCreate(REUSE, { env: t.env, state: t.state });
    // THEN the subnets are refused as input, naming the field
    expect(r.ok).toBe(false);
    const err = r.results.find((x) => x.stepId === 'subnets')!.error as { code: string; problems: { path: string; message: string }[] };
    expect(err.code).toBe('INPUT_INVALID');
    expect(err.problems.map((p) => p.path)).toEqual(['network.subnetIds']);
    expect(err.problems[0]!.message).toContain('2 availability zones');
    await runDestroy(REUSE, { env: t.env, state: t.state });
    t.aws.destroy();
  });
});
