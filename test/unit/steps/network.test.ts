import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateInternetGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  DeleteInternetGatewayCommand,
  DeleteRouteTableCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DescribeAvailabilityZonesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeInternetGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DetachInternetGatewayCommand,
  DisassociateRouteTableCommand,
  EC2Client,
  ModifySubnetAttributeCommand,
  ReplaceRouteCommand,
  RevokeSecurityGroupIngressCommand,
  type AttachmentStatus,
  type DescribeAvailabilityZonesCommandInput,
  type DescribeSubnetsCommandInput,
  type RouteTable,
  type Subnet,
} from '@aws-sdk/client-ec2';
import { runCreate, runDestroy } from '../../../src/engine/engine.js';
import type { Outputs, StepContext } from '../../../src/engine/types.js';
import type { StackEnv } from '../../../src/steps/env.js';
import { isWizardError, type WizardError } from '../../../src/errors.js';
import { existingSubnetsStep, subnetsStep } from '../../../src/steps/stack/subnets.js';
import { awsAccount } from '../../../src/wizard/account.js';
import { internetGatewayStep } from '../../../src/steps/stack/internet-gateway.js';
import { routeTableStep } from '../../../src/steps/stack/route-table.js';
import {
  albIngressRules,
  albSecurityGroupStep,
  diffRules,
  instanceIngressRules,
  instanceSecurityGroupStep,
  rulesOf,
} from '../../../src/steps/stack/security-groups.js';
import { cidrContains, cidrsOverlap } from '../../../src/steps/stack/cidr.js';
import { stepContext } from '../../support/step-context.js';
import { sdkError } from '../../support/aws-wire.js';
import { testStack } from '../../support/stack.js';

const ec2 = mockClient(EC2Client);
afterEach(() => ec2.reset());

/** The context of a real create, where find may repair what it finds. */
function repairing(ctx: StepContext<StackEnv>): StepContext<StackEnv> {
  return { ...ctx, repair: true };
}

/** The step with its dependencies cut, so the engine can run it by itself on a scripted state. */
function alone<S extends { dependsOn: readonly string[] }>(step: S): S {
  return { ...step, dependsOn: [] };
}

const VPC = { vpcId: 'vpc-0123456789abcdef0', cidr: '10.0.0.0/16' };
const SUBNET_A = 'subnet-0aaaaaaaaaaaaaaa1';
const SUBNET_B = 'subnet-0bbbbbbbbbbbbbbb2';
const IGW = 'igw-0123456789abcdef0';
const RTB = 'rtb-0123456789abcdef0';
const ALB_SG = 'sg-0aaaaaaaaaaaaaaa1';
const INST_SG = 'sg-0bbbbbbbbbbbbbbb2';
/** What real AWS says for an attached gateway, though the SDK's type lists only attached/attaching/…. */
const ATTACHED = 'available' as AttachmentStatus;

/** A Local Zone of us-east-1: an opted-in account sees it offer instance types like any zone. */
const LOCAL_ZONE = 'us-east-1-bos-1a';

/** t3.small offered in these zones; the region's zones are us-east-1a–f plus the Local Zone (the zone-type filter honoured, as AWS does). */
function offering(...zones: string[]) {
  ec2.on(DescribeInstanceTypeOfferingsCommand).resolves({ InstanceTypeOfferings: zones.map((Location) => ({ InstanceType: 't3.small', Location, LocationType: 'availability-zone' })) });
  ec2.on(DescribeAvailabilityZonesCommand).callsFake((input: DescribeAvailabilityZonesCommandInput) => {
    const types = input.Filters?.find((f) => f.Name === 'zone-type')?.Values;
    const all = [
      ...'abcdef'.split('').map((l) => ({ ZoneName: `us-east-1${l}`, ZoneType: 'availability-zone', State: 'available' as const })),
      { ZoneName: LOCAL_ZONE, ZoneType: 'local-zone', State: 'available' as const },
    ];
    return { AvailabilityZones: all.filter((z) => !types || types.includes(z.ZoneType)) };
  });
}

/** DescribeSubnets answering from a list, honouring the subnet-id, vpc-id and stack-tag filters. */
function subnetsExist(subnets: Subnet[]) {
  ec2.on(DescribeSubnetsCommand).callsFake((input: DescribeSubnetsCommandInput) => {
    const f = (name: string) => input.Filters?.find((x) => x.Name === name)?.Values;
    const ids = f('subnet-id');
    const vpc = f('vpc-id');
    return {
      Subnets: subnets.filter((s) => (!ids || ids.includes(s.SubnetId!)) && (!vpc || vpc.includes(s.VpcId!))),
    };
  });
}

function subnet(id: string, cidr: string, az: string, index: number, extra: Partial<Subnet> = {}): Subnet {
  return {
    SubnetId: id,
    VpcId: VPC.vpcId,
    CidrBlock: cidr,
    AvailabilityZone: az,
    State: 'available',
    MapPublicIpOnLaunch: true,
    Tags: [
      { Key: 'ecs-wizard:stack', Value: 'net' },
      { Key: 'Name', Value: `net-public-${index + 1}` },
    ],
    ...extra,
  };
}

async function failure(p: Promise<unknown>): Promise<WizardError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeDefined();
  return err as WizardError;
}

