import {
  CreateSubnetCommand,
  DeleteSubnetCommand,
  DescribeAvailabilityZonesCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  EC2Client,
  ModifySubnetAttributeCommand,
  paginateDescribeInstanceTypeOfferings,
  type Filter,
  type RouteTable,
  type Subnet,
} from '@aws-sdk/client-ec2';
import { WizardError, inputError, type Problem } from '../../errors.js';
import { poll } from '../../aws/poll.js';
import { STACK_TAG } from '../../aws/tags.js';
import type { ResourceStep, StepContext } from '../../engine/types.js';
import { cidrContains, cidrsOverlap } from './cidr.js';
import { deleteIgnoringNotFound } from '../common.js';
import type { StackEnv } from '../env.js';
import type { StackNames } from '../names.js';
import type { SubnetsOutputs, VpcOutputs } from '../outputs.js';
import { plural } from '../../words.js';

type Ctx = StepContext<StackEnv>;

/** A subnet of the stack and the entry of network.subnetCidrs it stands for. */
interface Placed {
  index: number;
  subnet: Subnet;
}

async function describeSubnets(ec2: EC2Client, filters: Filter[]): Promise<Subnet[]> {
  const r = await ec2.send(new DescribeSubnetsCommand({ Filters: filters }));
  return r.Subnets ?? [];
}

function nameTag(s: Subnet): string | undefined {
  return s.Tags?.find((t) => t.Key === 'Name')?.Value;
}

function outputsOf(placed: Placed[]): SubnetsOutputs {
  return { subnetIds: placed.map((p) => p.subnet.SubnetId!), availabilityZones: placed.map((p) => p.subnet.AvailabilityZone!) };
}

/**
 * The stack's subnets in this VPC: by recorded ids, then by the stack tag (unless the recorded ids
 * already account for every subnet), each placed at its entry of network.subnetCidrs. A subnet
 * whose CIDR or zone differs from the answers cannot be changed in place: DRIFT.
 */
async function stackSubnets(ctx: Ctx, ec2: EC2Client, vpcId: string): Promise<Placed[]> {
  const { names, answers } = ctx.env;
  const wanted = answers.network.subnetCidrs;
  const recorded = (ctx.recorded?.subnetIds as string[] | undefined) ?? [];
  const byId = recorded.length
    ? await describeSubnets(ec2, [
        { Name: 'subnet-id', Values: recorded },
        { Name: 'vpc-id', Values: [vpcId] },
      ])
    : [];
  const subnets = [...byId];
  if (byId.length < wanted.length) {
    const byTag = await describeSubnets(ec2, [
      { Name: `tag:${STACK_TAG}`, Values: [names.stack] },
      { Name: 'vpc-id', Values: [vpcId] },
    ]);
    // The stack's private subnets carry the same tag: they are the private-subnets step's.
    for (const s of byTag) if (!subnets.some((o) => o.SubnetId === s.SubnetId) && !isPrivateSubnetName(names, nameTag(s))) subnets.push(s);
  }

  const drift: string[] = [];
  const placed = new Map<number, Subnet>();
  for (const s of subnets) {
    const byName = wanted.findIndex((_, i) => nameTag(s) === names.subnet(i));
    const index = byName >= 0 ? byName : wanted.indexOf(s.CidrBlock ?? '');
    if (index < 0) {
      drift.push(`subnet ${s.SubnetId} (${s.CidrBlock}) belongs to the stack but is not among network.subnetCidrs`);
    } else if (s.CidrBlock !== wanted[index]) {
      drift.push(`subnet ${s.SubnetId} (${nameTag(s) ?? 'unnamed'}) has CIDR ${s.CidrBlock}, the answers ask for ${wanted[index]}`);
    } else if (answers.network.availabilityZones?.[index] !== undefined && s.AvailabilityZone !== answers.network.availabilityZones[index]) {
      drift.push(`subnet ${s.SubnetId} is in ${s.AvailabilityZone}, the answers ask for ${answers.network.availabilityZones[index]}`);
    } else if (!placed.has(index)) {
      placed.set(index, s);
    }
  }
  if (drift.length) {
    throw new WizardError('DRIFT', `The subnets of stack "${names.stack}" differ from the answers; a subnet's CIDR and zone cannot change:\n  ${drift.join('\n  ')}`, {
      hint: `Make network.subnetCidrs (and availabilityZones) match the existing subnets, or run \`ecs-wizard destroy ${names.stack}\` first to rebuild the stack.`,
    });
  }
  return [...placed.entries()].sort(([a], [b]) => a - b).map(([index, subnet]) => ({ index, subnet }));
}

