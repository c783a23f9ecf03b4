import { CreateSubnetCommand, DeleteSubnetCommand, DescribeRouteTablesCommand, DescribeSubnetsCommand, EC2Client, type Filter, type Subnet } from '@aws-sdk/client-ec2';
import { WizardError, inputError, type Problem } from '../../errors.js';
import { poll } from '../../aws/poll.js';
import { STACK_TAG } from '../../aws/tags.js';
import type { ResourceStep, StepContext } from '../../engine/types.js';
import { deleteIgnoringNotFound, noteCreated } from '../common.js';
import type { StackEnv } from '../env.js';
import type { PrivateSubnetsOutputs, SubnetsOutputs, VpcOutputs } from '../outputs.js';
import { isPrivateSubnetName, routeTableOf, zonesOffering } from './subnets.js';

type Ctx = StepContext<StackEnv>;

/**
 * Private subnets for the instances (network.instanceSubnets: private): one per public subnet, in
 * the same zone, at network.privateSubnetCidrs. No public IPs on launch; their route table sends
 * 0.0.0.0/0 to a NAT gateway. The load balancer stays in the public subnets.
 */

async function describeSubnets(ec2: EC2Client, filters: Filter[]): Promise<Subnet[]> {
  return (await ec2.send(new DescribeSubnetsCommand({ Filters: filters }))).Subnets ?? [];
}

const nameOf = (s: Subnet): string | undefined => s.Tags?.find((t) => t.Key === 'Name')?.Value;

/** The stack's private subnets, by recorded ids then by tag and Name, each at its index; DRIFT where CIDR or zone differ. */
async function stackPrivateSubnets(ctx: Ctx, ec2: EC2Client, vpcId: string): Promise<Map<number, Subnet>> {
  const { names, answers } = ctx.env;
  const wanted = answers.network.privateSubnetCidrs ?? [];
  const recorded = (ctx.recorded?.subnetIds as string[] | undefined) ?? [];
  const found = recorded.length ? await describeSubnets(ec2, [{ Name: 'subnet-id', Values: recorded }, { Name: 'vpc-id', Values: [vpcId] }]) : [];
  if (found.length < wanted.length) {
    const byTag = await describeSubnets(ec2, [{ Name: `tag:${STACK_TAG}`, Values: [names.stack] }, { Name: 'vpc-id', Values: [vpcId] }]);
    for (const s of byTag) if (isPrivateSubnetName(names, nameOf(s)) && !found.some((f) => f.SubnetId === s.SubnetId)) found.push(s);
  }
  const placed = new Map<number, Subnet>();
  const drift: string[] = [];
  for (const s of found) {
    const byName = wanted.findIndex((_, i) => nameOf(s) === names.privateSubnet(i));
    const index = byName >= 0 ? byName : wanted.indexOf(s.CidrBlock ?? '');
    if (index < 0) drift.push(`subnet ${s.SubnetId} (${nameOf(s) ?? s.CidrBlock}) belongs to the stack but is not among network.privateSubnetCidrs`);
    else if (s.CidrBlock !== wanted[index]) drift.push(`subnet ${s.SubnetId} (${nameOf(s)}) has CIDR ${s.CidrBlock}, the answers ask for ${wanted[index]}`);
    else if (!placed.has(index)) placed.set(index, s);
  }
  if (drift.length) {
    throw new WizardError('DRIFT', `The private subnets of stack "${names.stack}" differ from the answers; a subnet's CIDR cannot change:\n  ${drift.join('\n  ')}`, {
      hint: `Make network.privateSubnetCidrs match the existing subnets, or run \`ecs-wizard destroy ${names.stack}\` first to rebuild the stack.`,
    });
  }
  return placed;
}

function outputsOf(placed: Map<number, Subnet>): PrivateSubnetsOutputs {
  const list = [...placed.entries()].sort(([a], [b]) => a - b).map(([, s]) => s);
  return { subnetIds: list.map((s) => s.SubnetId!), availabilityZones: list.map((s) => s.AvailabilityZone!) };
}

/** Creates the missing private subnets, each in its public twin's zone, and waits until they are available. */
async function ensurePrivateSubnets(ctx: Ctx, placed: Map<number, Subnet>): Promise<PrivateSubnetsOutputs> {
  const ec2 = ctx.env.aws.get(EC2Client);
  const { answers, names } = ctx.env;
  const { vpcId } = ctx.output<VpcOutputs>('vpc');
  const publicZones = ctx.output<SubnetsOutputs>('subnets').availabilityZones;
  const cidrs = answers.network.privateSubnetCidrs ?? [];
  const created: string[] = [];
  for (const [index, cidr] of cidrs.entries()) {
    if (placed.has(index)) continue;
    const r = await ec2.send(
      new CreateSubnetCommand({
        VpcId: vpcId,
        CidrBlock: cidr,
        AvailabilityZone: publicZones[index],
        TagSpecifications: [{ ResourceType: 'subnet', Tags: ctx.env.tags(names.privateSubnet(index)) }],
      }),
    );
    placed.set(index, r.Subnet!);
    created.push(r.Subnet!.SubnetId!);
    noteCreated(ctx, r.Subnet!.SubnetId!);
    // Each id at once: a crash between two creates must not lose the first subnet.
    await ctx.note({ ...outputsOf(placed) });
  }
  if (created.length) {
    await poll(
      async () => {
        const now = await describeSubnets(ec2, [{ Name: 'subnet-id', Values: created }]);
        return now.length === created.length && now.every((s) => s.State === 'available')
          ? { done: true, value: undefined }
          : { done: false, waitingFor: `waiting for private subnets ${created.join(', ')} to become available` };
      },
      { timing: ctx.env.timing, signal: ctx.signal, progress: ctx.progress },
    );
  }
  return outputsOf(placed);
}

