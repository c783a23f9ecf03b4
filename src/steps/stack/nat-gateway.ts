import { CreateNatGatewayCommand, DeleteNatGatewayCommand, DescribeNatGatewaysCommand, EC2Client, type Filter, type NatGateway } from '@aws-sdk/client-ec2';
import { WizardError } from '../../errors.js';
import { unlessNotFound } from '../../aws/errors.js';
import { poll } from '../../aws/poll.js';
import { STACK_TAG } from '../../aws/tags.js';
import type { ResourceStep, StepContext, WaitStep } from '../../engine/types.js';
import { noteCreated, whileNotYetVisible } from '../common.js';
import type { StackEnv } from '../env.js';
import type { ElasticIpsOutputs, NatGatewaysOutputs, SubnetsOutputs, VpcOutputs } from '../outputs.js';
import { noun } from '../../words.js';

type Ctx = StepContext<StackEnv>;

/** States of a NAT gateway that exists and may serve (pending becomes available, or failed). */
const LIVE = ['pending', 'available'];

async function describeNats(ec2: EC2Client, filter: Filter[]): Promise<NatGateway[]> {
  // DescribeNatGateways names its filters `Filter`, not `Filters`.
  return (await ec2.send(new DescribeNatGatewaysCommand({ Filter: filter }))).NatGateways ?? [];
}

const nameOf = (n: NatGateway): string | undefined => n.Tags?.find((t) => t.Key === 'Name')?.Value;
/** The tag filter is not enough on its own: an emulator may ignore it, and a NAT gateway of someone else's must never be taken. */
export const isStacks = (n: NatGateway, stack: string): boolean => n.Tags?.some((t) => t.Key === STACK_TAG && t.Value === stack) === true;

/**
 * The stack's live NAT gateways in its VPC, by recorded ids then by the stack tag, each at the
 * index its Name gives (NAT i sits in public subnet i). More than natGateways is DRIFT: lowering
 * the count would leave a zone's route table pointing at a gateway that is going away.
 */
async function stackNats(ctx: Ctx, ec2: EC2Client): Promise<Map<number, NatGateway>> {
  const { names } = ctx.env;
  const count = ctx.env.answers.network.natGateways ?? 0;
  const { vpcId } = ctx.output<VpcOutputs>('vpc');
  const recorded = (ctx.recorded?.natGatewayIds as string[] | undefined) ?? [];
  const live = { Name: 'state', Values: LIVE };
  const found = recorded.length ? await describeNats(ec2, [{ Name: 'nat-gateway-id', Values: recorded }, live]) : [];
  if (found.length < count) {
    for (const n of await describeNats(ec2, [{ Name: `tag:${STACK_TAG}`, Values: [names.stack] }, { Name: 'vpc-id', Values: [vpcId] }, live])) {
      if (isStacks(n, names.stack) && !found.some((f) => f.NatGatewayId === n.NatGatewayId)) found.push(n);
    }
  }
  const placed = new Map<number, NatGateway>();
  const extra: string[] = [];
  for (const n of found) {
    const named = /-nat-(\d+)$/.exec(nameOf(n) ?? '')?.[1];
    const index = named !== undefined ? Number(named) - 1 : recorded.indexOf(n.NatGatewayId!);
    if (index >= count) extra.push(n.NatGatewayId!);
    else if (index >= 0 && !placed.has(index)) placed.set(index, n);
  }
  if (extra.length) {
    throw new WizardError('DRIFT', `Stack "${names.stack}" has more NAT gateways than network.natGateways (${count}): ${extra.join(', ')}.`, {
      hint: `Keep network.natGateways at ${count + extra.length}, or run \`ecs-wizard destroy ${names.stack}\` and create the stack again with fewer.`,
    });
  }
  return placed;
}

function outputsOf(placed: Map<number, NatGateway>): NatGatewaysOutputs {
  return { natGatewayIds: [...placed.entries()].sort(([a], [b]) => a - b).map(([, n]) => n.NatGatewayId!) };
}