describe('subnets step (scripted AWS)', () => {
  it('creates one public, tagged subnet per CIDR in distinct zones that offer the instance type', async () => {
    // GIVEN t3.small is offered in two zones only
    const t = testStack({ stack: 'net' });
    offering('us-east-1c', 'us-east-1a');
    subnetsExist([]);
    let n = 0;
    ec2.on(CreateSubnetCommand).callsFake((input) => ({ Subnet: { SubnetId: [SUBNET_A, SUBNET_B][n++], CidrBlock: input.CidrBlock, AvailabilityZone: input.AvailabilityZone, State: 'available', MapPublicIpOnLaunch: false } }));
    ec2.on(ModifySubnetAttributeCommand).resolves({});
    const { ctx, notes } = stepContext(t.env, { outputs: { vpc: VPC } });

    // WHEN the subnets are created
    const out = await subnetsStep.create(ctx);

    // THEN each CIDR got its own zone, its Name and stack tag, and public IPs on launch
    expect(out).toEqual({ subnetIds: [SUBNET_A, SUBNET_B], availabilityZones: ['us-east-1a', 'us-east-1c'] });
    const creates = ec2.commandCalls(CreateSubnetCommand).map((c) => c.args[0].input);
    expect(creates.map((c) => [c.CidrBlock, c.AvailabilityZone, c.VpcId])).toEqual([
      ['10.0.0.0/24', 'us-east-1a', VPC.vpcId],
      ['10.0.1.0/24', 'us-east-1c', VPC.vpcId],
    ]);
    expect(creates[1]!.TagSpecifications![0]!.Tags).toEqual(expect.arrayContaining([{ Key: 'Name', Value: 'net-public-2' }, { Key: 'ecs-wizard:stack', Value: 'net' }]));
    expect(ec2.commandCalls(ModifySubnetAttributeCommand).map((c) => [c.args[0].input.SubnetId, c.args[0].input.MapPublicIpOnLaunch])).toEqual([
      [SUBNET_A, { Value: true }],
      [SUBNET_B, { Value: true }],
    ]);
    // AND each id was recorded as soon as it existed
    expect(notes.map((x) => x.subnetIds)).toEqual([[SUBNET_A], [SUBNET_A, SUBNET_B]]);
    expect(ec2.commandCalls(DescribeInstanceTypeOfferingsCommand)[0]!.args[0].input).toMatchObject({
      LocationType: 'availability-zone',
      Filters: [{ Name: 'instance-type', Values: ['t3.small'] }],
    });
  });

  it('refuses chosen zones that do not offer the instance type, naming the zones that do', async () => {
    const t = testStack({ stack: 'net', network: { availabilityZones: ['us-east-1a', 'us-east-1e'] } });
    offering('us-east-1a', 'us-east-1b', 'us-east-1c');
    subnetsExist([]);
    const { ctx } = stepContext(t.env, { outputs: { vpc: VPC } });
    const err = await failure(subnetsStep.create(ctx));
    expect(isWizardError(err, 'INPUT_INVALID')).toBe(true);
    expect(err.problems).toEqual([{ path: 'network.availabilityZones', message: expect.stringContaining('us-east-1e does not offer t3.small') }]);
    expect(err.problems[0]!.message).toContain('us-east-1a, us-east-1b, us-east-1c');
    expect(ec2.commandCalls(CreateSubnetCommand)).toHaveLength(0);
  });

  it('refuses an instance type offered in fewer than two zones', async () => {
    const t = testStack({ stack: 'net', instances: { instanceType: 'dl1.24xlarge' } });
    offering('us-east-1a');
    subnetsExist([]);
    const { ctx } = stepContext(t.env, { outputs: { vpc: VPC } });
    const err = await failure(subnetsStep.create(ctx));
    expect(isWizardError(err, 'INPUT_INVALID')).toBe(true);
    expect(err.problems[0]!.path).toBe('instances.instanceType');
    expect(err.problems[0]!.message).toContain('only one zone');
    expect(ec2.commandCalls(CreateSubnetCommand)).toHaveLength(0);
  });

  it('refuses a subnet CIDR outside the VPC before calling AWS', async () => {
    // GIVEN the VPC it works in has another CIDR than the subnets' (the schema checks only the answers)
    const t = testStack({ stack: 'net', network: { vpcCidr: '10.0.0.0/16', subnetCidrs: ['10.0.0.0/24', '10.0.1.0/24'] } });
    subnetsExist([]);
    const { ctx } = stepContext(t.env, { outputs: { vpc: { vpcId: VPC.vpcId, cidr: '10.0.1.0/24' } } });
    const err = await failure(subnetsStep.create(ctx));
    expect(isWizardError(err, 'INPUT_INVALID')).toBe(true);
    expect(err.problems).toEqual([{ path: 'network.subnetCidrs.0', message: "10.0.0.0/24 is not inside the VPC's CIDR 10.0.1.0/24" }]);
    expect(ec2.commandCalls(DescribeInstanceTypeOfferingsCommand)).toHaveLength(0);
    expect(ec2.commandCalls(CreateSubnetCommand)).toHaveLength(0);
  });

  it('finds its subnets by recorded ids without a tag lookup, and reports a changed CIDR as drift', async () => {
    const t = testStack({ stack: 'net' });
    subnetsExist([subnet(SUBNET_A, '10.0.0.0/24', 'us-east-1a', 0), subnet(SUBNET_B, '10.0.1.0/24', 'us-east-1b', 1)]);
    const { ctx } = stepContext(t.env, { outputs: { vpc: VPC }, recorded: { subnetIds: [SUBNET_A, SUBNET_B] } });
    expect(await subnetsStep.find(ctx)).toEqual({ subnetIds: [SUBNET_A, SUBNET_B], availabilityZones: ['us-east-1a', 'us-east-1b'] });
    expect(ec2.commandCalls(DescribeSubnetsCommand)).toHaveLength(1);

    // GIVEN the answers now ask for another CIDR for the second subnet
    const changed = testStack({ stack: 'net', network: { subnetCidrs: ['10.0.0.0/24', '10.0.5.0/24'] } });
    const err = await failure(subnetsStep.find(stepContext(changed.env, { outputs: { vpc: VPC }, recorded: { subnetIds: [SUBNET_A, SUBNET_B] } }).ctx));
    expect(isWizardError(err, 'DRIFT')).toBe(true);
    expect(err.message).toContain('10.0.5.0/24');
  });

  it('completes a create cut short: makes only the missing subnet, in another zone, with no duplicate', async () => {
    // GIVEN the first subnet exists (found by tag) and the second was never made
    const t = testStack({ stack: 'net' });
    await t.state.put({ stepId: 'vpc', status: 'created', outputs: VPC, updatedAt: 'x' });
    subnetsExist([subnet(SUBNET_A, '10.0.0.0/24', 'us-east-1a', 0)]);
    offering('us-east-1a', 'us-east-1b');
    ec2.on(CreateSubnetCommand).resolves({ Subnet: { SubnetId: SUBNET_B, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1b', State: 'available' } });
    ec2.on(ModifySubnetAttributeCommand).resolves({});
    const vpcFound = { id: 'vpc', title: 'VPC', dependsOn: [], find: async () => VPC as Outputs, create: async () => VPC as Outputs };

    // WHEN create runs
    const r = await runCreate([vpcFound, subnetsStep], { env: t.env, state: t.state });

    // THEN one subnet is added in the other zone, and only it is made public
    expect(r.ok).toBe(true);
    expect(ec2.commandCalls(CreateSubnetCommand).map((c) => [c.args[0].input.CidrBlock, c.args[0].input.AvailabilityZone])).toEqual([['10.0.1.0/24', 'us-east-1b']]);
    expect(ec2.commandCalls(ModifySubnetAttributeCommand).map((c) => c.args[0].input.SubnetId)).toEqual([SUBNET_B]);
    expect(t.state.get('subnets')!.outputs).toEqual({ subnetIds: [SUBNET_A, SUBNET_B], availabilityZones: ['us-east-1a', 'us-east-1b'] });
  });

  it('destroy retries DependencyViolation until the network interfaces are gone, and counts gone as deleted', async () => {
    const t = testStack({ stack: 'net' });
    await t.state.put({ stepId: 'subnets', status: 'created', outputs: { subnetIds: [SUBNET_A, SUBNET_B], availabilityZones: ['us-east-1a', 'us-east-1b'] }, updatedAt: 'x' });
    ec2.on(DeleteSubnetCommand, { SubnetId: SUBNET_A }).rejectsOnce(await sdkError(EC2Client, DeleteSubnetCommand, 'DependencyViolation', 'resource has a dependent object')).rejectsOnce(await sdkError(EC2Client, DeleteSubnetCommand, 'DependencyViolation', 'resource has a dependent object')).resolves({});
    ec2.on(DeleteSubnetCommand, { SubnetId: SUBNET_B }).rejects(await sdkError(EC2Client, DeleteSubnetCommand, 'InvalidSubnetID.NotFound', 'The subnet ID \'subnet-0bbbbbbbbbbbbbbb2\' does not exist'));
    const r = await runDestroy([alone(subnetsStep)], { env: t.env, state: t.state });
    expect(r.results[0]!.outcome).toBe('destroyed');
    expect(ec2.commandCalls(DeleteSubnetCommand, { SubnetId: SUBNET_A })).toHaveLength(3);
    expect(ec2.commandCalls(DeleteSubnetCommand, { SubnetId: SUBNET_B })).toHaveLength(1);
  });
});

describe('zones of new subnets', () => {
  it('never places a subnet in a Local Zone, though it offers the type and sorts first', async () => {
    // GIVEN t3.small offered in a Local Zone and two availability zones
    const t = testStack({ stack: 'net' });
    offering(LOCAL_ZONE, 'us-east-1b', 'us-east-1a');
    subnetsExist([]);
    let n = 0;
    ec2.on(CreateSubnetCommand).callsFake((input) => ({ Subnet: { SubnetId: [SUBNET_A, SUBNET_B][n++], CidrBlock: input.CidrBlock, AvailabilityZone: input.AvailabilityZone, State: 'available', MapPublicIpOnLaunch: true } }));
    // WHEN the subnets are created
    const out = await subnetsStep.create(stepContext(t.env, { outputs: { vpc: VPC } }).ctx);
    // THEN both went to availability zones
    expect(out.availabilityZones).toEqual(['us-east-1a', 'us-east-1b']);
    expect(ec2.commandCalls(CreateSubnetCommand).map((c) => c.args[0].input.AvailabilityZone)).toEqual(['us-east-1a', 'us-east-1b']);
  });
  it('the wizard offers the same zones as defaults: the Local Zone is not among them', async () => {
    const t = testStack({ stack: 'net' });
    offering(LOCAL_ZONE, 'us-east-1b', 'us-east-1a');
    expect(await awsAccount(t.aws, 'us-east-1').zonesOffering('t3.small')).toEqual(['us-east-1a', 'us-east-1b']);
  });
});

describe('existing subnets (reuse mode)', () => {
  const reuse = () => testStack({ stack: 'net', network: { vpcId: VPC.vpcId, subnetIds: [SUBNET_A, SUBNET_B] } });
  const run = (t: ReturnType<typeof reuse>) => existingSubnetsStep.find(stepContext(t.env, { outputs: { vpc: VPC } }).ctx);
  const MAIN_WITH_IGW: RouteTable = {
    RouteTableId: 'rtb-0main000000000000',
    VpcId: VPC.vpcId,
    Associations: [{ Main: true, RouteTableId: 'rtb-0main000000000000' }],
    Routes: [
      { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' },
      { DestinationCidrBlock: '0.0.0.0/0', GatewayId: IGW, State: 'active' },
    ],
  };
  /** The VPC's route tables: by default only a main table with the internet route. */
  const routeTables = (tables: RouteTable[] = [MAIN_WITH_IGW]) => ec2.on(DescribeRouteTablesCommand).resolves({ RouteTables: tables });

  it('records subnets of the VPC in two zones', async () => {
    offering('us-east-1a', 'us-east-1b');
    routeTables();
    subnetsExist([subnet(SUBNET_A, '10.0.0.0/24', 'us-east-1a', 0), subnet(SUBNET_B, '10.0.1.0/24', 'us-east-1b', 1)]);
    expect(await run(reuse())).toEqual({ subnetIds: [SUBNET_A, SUBNET_B], availabilityZones: ['us-east-1a', 'us-east-1b'] });
    expect(existingSubnetsStep.external).toBe(true);
    expect(existingSubnetsStep.destroy).toBeUndefined();
  });

  it.each([
    ['a subnet that does not exist', [subnet(SUBNET_A, '10.0.0.0/24', 'us-east-1a', 0)], `${SUBNET_B} does not exist`],
    ['a subnet of another VPC', [subnet(SUBNET_A, '10.0.0.0/24', 'us-east-1a', 0), subnet(SUBNET_B, '10.0.1.0/24', 'us-east-1b', 1, { VpcId: 'vpc-0ffffffffffffffff' })], `${SUBNET_B} is in vpc-0ffffffffffffffff`],
    ['subnets in one zone', [subnet(SUBNET_A, '10.0.0.0/24', 'us-east-1a', 0), subnet(SUBNET_B, '10.0.1.0/24', 'us-east-1a', 1)], 'at least 2 availability zones'],
  ])('refuses %s as an input error on network.subnetIds', async (_what, subnets, message) => {
    subnetsExist(subnets);
    const err = await failure(run(reuse()));
    expect(isWizardError(err, 'INPUT_INVALID')).toBe(true);
    expect(err.problems).toEqual([{ path: 'network.subnetIds', message: expect.stringContaining(message) }]);
  });

  it.each([
    [
      'a subnet whose own route table has no internet gateway route (the main table has one)',
      () => {
        routeTables([
          MAIN_WITH_IGW,
          { RouteTableId: 'rtb-0private00000000', VpcId: VPC.vpcId, Associations: [{ SubnetId: SUBNET_B, RouteTableId: 'rtb-0private00000000' }], Routes: [{ DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' }] },
        ]);
        subnetsExist([subnet(SUBNET_A, '10.0.0.0/24', 'us-east-1a', 0), subnet(SUBNET_B, '10.0.1.0/24', 'us-east-1b', 1)]);
      },
      `${SUBNET_B} has no route to an internet gateway (0.0.0.0/0 → igw-… in rtb-0private00000000)`,
    ],
    [
      'subnets whose main table routes to the internet through a blackholed gateway',
      () => {
        routeTables([{ ...MAIN_WITH_IGW, Routes: [{ DestinationCidrBlock: '0.0.0.0/0', GatewayId: IGW, State: 'blackhole' }] }]);
        subnetsExist([subnet(SUBNET_A, '10.0.0.0/24', 'us-east-1a', 0), subnet(SUBNET_B, '10.0.1.0/24', 'us-east-1b', 1)]);
      },
      `${SUBNET_A} has no route to an internet gateway`,
    ],
    [
      'a subnet that does not give instances public IPs',
      () => {
        routeTables();
        subnetsExist([subnet(SUBNET_A, '10.0.0.0/24', 'us-east-1a', 0, { MapPublicIpOnLaunch: false }), subnet(SUBNET_B, '10.0.1.0/24', 'us-east-1b', 1)]);
      },
      `${SUBNET_A} does not give instances public IPs: turn it on with \`aws ec2 modify-subnet-attribute --subnet-id ${SUBNET_A} --map-public-ip-on-launch\``,
    ],
    [
      'a subnet in a zone that does not offer the instance type',
      () => {
        routeTables();
        subnetsExist([subnet(SUBNET_A, '10.0.0.0/24', 'us-east-1a', 0), subnet(SUBNET_B, '10.0.1.0/24', 'us-east-1e', 1)]);
      },
      `${SUBNET_B} is in us-east-1e, which is not an availability zone of us-east-1 offering t3.small (those are: us-east-1a, us-east-1b, us-east-1c)`,
    ],
    [
      'a subnet in a Local Zone, even one that offers the type',
      () => {
        routeTables();
        subnetsExist([subnet(SUBNET_A, '10.0.0.0/24', 'us-east-1a', 0), subnet(SUBNET_B, '10.0.1.0/24', LOCAL_ZONE, 1)]);
      },
      `${SUBNET_B} is in ${LOCAL_ZONE}, which is not an availability zone of us-east-1`,
    ],
  ])('refuses %s, naming the subnet and the reason, before anything is made', async (_what, given, message) => {
    // GIVEN t3.small offered in a, b, c and the Local Zone
    offering('us-east-1a', 'us-east-1b', 'us-east-1c', LOCAL_ZONE);
    given();
    // WHEN the reused subnets are verified
    const err = await failure(run(reuse()));
    // THEN it is bad input on that subnet's entry, and nothing was changed
    expect(isWizardError(err, 'INPUT_INVALID')).toBe(true);
    expect(err.problems).toContainEqual({ path: expect.stringMatching(/^network\.subnetIds\.[01]$/), message: expect.stringContaining(message) });
    expect(err.problems.map((p) => p.path).every((p) => /^network\.subnetIds\.[01]$/.test(p))).toBe(true);
    expect(ec2.calls().map((c) => (c.args[0] as object).constructor.name).filter((n) => !/^Describe/.test(n))).toEqual([]);
  });
});

describe('internet gateway step (scripted AWS)', () => {
  const outputs = { vpc: VPC };

  it('creates a tagged gateway and attaches it to the VPC', async () => {
    const t = testStack({ stack: 'net' });
    ec2.on(CreateInternetGatewayCommand).resolves({ InternetGateway: { InternetGatewayId: IGW, Attachments: [] } });
    ec2.on(AttachInternetGatewayCommand).resolves({});
    const { ctx, notes } = stepContext(t.env, { outputs });
    expect(await internetGatewayStep.create(ctx)).toEqual({ internetGatewayId: IGW });
    expect(notes).toEqual([{ internetGatewayId: IGW }]);
    expect(ec2.commandCalls(CreateInternetGatewayCommand)[0]!.args[0].input.TagSpecifications![0]!.Tags).toContainEqual({ Key: 'Name', Value: 'net-igw' });
    expect(ec2.commandCalls(AttachInternetGatewayCommand)[0]!.args[0].input).toEqual({ InternetGatewayId: IGW, VpcId: VPC.vpcId });
  });

  it('finds the gateway by tag when the recorded one is gone, re-attaches it if detached, and leaves an attached one alone', async () => {
    const t = testStack({ stack: 'net' });
    ec2.on(DescribeInternetGatewaysCommand).resolves({ InternetGateways: [{ InternetGatewayId: IGW, Attachments: [] }] });
    ec2.on(DescribeInternetGatewaysCommand, { InternetGatewayIds: ['igw-0000000000000dead'] }).rejects(await sdkError(EC2Client, DescribeInternetGatewaysCommand, 'InvalidInternetGatewayID.NotFound', 'The internetGateway ID \'igw-0000000000000dead\' does not exist'));
    ec2.on(AttachInternetGatewayCommand).resolves({});
    const { ctx } = stepContext(t.env, { outputs, recorded: { internetGatewayId: 'igw-0000000000000dead' }, repair: false });
    // a read-only find (dry-run, discover, destroy) reports it and changes nothing
    expect(await internetGatewayStep.find(ctx)).toEqual({ internetGatewayId: IGW });
    expect(ec2.commandCalls(AttachInternetGatewayCommand)).toHaveLength(0);
    // a real create's find re-attaches it
    expect(await internetGatewayStep.find(repairing(ctx))).toEqual({ internetGatewayId: IGW });
    expect(ec2.commandCalls(AttachInternetGatewayCommand)).toHaveLength(1);

    ec2.reset();
    ec2.on(DescribeInternetGatewaysCommand).resolves({ InternetGateways: [{ InternetGatewayId: IGW, Attachments: [{ VpcId: VPC.vpcId, State: ATTACHED }] }] });
    await internetGatewayStep.find(repairing(ctx));
    expect(ec2.commandCalls(AttachInternetGatewayCommand)).toHaveLength(0);
  });

  it('reports a gateway attached to another VPC as drift', async () => {
    const t = testStack({ stack: 'net' });
    ec2.on(DescribeInternetGatewaysCommand).resolves({ InternetGateways: [{ InternetGatewayId: IGW, Attachments: [{ VpcId: 'vpc-0ffffffffffffffff', State: ATTACHED }] }] });
    const err = await failure(internetGatewayStep.find(repairing(stepContext(t.env, { outputs }).ctx)));
    expect(isWizardError(err, 'DRIFT')).toBe(true);
  });

  it('destroy detaches (tolerating NotAttached) and deletes, retrying DependencyViolation', async () => {
    const t = testStack({ stack: 'net' });
    await t.state.put({ stepId: 'internet-gateway', status: 'created', outputs: { internetGatewayId: IGW }, updatedAt: 'x' });
    ec2.on(DescribeInternetGatewaysCommand).resolves({ InternetGateways: [{ InternetGatewayId: IGW, Attachments: [{ VpcId: VPC.vpcId, State: ATTACHED }] }] });
    ec2.on(DetachInternetGatewayCommand).rejectsOnce(await sdkError(EC2Client, DetachInternetGatewayCommand, 'DependencyViolation', 'resource has a dependent object')).rejects(await sdkError(EC2Client, DetachInternetGatewayCommand, 'Gateway.NotAttached', 'resource igw-0123456789abcdef0 is not attached to network vpc-0123456789abcdef0'));
    ec2.on(DeleteInternetGatewayCommand).rejectsOnce(await sdkError(EC2Client, DeleteInternetGatewayCommand, 'DependencyViolation', 'resource has a dependent object')).rejectsOnce(await sdkError(EC2Client, DeleteInternetGatewayCommand, 'DependencyViolation', 'resource has a dependent object')).resolves({});
    const r = await runDestroy([alone(internetGatewayStep)], { env: t.env, state: t.state });
    expect(r.results[0]!.outcome).toBe('destroyed');
    expect(ec2.commandCalls(DetachInternetGatewayCommand)).toHaveLength(2);
    expect(ec2.commandCalls(DeleteInternetGatewayCommand)).toHaveLength(3);
  });

  it('destroy of a gateway that is already gone is success', async () => {
    const t = testStack({ stack: 'net' });
    await t.state.put({ stepId: 'internet-gateway', status: 'created', outputs: { internetGatewayId: IGW }, updatedAt: 'x' });
    ec2.on(DescribeInternetGatewaysCommand).rejects(await sdkError(EC2Client, DescribeInternetGatewaysCommand, 'InvalidInternetGatewayID.NotFound', 'The internetGateway ID \'igw-0000000000000dead\' does not exist'));
    const r = await runDestroy([alone(internetGatewayStep)], { env: t.env, state: t.state });
    expect(r.ok).toBe(true);
    expect(ec2.commandCalls(DeleteInternetGatewayCommand)).toHaveLength(0);
  });
});

describe('route table step (scripted AWS)', () => {
  const outputs = { vpc: VPC, subnets: { subnetIds: [SUBNET_A, SUBNET_B], availabilityZones: ['us-east-1a', 'us-east-1b'] }, 'internet-gateway': { internetGatewayId: IGW } };

  it('creates a tagged table with the default route to the gateway, associated with every subnet', async () => {
    const t = testStack({ stack: 'net' });
    ec2.on(CreateRouteTableCommand).resolves({ RouteTable: { RouteTableId: RTB, Routes: [{ DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local' }], Associations: [] } });
    ec2.on(CreateRouteCommand).resolves({ Return: true });
    ec2.on(AssociateRouteTableCommand, { SubnetId: SUBNET_A }).resolves({ AssociationId: 'rtbassoc-a' });
    ec2.on(AssociateRouteTableCommand, { SubnetId: SUBNET_B }).resolves({ AssociationId: 'rtbassoc-b' });
    expect(await routeTableStep.create(stepContext(t.env, { outputs }).ctx)).toEqual({ routeTableId: RTB, associationIds: ['rtbassoc-a', 'rtbassoc-b'] });
    expect(ec2.commandCalls(CreateRouteTableCommand)[0]!.args[0].input.TagSpecifications![0]!.Tags).toContainEqual({ Key: 'Name', Value: 'net-public' });
    expect(ec2.commandCalls(CreateRouteCommand)[0]!.args[0].input).toEqual({ RouteTableId: RTB, DestinationCidrBlock: '0.0.0.0/0', GatewayId: IGW });
  });

  it('repairs the table it finds (missing association, route to a replaced gateway) instead of making a second one', async () => {
    // GIVEN the stack's table (found by tag) serves one subnet and routes to a gateway that was replaced
    const t = testStack({ stack: 'net' });
    ec2.on(DescribeRouteTablesCommand).resolves({
      RouteTables: [
        {
          RouteTableId: RTB,
          Routes: [{ DestinationCidrBlock: '0.0.0.0/0', GatewayId: 'igw-0000000000000dead', State: 'blackhole' }],
          Associations: [{ RouteTableAssociationId: 'rtbassoc-a', SubnetId: SUBNET_A, Main: false, AssociationState: { State: 'associated' } }],
        },
      ],
    });
    ec2.on(AssociateRouteTableCommand).resolves({ AssociationId: 'rtbassoc-b' });
    ec2.on(ReplaceRouteCommand).resolves({});
    const { ctx } = stepContext(t.env, { outputs, repair: false });
    // WHEN a read-only find looks, THEN it reports the table as it is and changes nothing
    expect(await routeTableStep.find(ctx)).toEqual({ routeTableId: RTB, associationIds: ['rtbassoc-a'] });
    expect(ec2.commandCalls(AssociateRouteTableCommand)).toHaveLength(0);
    // WHEN a real create finds it
    const out = await routeTableStep.find(repairing(ctx));
    // THEN only the missing association and the stale route were fixed
    expect(out).toEqual({ routeTableId: RTB, associationIds: ['rtbassoc-a', 'rtbassoc-b'] });
    expect(ec2.commandCalls(AssociateRouteTableCommand).map((c) => c.args[0].input.SubnetId)).toEqual([SUBNET_B]);
    expect(ec2.commandCalls(ReplaceRouteCommand)[0]!.args[0].input.GatewayId).toBe(IGW);
    expect(ec2.commandCalls(CreateRouteTableCommand)).toHaveLength(0);
    expect(ec2.commandCalls(CreateRouteCommand)).toHaveLength(0);
  });

  it('destroy disassociates every subnet, then deletes the table; a table already gone is success', async () => {
    const t = testStack({ stack: 'net' });
    await t.state.put({ stepId: 'route-table', status: 'created', outputs: { routeTableId: RTB, associationIds: ['rtbassoc-a', 'rtbassoc-b'] }, updatedAt: 'x' });
    ec2.on(DescribeRouteTablesCommand).resolves({
      RouteTables: [
        {
          RouteTableId: RTB,
          Associations: [
            { RouteTableAssociationId: 'rtbassoc-a', SubnetId: SUBNET_A, Main: false },
            { RouteTableAssociationId: 'rtbassoc-b', SubnetId: SUBNET_B, Main: false },
          ],
        },
      ],
    });
    ec2.on(DisassociateRouteTableCommand, { AssociationId: 'rtbassoc-b' }).rejects(await sdkError(EC2Client, DisassociateRouteTableCommand, 'InvalidAssociationID.NotFound', 'The association ID \'rtbassoc-b\' does not exist'));
    ec2.on(DisassociateRouteTableCommand).resolves({});
    ec2.on(DeleteRouteTableCommand).resolves({});
    expect((await runDestroy([alone(routeTableStep)], { env: t.env, state: t.state })).ok).toBe(true);
    expect(ec2.commandCalls(DisassociateRouteTableCommand).map((c) => c.args[0].input.AssociationId)).toEqual(['rtbassoc-a', 'rtbassoc-b']);
    expect(ec2.commandCalls(DeleteRouteTableCommand)).toHaveLength(1);

    ec2.reset();
    ec2.on(DescribeRouteTablesCommand).rejects(await sdkError(EC2Client, DescribeRouteTablesCommand, 'InvalidRouteTableID.NotFound', 'The routeTable ID \'rtb-0123456789abcdef0\' does not exist'));
    await t.state.put({ stepId: 'route-table', status: 'created', outputs: { routeTableId: RTB, associationIds: [] }, updatedAt: 'x' });
    expect((await runDestroy([alone(routeTableStep)], { env: t.env, state: t.state })).ok).toBe(true);
    expect(ec2.commandCalls(DeleteRouteTableCommand)).toHaveLength(0);
  });
});

describe('security defaults', () => {
  it('opens no SSH unless instances.sshCidr is given, and lets the instances be reached only from the ALB group', () => {
    // GIVEN default answers (no sshCidr)
    const plain = testStack({ stack: 'net' }).answers;
    // THEN the instance group has exactly one rule: the dynamic host ports, from the ALB group, no CIDR
    const rules = instanceIngressRules(plain, ALB_SG);
    expect(rules).toEqual([expect.objectContaining({ protocol: 'tcp', fromPort: 32768, toPort: 65535, groupId: ALB_SG })]);
    expect(rules.some((r) => r.cidr !== undefined || r.fromPort === 22)).toBe(false);

    // GIVEN an sshCidr
    const ssh = testStack({ stack: 'net', instances: { sshCidr: '192.0.2.0/24', keyName: 'ops' } }).answers;
    // THEN port 22 opens from that CIDR only
    expect(instanceIngressRules(ssh, ALB_SG).filter((r) => r.fromPort === 22)).toEqual([expect.objectContaining({ toPort: 22, cidr: '192.0.2.0/24' })]);
  });

  it('the ALB group admits the listener port from each ingress CIDR and nothing else', () => {
    const a = testStack({ stack: 'net', loadBalancer: { listenerPort: 443, ingressCidrs: ['203.0.113.0/24', '198.51.100.7/32'] } }).answers;
    expect(albIngressRules(a).map((r) => [r.fromPort, r.toPort, r.cidr])).toEqual([
      [443, 443, '203.0.113.0/24'],
      [443, 443, '198.51.100.7/32'],
    ]);
  });

  it('diffs grouped AWS permissions against wanted rules exactly', () => {
    const actual = rulesOf([
      { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0' }, { CidrIp: '10.0.0.0/8' }] },
      { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, UserIdGroupPairs: [{ GroupId: ALB_SG }] },
    ]);
    const wanted = [{ protocol: 'tcp', fromPort: 80, toPort: 80, cidr: '0.0.0.0/0' }, { protocol: 'tcp', fromPort: 8080, toPort: 8080, cidr: '0.0.0.0/0' }];
    const d = diffRules(actual, wanted);
    expect(d.authorize.map((r) => r.fromPort)).toEqual([8080]);
    expect(d.revoke.map((r) => [r.fromPort, r.cidr ?? r.groupId])).toEqual([
      [80, '10.0.0.0/8'],
      [22, ALB_SG],
    ]);
  });

  it('checks CIDR containment and overlap', () => {
    expect(cidrContains('10.0.0.0/16', '10.0.255.0/24')).toBe(true);
    expect(cidrContains('10.0.0.0/16', '10.1.0.0/24')).toBe(false);
    expect(cidrContains('10.0.0.0/16', '10.0.0.0/8')).toBe(false);
    expect(cidrsOverlap('10.0.0.0/23', '10.0.1.0/24')).toBe(true);
    expect(cidrsOverlap('10.0.0.0/24', '10.0.1.0/24')).toBe(false);
  });
});

describe('security group steps (scripted AWS)', () => {
  const outputs = { vpc: VPC, 'alb-security-group': { groupId: ALB_SG, groupName: 'net-alb' } };

  it('creates the instance group tagged, in the VPC, with the SG-to-SG rule and no CIDR rule', async () => {
    const t = testStack({ stack: 'net' });
    ec2.on(CreateSecurityGroupCommand).resolves({ GroupId: INST_SG });
    ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({});
    const out = await instanceSecurityGroupStep.create(stepContext(t.env, { outputs }).ctx);
    expect(out).toEqual({ groupId: INST_SG, groupName: 'net-instances' });
    const create = ec2.commandCalls(CreateSecurityGroupCommand)[0]!.args[0].input;
    expect(create).toMatchObject({ GroupName: 'net-instances', VpcId: VPC.vpcId });
    expect(create.TagSpecifications![0]!.Tags).toContainEqual({ Key: 'ecs-wizard:stack', Value: 'net' });
    const perms = ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)[0]!.args[0].input.IpPermissions!;
    expect(perms).toHaveLength(1);
    expect(perms[0]).toMatchObject({ IpProtocol: 'tcp', FromPort: 32768, ToPort: 65535, UserIdGroupPairs: [expect.objectContaining({ GroupId: ALB_SG })] });
    expect(perms[0]!.IpRanges).toBeUndefined();
  });

  it('finds the group by name and VPC when the recorded id is gone, and changes nothing when its rules are right', async () => {
    const t = testStack({ stack: 'net' });
    ec2.on(DescribeSecurityGroupsCommand).resolves({
      SecurityGroups: [{ GroupId: ALB_SG, GroupName: 'net-alb', VpcId: VPC.vpcId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }],
    });
    ec2.on(DescribeSecurityGroupsCommand, { GroupIds: ['sg-0000000000000dead'] }).rejects(await sdkError(EC2Client, DescribeSecurityGroupsCommand, 'InvalidGroup.NotFound', 'The security group \'sg-0000000000000dead\' does not exist'));
    const { ctx } = stepContext(t.env, { outputs, recorded: { groupId: 'sg-0000000000000dead' } });
    const found = await albSecurityGroupStep.find(repairing(ctx));
    expect(found).toEqual({ groupId: ALB_SG, groupName: 'net-alb' });
    const byName = ec2.commandCalls(DescribeSecurityGroupsCommand).find((c) => c.args[0].input.Filters);
    expect(byName!.args[0].input.Filters).toEqual([
      { Name: 'group-name', Values: ['net-alb'] },
      { Name: 'vpc-id', Values: [VPC.vpcId] },
    ]);
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)).toHaveLength(0);
    expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand)).toHaveLength(0);
  });

  it('converges drifted rules: revokes an SSH rule nobody asked for and restores the missing one', async () => {
    const t = testStack({ stack: 'net' });
    ec2.on(DescribeSecurityGroupsCommand).resolves({
      SecurityGroups: [{ GroupId: INST_SG, GroupName: 'net-instances', VpcId: VPC.vpcId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }],
    });
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({});
    ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({});
    await instanceSecurityGroupStep.find(repairing(stepContext(t.env, { outputs, recorded: { groupId: INST_SG } }).ctx));
    expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand)[0]!.args[0].input.IpPermissions).toEqual([
      { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
    ]);
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)[0]!.args[0].input.IpPermissions![0]!.UserIdGroupPairs![0]!.GroupId).toBe(ALB_SG);
  });

  it('Service Connect turned off: the hosts\' rule naming their own group is revoked as EC2 holds it (its description too: moto matches a group pair only with it)', async () => {
    // GIVEN the instance group with the ALB's rule and the host-to-host one, as EC2 groups them (one permission, two pairs)
    const t = testStack({ stack: 'net' });
    const pairs = [
      { GroupId: ALB_SG, UserId: '123456789012', Description: 'ecs-wizard: container host ports from the load balancer' },
      { GroupId: INST_SG, UserId: '123456789012', Description: 'ecs-wizard: Service Connect proxies on the host ports, host to host' },
    ];
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: INST_SG, GroupName: 'net-instances', VpcId: VPC.vpcId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 32768, ToPort: 65535, UserIdGroupPairs: pairs }] }] });
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({});
    // WHEN a stack without discovery finds it
    await instanceSecurityGroupStep.find(repairing(stepContext(t.env, { outputs, recorded: { groupId: INST_SG } }).ctx));
    // THEN only the host-to-host pair goes, named with its description; nothing is authorized
    expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand).map((c) => c.args[0].input.IpPermissions)).toEqual([
      [{ IpProtocol: 'tcp', FromPort: 32768, ToPort: 65535, UserIdGroupPairs: [{ GroupId: INST_SG, Description: 'ecs-wizard: Service Connect proxies on the host ports, host to host' }] }],
    ]);
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)).toHaveLength(0);
  });

  it('a dry run reports a drifted group as existing and changes nothing; a real run converges it', async () => {
    // GIVEN the ALB group exists with a rule nobody asked for
    const t = testStack({ stack: 'net' });
    ec2.on(DescribeSecurityGroupsCommand).resolves({
      SecurityGroups: [{ GroupId: ALB_SG, GroupName: 'net-alb', VpcId: VPC.vpcId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }],
    });
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({});
    ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({});
    const vpcFound = { id: 'vpc', title: 'VPC', dependsOn: [], find: async () => VPC as Outputs, create: async () => VPC as Outputs };
    // WHEN a dry run plans it
    const dry = await runCreate([vpcFound, albSecurityGroupStep], { env: t.env, state: t.state, dryRun: true });
    // THEN it exists and no mutating call was made
    expect(dry.results[1]!.outcome).toBe('exists');
    expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand)).toHaveLength(0);
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)).toHaveLength(0);
    // WHEN a real run follows, THEN the stray rule goes and the listener rule comes
    const real = await runCreate([vpcFound, albSecurityGroupStep], { env: t.env, state: t.state });
    expect(real.results[1]!.outcome).toBe('exists');
    expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand)).toHaveLength(1);
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)[0]!.args[0].input.IpPermissions![0]).toMatchObject({ FromPort: 80, IpRanges: [expect.objectContaining({ CidrIp: '0.0.0.0/0' })] });
  });

  it('destroy revokes the instances\' rule naming the ALB\'s group, retries DependencyViolation while ENIs linger, and counts a group already gone as deleted', async () => {
    // GIVEN both groups recorded; the instances' group allows the dynamic ports from the ALB's group
    const t = testStack({ stack: 'net' });
    await t.state.put({ stepId: 'alb-security-group', status: 'created', outputs: { groupId: ALB_SG, groupName: 'net-alb' }, updatedAt: 'x' });
    await t.state.put({ stepId: 'instance-security-group', status: 'created', outputs: { groupId: INST_SG, groupName: 'net-instances' }, updatedAt: 'x' });
    const referencing = { GroupId: INST_SG, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 32768, ToPort: 65535, UserIdGroupPairs: [{ GroupId: ALB_SG }] }, { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] };
    ec2.on(DescribeSecurityGroupsCommand).callsFake((input: { Filters?: { Name: string; Values: string[] }[] }) => ({
      SecurityGroups: input.Filters?.some((f) => f.Name === 'ip-permission.group-id' && f.Values.includes(ALB_SG)) ? [referencing] : [],
    }));
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({});
    // AND the ALB's group refuses deletion 3 times (its ENIs linger), the instances' group is gone already
    ec2.on(DeleteSecurityGroupCommand, { GroupId: ALB_SG }).rejectsOnce(await sdkError(EC2Client, DeleteSecurityGroupCommand, 'DependencyViolation', 'resource has a dependent object')).rejectsOnce(await sdkError(EC2Client, DeleteSecurityGroupCommand, 'DependencyViolation', 'resource has a dependent object')).rejectsOnce(await sdkError(EC2Client, DeleteSecurityGroupCommand, 'DependencyViolation', 'resource has a dependent object')).resolves({});
    ec2.on(DeleteSecurityGroupCommand, { GroupId: INST_SG }).rejects(await sdkError(EC2Client, DeleteSecurityGroupCommand, 'InvalidGroup.NotFound', 'The security group \'sg-0000000000000dead\' does not exist'));

    // WHEN both are destroyed
    const r = await runDestroy([alone(albSecurityGroupStep), { ...instanceSecurityGroupStep, dependsOn: ['alb-security-group'] }], { env: t.env, state: t.state });

    // THEN both are destroyed; only the rule naming the ALB's group was revoked, before the ALB's group was deleted
    expect(r.results.map((x) => x.outcome)).toEqual(['destroyed', 'destroyed']);
    const revokes = ec2.commandCalls(RevokeSecurityGroupIngressCommand).map((c) => c.args[0].input);
    expect(revokes).toEqual([{ GroupId: INST_SG, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 32768, ToPort: 65535, UserIdGroupPairs: [{ GroupId: ALB_SG }] }] }]);
    const names = ec2.calls().map((c) => `${(c.args[0] as object).constructor.name}:${(c.args[0].input as { GroupId?: string }).GroupId ?? ''}`);
    expect(names.indexOf(`RevokeSecurityGroupIngressCommand:${INST_SG}`)).toBeLessThan(names.indexOf(`DeleteSecurityGroupCommand:${ALB_SG}`));
    expect(ec2.commandCalls(DeleteSecurityGroupCommand, { GroupId: ALB_SG })).toHaveLength(4);
    // AND the lookup only asked for the stack's own groups
    expect(ec2.commandCalls(DescribeSecurityGroupsCommand)[0]!.args[0].input.Filters).toContainEqual({ Name: 'tag:ecs-wizard:stack', Values: ['net'] });
  });
});