export const privateSubnetsStep: ResourceStep<StackEnv> = {
  id: 'private-subnets',
  title: 'Private subnets',
  // The public subnets are needed for their zones only: AWS lets either go first.
  dependsOn: ['vpc', 'subnets'],
  teardown: { mayGoFirst: ['subnets'] },
  async find(ctx) {
    const placed = await stackPrivateSubnets(ctx, ctx.env.aws.get(EC2Client), ctx.output<VpcOutputs>('vpc').vpcId);
    if (!placed.size) return undefined;
    // A partial set (a create cut short) is still reported, so destroy removes it; a real create completes it.
    return { ...(ctx.repair ? await ensurePrivateSubnets(ctx, placed) : outputsOf(placed)) };
  },
  async create(ctx) {
    return { ...(await ensurePrivateSubnets(ctx, new Map())) };
  },
  async destroy(ctx, outputs) {
    const ec2 = ctx.env.aws.get(EC2Client);
    const ids = (outputs.subnetIds as string[] | undefined) ?? [];
    await Promise.all(ids.map((id) => deleteIgnoringNotFound(ctx, () => ec2.send(new DeleteSubnetCommand({ SubnetId: id })), `subnet ${id} to be free of network interfaces`)));
  },
};

/** A NAT gateway route: 0.0.0.0/0 → nat-… that is not a blackhole. */
const toNat = (routes: { DestinationCidrBlock?: string; NatGatewayId?: string; State?: string }[] | undefined): boolean =>
  (routes ?? []).some((r) => r.DestinationCidrBlock === '0.0.0.0/0' && r.NatGatewayId?.startsWith('nat-') === true && r.State !== 'blackhole');

/**
 * Private subnets the user chose in an existing VPC (network.privateSubnetIds): verified before
 * anything is made, never created, changed or deleted. Each must be in the VPC, route 0.0.0.0/0 to
 * a NAT gateway (the instances reach ECS and ECR through it), and sit in a zone that offers the
 * instance type and holds one of the load balancer's subnets (an ALB sends nothing to targets in
 * zones it is not in).
 */
export const existingPrivateSubnetsStep: ResourceStep<StackEnv> = {
  id: 'private-subnets',
  title: 'Private subnets (existing)',
  dependsOn: ['vpc', 'subnets'],
  external: true,
  async find(ctx) {
    const ec2 = ctx.env.aws.get(EC2Client);
    const ids = ctx.env.answers.network.privateSubnetIds ?? [];
    const { vpcId } = ctx.output<VpcOutputs>('vpc');
    const albZones = ctx.output<SubnetsOutputs>('subnets').availabilityZones;
    const type = ctx.env.answers.instances.instanceType;
    const found = ids.length ? await describeSubnets(ec2, [{ Name: 'subnet-id', Values: ids }]) : [];
    const byId = new Map(found.map((s) => [s.SubnetId!, s]));
    const problems: Problem[] = [];
    const absent = ids.filter((id) => !byId.has(id));
    if (absent.length) problems.push({ path: 'network.privateSubnetIds', message: `${absent.join(', ')} ${absent.length === 1 ? 'does' : 'do'} not exist in ${ctx.env.region}` });
    const [tables, offered] = await Promise.all([
      ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] })).then((r) => r.RouteTables ?? []),
      zonesOffering(ec2, type),
    ]);
    for (const [i, id] of ids.entries()) {
      const s = byId.get(id);
      if (!s) continue;
      const path = `network.privateSubnetIds.${i}`;
      if (s.VpcId !== vpcId) {
        problems.push({ path, message: `${id} is in ${s.VpcId}, not in network.vpcId ${vpcId}` });
        continue;
      }
      const table = routeTableOf(tables, id);
      if (!toNat(table?.Routes)) {
        problems.push({ path, message: `${id} has no route to a NAT gateway (0.0.0.0/0 → nat-… in ${table?.RouteTableId ?? 'no route table'}): instances there could not reach ECS and ECR` });
      }
      if (!offered.includes(s.AvailabilityZone ?? '')) {
        problems.push({ path, message: `${id} is in ${s.AvailabilityZone}, which is not an availability zone of ${ctx.env.region} offering ${type} (those are: ${offered.join(', ') || 'none'})` });
      } else if (!albZones.includes(s.AvailabilityZone!)) {
        problems.push({ path, message: `${id} is in ${s.AvailabilityZone}, where the load balancer has no subnet (network.subnetIds are in ${albZones.join(', ')}): it would send no traffic there` });
      }
    }
    if (problems.length) throw inputError(problems);
    return { subnetIds: ids, availabilityZones: ids.map((id) => byId.get(id)!.AvailabilityZone!) } satisfies PrivateSubnetsOutputs;
  },
  async create() {
    throw new WizardError('INPUT_INVALID', 'Existing subnets are never created.');
  },
};