/** Every subnet CIDR must lie inside the VPC and not overlap another: checked before any create. */
function checkCidrs(ctx: Ctx, vpcCidr: string): void {
  const cidrs = ctx.env.answers.network.subnetCidrs;
  const problems: Problem[] = [];
  cidrs.forEach((c, i) => {
    if (!cidrContains(vpcCidr, c)) problems.push({ path: `network.subnetCidrs.${i}`, message: `${c} is not inside the VPC's CIDR ${vpcCidr}` });
    const other = cidrs.findIndex((o, j) => j < i && cidrsOverlap(o, c));
    if (other >= 0) problems.push({ path: `network.subnetCidrs.${i}`, message: `${c} overlaps ${cidrs[other]}` });
  });
  if (problems.length) throw inputError(problems);
}

/**
 * The availability zones of the region that offer the instance type, sorted. Only zones of type
 * "availability-zone": an account opted in to Local or Wavelength Zones sees them offer instance
 * types too, but an ALB and the stack's subnets belong in the region's own zones.
 */
export async function zonesOffering(ec2: EC2Client, instanceType: string): Promise<string[]> {
  const offerings = async (): Promise<Set<string>> => {
    const offered = new Set<string>();
    const pages = paginateDescribeInstanceTypeOfferings(
      { client: ec2 },
      { LocationType: 'availability-zone', Filters: [{ Name: 'instance-type', Values: [instanceType] }] },
    );
    for await (const page of pages) for (const o of page.InstanceTypeOfferings ?? []) if (o.Location) offered.add(o.Location);
    return offered;
  };
  const [offered, zones] = await Promise.all([
    offerings(),
    ec2.send(
      new DescribeAvailabilityZonesCommand({
        Filters: [
          { Name: 'zone-type', Values: ['availability-zone'] },
          { Name: 'state', Values: ['available'] },
        ],
      }),
    ),
  ]);
  return (zones.AvailabilityZones ?? [])
    .filter((z) => z.ZoneType === 'availability-zone' && z.ZoneName !== undefined && offered.has(z.ZoneName))
    .map((z) => z.ZoneName!)
    .sort();
}

/**
 * A zone for each missing subnet: the user's choice when given (verified), else the first zones
 * that offer the instance type and no other subnet of the stack uses. Instances launch in every
 * subnet of the ASG, so a zone without the type would fail the launch much later.
 */
async function chooseZones(ctx: Ctx, ec2: EC2Client, used: Set<string>, missing: number[]): Promise<string[]> {
  const { answers, region } = ctx.env;
  const type = answers.instances.instanceType;
  const n = answers.network.subnetCidrs.length;
  const offered = await zonesOffering(ec2, type);
  const given = answers.network.availabilityZones;
  if (given) {
    const problems: Problem[] = [];
    const lacking = given.filter((z) => !offered.includes(z));
    if (lacking.length) {
      problems.push({
        path: 'network.availabilityZones',
        message: `${lacking.join(', ')} ${lacking.length === 1 ? 'does' : 'do'} not offer ${type}; zones of ${region} that do: ${offered.join(', ') || 'none'}`,
      });
    }
    if (new Set(given).size !== given.length) problems.push({ path: 'network.availabilityZones', message: 'names a zone twice: each subnet needs its own zone' });
    if (given.length < n) problems.push({ path: 'network.availabilityZones', message: `lists ${plural(given.length, 'zone')} for ${plural(n, 'subnet')}: give one per entry of network.subnetCidrs` });
    if (problems.length) throw inputError(problems);
    return missing.map((i) => given[i]!);
  }
  if (offered.length < 2) {
    throw inputError([
      {
        path: 'instances.instanceType',
        message: `${type} is offered in ${offered.length ? `only one zone of ${region} (${offered[0]})` : `no zone of ${region}`}; a load balancer needs subnets in 2 zones`,
      },
    ]);
  }
  const free = offered.filter((z) => !used.has(z));
  if (free.length < missing.length) {
    throw inputError([
      { path: 'network.subnetCidrs', message: `${n} subnets need ${n} distinct zones offering ${type}, but ${region} has ${offered.length}: ${offered.join(', ')}` },
    ]);
  }
  return free.slice(0, missing.length);
}

