import { AllocateAddressCommand, DescribeAddressesCommand, EC2Client, ReleaseAddressCommand, type Address, type Filter } from '@aws-sdk/client-ec2';
import { isAddressStillHeld } from '../../aws/errors.js';
import { STACK_TAG } from '../../aws/tags.js';
import type { ResourceStep, StepContext } from '../../engine/types.js';
import { deleteIgnoringNotFound, noteCreated } from '../common.js';
import type { StackEnv } from '../env.js';
import type { ElasticIpsOutputs } from '../outputs.js';

type Ctx = StepContext<StackEnv>;

async function describeAddresses(ec2: EC2Client, filters: Filter[]): Promise<Address[]> {
  return (await ec2.send(new DescribeAddressesCommand({ Filters: filters }))).Addresses ?? [];
}

const nameOf = (a: Address): string | undefined => a.Tags?.find((t) => t.Key === 'Name')?.Value;

/** The stack's NAT addresses: by recorded allocation ids, then by the stack tag, each at the index its Name gives. */
async function stackAddresses(ctx: Ctx, ec2: EC2Client): Promise<Map<number, Address>> {
  const { names } = ctx.env;
  const count = ctx.env.answers.network.natGateways ?? 0;
  const recorded = (ctx.recorded?.allocationIds as string[] | undefined) ?? [];
  const found = recorded.length ? await describeAddresses(ec2, [{ Name: 'allocation-id', Values: recorded }]) : [];
  if (found.length < count) {
    for (const a of await describeAddresses(ec2, [{ Name: `tag:${STACK_TAG}`, Values: [names.stack] }])) {
      if (!found.some((f) => f.AllocationId === a.AllocationId)) found.push(a);
    }
  }
  const placed = new Map<number, Address>();
  for (const a of found) {
    const index = Array.from({ length: count }, (_, i) => i).find((i) => nameOf(a) === names.natAddress(i) || recorded[i] === a.AllocationId);
    if (index !== undefined && !placed.has(index)) placed.set(index, a);
  }
  return placed;
}

function outputsOf(placed: Map<number, Address>): ElasticIpsOutputs {
  const list = [...placed.entries()].sort(([a], [b]) => a - b).map(([, a]) => a);
  return { allocationIds: list.map((a) => a.AllocationId!), publicIps: list.map((a) => a.PublicIp ?? '') };
}

async function ensureAddresses(ctx: Ctx, placed: Map<number, Address>): Promise<ElasticIpsOutputs> {
  const ec2 = ctx.env.aws.get(EC2Client);
  const count = ctx.env.answers.network.natGateways ?? 0;
  for (let index = 0; index < count; index++) {
    if (placed.has(index)) continue;
    const r = await ec2.send(
      new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: ctx.env.tags(ctx.env.names.natAddress(index)) }] }),
    );
    placed.set(index, { AllocationId: r.AllocationId, PublicIp: r.PublicIp });
    noteCreated(ctx, r.AllocationId!);
    // Each at once: an address costs money while it is kept, so none may be forgotten.
    await ctx.note({ ...outputsOf(placed) });
  }
  return outputsOf(placed);
}

/**
 * The Elastic IPs of the NAT gateways, one each (a public IPv4 address is billed by the hour).
 * Found by recorded allocation id, then by the stack tag; released only once its NAT gateway is
 * gone — and even then AWS refuses for a while (AuthFailure, InvalidNetworkInterfaceID.NotFound):
 * retried, bounded by the wait timeout, so no address is left behind.
 */
export const elasticIpsStep: ResourceStep<StackEnv> = {
  id: 'elastic-ips',
  title: 'Elastic IPs (NAT)',
  dependsOn: [],
  async find(ctx) {
    const placed = await stackAddresses(ctx, ctx.env.aws.get(EC2Client));
    if (!placed.size) return undefined;
    return { ...(ctx.repair ? await ensureAddresses(ctx, placed) : outputsOf(placed)) };
  },
  async create(ctx) {
    return { ...(await ensureAddresses(ctx, new Map())) };
  },
  async destroy(ctx, outputs) {
    const ec2 = ctx.env.aws.get(EC2Client);
    const ids = (outputs.allocationIds as string[] | undefined) ?? [];
    await Promise.all(
      ids.map((id) =>
        deleteIgnoringNotFound(ctx, () => ec2.send(new ReleaseAddressCommand({ AllocationId: id })), `Elastic IP ${id} to be let go by its NAT gateway`, isAddressStillHeld),
      ),
    );
  },
};
