import {
  AutoScalingClient,
  UpdateAutoScalingGroupCommand,
  type AutoScalingGroup,
  type CreateAutoScalingGroupCommandInput,
  type LaunchTemplateSpecification,
  type MixedInstancesPolicy,
} from '@aws-sdk/client-auto-scaling';
import { DescribeInstanceTypesCommand, EC2Client, type _InstanceType } from '@aws-sdk/client-ec2';
import { inputError } from '../../errors.js';
import type { AwsClients } from '../../aws/clients.js';
import { isInvalidInstanceType } from '../../aws/errors.js';
import type { StepContext } from '../../engine/types.js';
import type { Answers } from '../../wizard/schema.js';
import type { StackEnv } from '../env.js';
import type { PrivateSubnetsOutputs, SubnetsOutputs } from '../outputs.js';

/**
 * Where and how the hosts launch, beside the Auto Scaling group step: the instances' subnets
 * (private ones behind NAT, or the public ones) and, with instances.spot, a mixed instances policy.
 */

type Ctx = StepContext<StackEnv>;
type Spot = NonNullable<Answers['instances']['spot']>;

/** The subnets the hosts launch in: the private subnets with instanceSubnets: private (the ALB stays public). */
export function instanceSubnetIds(ctx: Ctx): string[] {
  return ctx.env.answers.network.instanceSubnets === 'private'
    ? ctx.output<PrivateSubnetsOutputs>('private-subnets').subnetIds
    : ctx.output<SubnetsOutputs>('subnets').subnetIds;
}

/**
 * Spot above an on-demand base: the answered types as overrides of the launch template, the
 * price-capacity-optimized strategy (the pools least likely to be interrupted, at a low price).
 */
export function mixedInstancesPolicy(spot: Spot, launchTemplate: LaunchTemplateSpecification): MixedInstancesPolicy {
  return {
    LaunchTemplate: { LaunchTemplateSpecification: launchTemplate, Overrides: spot.instanceTypes!.map((InstanceType) => ({ InstanceType })) },
    InstancesDistribution: {
      OnDemandBaseCapacity: spot.onDemandBaseCapacity,
      OnDemandPercentageAboveBaseCapacity: spot.onDemandPercentageAboveBase,
      SpotAllocationStrategy: 'price-capacity-optimized',
    },
  };
}

/**
 * A CreateAutoScalingGroup input with its launch template moved into a mixed instances policy
 * when the answers ask for Spot, and capacity rebalancing on (a Spot host AWS warns about is
 * replaced before it is taken away).
 */
export function withSpot(input: CreateAutoScalingGroupCommandInput, answers: Answers): CreateAutoScalingGroupCommandInput {
  const spot = answers.instances.spot;
  if (!spot || !input.LaunchTemplate) return input;
  const { LaunchTemplate, ...rest } = input;
  return { ...rest, MixedInstancesPolicy: mixedInstancesPolicy(spot, LaunchTemplate), CapacityRebalance: true };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function spotDiffers(group: AutoScalingGroup, spot: Spot): boolean {
  const p = group.MixedInstancesPolicy;
  const d = p?.InstancesDistribution;
  const types = (p?.LaunchTemplate?.Overrides ?? []).map((o) => o.InstanceType ?? '');
  return (
    !p ||
    JSON.stringify(types) !== JSON.stringify(spot.instanceTypes) ||
    (d?.OnDemandBaseCapacity ?? 0) !== spot.onDemandBaseCapacity ||
    (d?.OnDemandPercentageAboveBaseCapacity ?? 100) !== spot.onDemandPercentageAboveBase ||
    d?.SpotAllocationStrategy !== 'price-capacity-optimized' ||
    group.CapacityRebalance !== true
  );
}

/**
 * Converges a found group with the answers — its subnets (public ↔ private), and Spot on, off or
 * changed — in one UpdateAutoScalingGroup, and only when something differs. New instances follow;
 * running ones are replaced as the group scales (or by a host roll).
 */
export async function convergePlacement(ctx: Ctx, group: AutoScalingGroup): Promise<void> {
  const update: Record<string, unknown> = {};
  const subnets = ctx.tryOutput(ctx.env.answers.network.instanceSubnets === 'private' ? 'private-subnets' : 'subnets') ? instanceSubnetIds(ctx) : undefined;
  const current = (group.VPCZoneIdentifier ?? '').split(',').filter(Boolean);
  if (subnets && !sameSet(current, subnets)) update.VPCZoneIdentifier = subnets.join(',');
  const spot = ctx.env.answers.instances.spot;
  const template = group.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification ?? group.LaunchTemplate;
  if (template) {
    const spec: LaunchTemplateSpecification = { LaunchTemplateId: template.LaunchTemplateId, Version: template.Version };
    if (spot && spotDiffers(group, spot)) Object.assign(update, { MixedInstancesPolicy: mixedInstancesPolicy(spot, spec), CapacityRebalance: true });
    if (!spot && group.MixedInstancesPolicy) Object.assign(update, { LaunchTemplate: spec, CapacityRebalance: false });
  }
  if (Object.keys(update).length === 0) return;
  ctx.progress(`updating the group's ${Object.keys(update).filter((k) => k !== 'CapacityRebalance').join(' and ')}`);
  await ctx.env.aws.get(AutoScalingClient).send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: group.AutoScalingGroupName, ...update }));
}

/**
 * Before anything is made: every Spot type exists in the region and runs the architecture of
 * instances.instanceType (the hosts boot one AMI, chosen for that architecture). One
 * DescribeInstanceTypes call; when AWS refuses a name, each is asked alone to say which.
 */
export async function checkSpotTypes(aws: AwsClients, answers: Answers, region: string, architecture: string): Promise<void> {
  const types = answers.instances.spot?.instanceTypes;
  if (!types?.length) return;
  const ec2 = aws.get(EC2Client);
  const describe = async (names: string[]) => (await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: names as _InstanceType[] }))).InstanceTypes ?? [];
  let found;
  try {
    found = await describe(types);
  } catch (err) {
    if (!isInvalidInstanceType(err)) throw err;
    found = (await Promise.all(types.map((t) => describe([t]).catch((e: unknown) => (isInvalidInstanceType(e) ? [] : Promise.reject(e)))))).flat();
  }
  const archOf = new Map(found.map((t) => [t.InstanceType as string, t.ProcessorInfo?.SupportedArchitectures ?? []]));
  const path = (k: number): string => `instances.spot.instanceTypes.${k}`;
  const problems = types.flatMap((t, k) => {
    const arches = archOf.get(t);
    if (!arches?.length) return [{ path: path(k), message: `${t} is not an EC2 instance type of ${region}` }];
    if (!arches.includes(architecture as (typeof arches)[number])) {
      return [{ path: path(k), message: `${t} runs ${arches.join('/')}, but instances.instanceType ${answers.instances.instanceType} runs ${architecture}: all Spot types must share one architecture (the hosts boot one AMI)` }];
    }
    return [];
  });
  if (problems.length) throw inputError(problems);
}