/**
 * Brings the stack's subnets to the answers: creates the missing ones (a fresh create, or one cut
 * short) and turns on public IPs where they are off. Nothing is changed when all is right.
 */
async function ensureSubnets(ctx: Ctx, existing: Placed[]): Promise<SubnetsOutputs> {
  const ec2 = ctx.env.aws.get(EC2Client);
  const vpc = ctx.output<VpcOutputs>('vpc');
  const { answers, names } = ctx.env;
  const placed = [...existing];
  const missing = answers.network.subnetCidrs.map((_, i) => i).filter((i) => !placed.some((p) => p.index === i));
  if (missing.length) {
    checkCidrs(ctx, vpc.cidr);
    const zones = await chooseZones(ctx, ec2, new Set(placed.map((p) => p.subnet.AvailabilityZone!)), missing);
    for (const [k, index] of missing.entries()) {
      const r = await ec2.send(
        new CreateSubnetCommand({
          VpcId: vpc.vpcId,
          CidrBlock: answers.network.subnetCidrs[index],
          AvailabilityZone: zones[k],
          TagSpecifications: [{ ResourceType: 'subnet', Tags: ctx.env.tags(names.subnet(index)) }],
        }),
      );
      placed.push({ index, subnet: r.Subnet! });
      placed.sort((a, b) => a.index - b.index);
      // Record each id at once: a crash between two creates must not lose the first subnet.
      await ctx.note({ ...outputsOf(placed) });
    }
    await waitAvailable(ctx, ec2, placed);
  }
  for (const p of placed) {
    // Instances in these subnets need public IPs to reach ECS and ECR (there is no NAT gateway).
    if (p.subnet.MapPublicIpOnLaunch !== true) {
      await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: p.subnet.SubnetId, MapPublicIpOnLaunch: { Value: true } }));
    }
  }
  return outputsOf(placed);
}

async function waitAvailable(ctx: Ctx, ec2: EC2Client, placed: Placed[]): Promise<void> {
  const pending = placed.filter((p) => p.subnet.State !== 'available').map((p) => p.subnet.SubnetId!);
  if (!pending.length) return;
  await poll(
    async () => {
      const now = await describeSubnets(ec2, [{ Name: 'subnet-id', Values: pending }]);
      const waiting = now.filter((s) => s.State !== 'available');
      return waiting.length === 0 && now.length === pending.length
        ? { done: true, value: undefined }
        : { done: false, waitingFor: `waiting for subnets ${pending.join(', ')} to become available` };
    },
    { timing: ctx.env.timing, signal: ctx.signal, progress: ctx.progress },
  );
}

/** The stack's own public subnets, one per entry of network.subnetCidrs, in distinct zones. */
export const subnetsStep: ResourceStep<StackEnv> = {
  id: 'subnets',
  title: 'Subnets',
  dependsOn: ['vpc'],
  async find(ctx) {
    const placed = await stackSubnets(ctx, ctx.env.aws.get(EC2Client), ctx.output<VpcOutputs>('vpc').vpcId);
    if (!placed.length) return undefined;
    // A partial set (a create cut short) is still reported, so destroy removes it; a real create completes it.
    return { ...(ctx.repair ? await ensureSubnets(ctx, placed) : outputsOf(placed)) };
  },
  async create(ctx) {
    return { ...(await ensureSubnets(ctx, [])) };
  },
  async destroy(ctx, outputs) {
    const ec2 = ctx.env.aws.get(EC2Client);
    const ids = (outputs.subnetIds as string[] | undefined) ?? [];
    await Promise.all(
      ids.map((id) => deleteIgnoringNotFound(ctx, () => ec2.send(new DeleteSubnetCommand({ SubnetId: id })), `subnet ${id} to be free of network interfaces`)),
    );
  },
};

/** True for the Name tag of one of the stack's private subnets (`<stack>-private-<n>`). */
export function isPrivateSubnetName(names: StackNames, name: string | undefined): boolean {
  return name !== undefined && new RegExp(`^${names.privateSubnet(0).replace(/1$/, '')}\\d+$`).test(name);
}

/** The route table that decides a subnet's traffic: its own association, else the VPC's main table. */
export function routeTableOf(tables: RouteTable[], subnetId: string): RouteTable | undefined {
  return tables.find((t) => t.Associations?.some((a) => a.SubnetId === subnetId)) ?? tables.find((t) => t.Associations?.some((a) => a.Main));
}