/** Creates the missing gateways: NAT i in public subnet i with Elastic IP i. Does not wait for them (see natGatewaysAvailableStep). */
async function ensureNats(ctx: Ctx, placed: Map<number, NatGateway>): Promise<NatGatewaysOutputs> {
  const ec2 = ctx.env.aws.get(EC2Client);
  const count = ctx.env.answers.network.natGateways ?? 0;
  const { subnetIds } = ctx.output<SubnetsOutputs>('subnets');
  const { allocationIds } = ctx.output<ElasticIpsOutputs>('elastic-ips');
  for (let index = 0; index < count; index++) {
    if (placed.has(index)) continue;
    const subnetId = subnetIds[index]!;
    const allocationId = allocationIds[index]!;
    // A just-allocated address or just-made subnet may not be visible to EC2 yet: "not yet", retried.
    const r = await whileNotYetVisible(ctx, [allocationId, subnetId], () =>
      ec2.send(
        new CreateNatGatewayCommand({
          SubnetId: subnetId,
          AllocationId: allocationId,
          ConnectivityType: 'public',
          TagSpecifications: [{ ResourceType: 'natgateway', Tags: ctx.env.tags(ctx.env.names.natGateway(index)) }],
        }),
      ),
    );
    placed.set(index, r.NatGateway!);
    noteCreated(ctx, r.NatGateway!.NatGatewayId!);
    // Recorded at once: a NAT gateway is billed by the hour and takes minutes to become available.
    await ctx.note({ ...outputsOf(placed) });
  }
  return outputsOf(placed);
}

/**
 * The NAT gateways of private instances: one (all zones share it, cheapest) or one per zone (a
 * zone's outage does not cut the others off), each with its Elastic IP in a public subnet. AWS
 * refuses them without an internet gateway on the VPC (Gateway.NotAttached), hence that dependency.
 */
export const natGatewaysStep: ResourceStep<StackEnv> = {
  id: 'nat-gateways',
  title: 'NAT gateways',
  dependsOn: ['vpc', 'subnets', 'elastic-ips', 'internet-gateway'],
  async find(ctx) {
    const placed = await stackNats(ctx, ctx.env.aws.get(EC2Client));
    if (!placed.size) return undefined;
    return { ...(ctx.repair ? await ensureNats(ctx, placed) : outputsOf(placed)) };
  },
  async create(ctx) {
    return { ...(await ensureNats(ctx, new Map())) };
  },
  async destroy(ctx, outputs) {
    const ec2 = ctx.env.aws.get(EC2Client);
    const ids = (outputs.natGatewayIds as string[] | undefined) ?? [];
    if (!ids.length) return;
    const states = async (): Promise<NatGateway[]> => (await describeNats(ec2, [{ Name: 'nat-gateway-id', Values: ids }])).filter((n) => n.State !== 'deleted');
    for (const n of await states()) {
      if (n.State !== 'deleting') await unlessNotFound(() => ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: n.NatGatewayId })));
    }
    // Deleting takes a minute or so; its Elastic IP, subnet and the internet gateway are held until then.
    await poll(
      async () => {
        const left = await states();
        return left.length === 0
          ? { done: true, value: undefined }
          : { done: false, waitingFor: `waiting for ${noun(left.length, 'NAT gateway')} ${left.map((n) => `${n.NatGatewayId} (${n.State})`).join(', ')} to be deleted` };
      },
      { timing: ctx.env.timing, signal: ctx.signal, progress: ctx.progress },
    );
  },
};

/**
 * Waits until the NAT gateways are available (a minute or two on AWS). Nothing of the stack needs
 * to wait for it — routes may point at a pending gateway, and instances register with ECS once
 * their way out works — so only the run's end does. A gateway that failed (AWS says why in
 * FailureCode) stops the run; the next create replaces it.
 */
export const natGatewaysAvailableStep: WaitStep<StackEnv> = {
  id: 'nat-gateways-available',
  title: 'NAT gateways available',
  dependsOn: ['nat-gateways'],
  kind: 'wait',
  async run(ctx) {
    const ec2 = ctx.env.aws.get(EC2Client);
    const { natGatewayIds } = ctx.output<NatGatewaysOutputs>('nat-gateways');
    await poll(
      async () => {
        const nats = await describeNats(ec2, [{ Name: 'nat-gateway-id', Values: natGatewayIds }]);
        const failed = nats.find((n) => n.State === 'failed' || n.State === 'deleting' || n.State === 'deleted');
        if (failed) {
          throw new WizardError('AWS', `NAT gateway ${failed.NatGatewayId} is ${failed.State}${failed.FailureCode ? `: ${failed.FailureCode} — ${failed.FailureMessage ?? ''}` : ''}.`, {
            hint: 'Run `ecs-wizard create` again: a gateway that failed is replaced (its Elastic IP is reused).',
          });
        }
        const pending = natGatewayIds.filter((id) => nats.find((n) => n.NatGatewayId === id)?.State !== 'available');
        return pending.length === 0 ? { done: true, value: undefined } : { done: false, waitingFor: `waiting for ${noun(pending.length, 'NAT gateway')} ${pending.join(', ')} to become available` };
      },
      {
        timing: ctx.env.timing,
        signal: ctx.signal,
        progress: ctx.progress,
        timeoutHint: 'The NAT gateways may still become available: run `ecs-wizard create` again to continue, or `ecs-wizard status` to check.',
      },
    );
  },
};