const toInternet = (t: RouteTable | undefined): boolean =>
  (t?.Routes ?? []).some((r) => r.DestinationCidrBlock === '0.0.0.0/0' && r.GatewayId?.startsWith('igw-') === true && r.State !== 'blackhole');

/**
 * What a reused subnet must offer before anything is made: a route to an internet gateway (the
 * internet-facing ALB lives there, and the instances reach ECS and ECR through it), public IPs on
 * launch (the launch template gives the instances none of its own), and a zone — an availability
 * zone, not a Local Zone — that offers the instance type. ecs-wizard never changes these subnets.
 */
async function reachability(ctx: Ctx, subnets: Subnet[], vpcId: string): Promise<Problem[]> {
  const ec2 = ctx.env.aws.get(EC2Client);
  const type = ctx.env.answers.instances.instanceType;
  const [tables, offered] = await Promise.all([
    ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] })).then((r) => r.RouteTables ?? []),
    zonesOffering(ec2, type),
  ]);
  const problems: Problem[] = [];
  // With private instances these subnets hold only the load balancer: no public IPs on launch needed.
  const hostsInstances = ctx.env.answers.network.instanceSubnets !== 'private';
  for (const [i, s] of subnets.entries()) {
    const path = `network.subnetIds.${i}`;
    const id = s.SubnetId!;
    const table = routeTableOf(tables, id);
    if (!toInternet(table)) {
      problems.push({ path, message: `${id} has no route to an internet gateway (0.0.0.0/0 → igw-… in ${table?.RouteTableId ?? 'no route table'}): the load balancer${hostsInstances ? ' and the instances need' : ' needs'} one` });
    }
    if (!hostsInstances) continue;
    if (s.MapPublicIpOnLaunch !== true) {
      problems.push({ path, message: `${id} does not give instances public IPs: turn it on with \`aws ec2 modify-subnet-attribute --subnet-id ${id} --map-public-ip-on-launch\`` });
    }
    if (!offered.includes(s.AvailabilityZone ?? '')) {
      problems.push({ path, message: `${id} is in ${s.AvailabilityZone}, which is not an availability zone of ${ctx.env.region} offering ${type} (those are: ${offered.join(', ') || 'none'})` });
    }
  }
  return problems;
}

/** Subnets the user chose in an existing VPC: verified, recorded, never created or deleted. */
export const existingSubnetsStep: ResourceStep<StackEnv> = {
  id: 'subnets',
  title: 'Subnets (existing)',
  dependsOn: ['vpc'],
  external: true,
  async find(ctx) {
    const ids = ctx.env.answers.network.subnetIds ?? [];
    const { vpcId } = ctx.output<VpcOutputs>('vpc');
    // A filter (rather than SubnetIds) returns the ones that exist, so every missing id can be named.
    const found = ids.length ? await describeSubnets(ctx.env.aws.get(EC2Client), [{ Name: 'subnet-id', Values: ids }]) : [];
    const byId = new Map(found.map((s) => [s.SubnetId!, s]));
    const problems: Problem[] = [];
    const path = 'network.subnetIds';
    const absent = ids.filter((id) => !byId.has(id));
    if (absent.length) problems.push({ path, message: `${absent.join(', ')} ${absent.length === 1 ? 'does' : 'do'} not exist in ${ctx.env.region}` });
    const elsewhere = found.filter((s) => s.VpcId !== vpcId);
    for (const s of elsewhere) problems.push({ path, message: `${s.SubnetId} is in ${s.VpcId}, not in network.vpcId ${vpcId}` });
    const zones = new Set(found.filter((s) => s.VpcId === vpcId).map((s) => s.AvailabilityZone));
    if (!absent.length && !elsewhere.length && zones.size < 2) {
      problems.push({ path, message: `all subnets are in ${[...zones].join(', ')}; a load balancer needs subnets in at least 2 availability zones` });
    }
    if (problems.length) throw inputError(problems);
    problems.push(...(await reachability(ctx, ids.map((id) => byId.get(id)!), vpcId)));
    if (problems.length) throw inputError(problems);
    return {
      subnetIds: ids,
      availabilityZones: ids.map((id) => byId.get(id)!.AvailabilityZone!),
    } satisfies SubnetsOutputs;
  },
  async create() {
    throw new WizardError('INPUT_INVALID', 'Existing subnets are never created.');
  },
};
