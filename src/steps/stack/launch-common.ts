import { DescribeImagesCommand, DescribeInstanceTypesCommand, EC2Client, type RequestLaunchTemplateData, type _InstanceType } from '@aws-sdk/client-ec2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { WizardError, inputError } from '../../errors.js';
import type { AwsClients } from '../../aws/clients.js';
import { isInvalidInstanceType, unlessNotFound } from '../../aws/errors.js';
import type { StepContext } from '../../engine/types.js';
import type { StackEnv } from '../env.js';
import type { Answers } from '../../wizard/schema.js';

/** What a launch template and a launch configuration share: the content of an ECS host. */

export type Architecture = 'arm64' | 'x86_64';

/** AWS's public pointer to the current ECS-optimized Amazon Linux 2023 AMI of the region, per architecture. */
export function ecsAmiParameter(architecture: Architecture): string {
  return `/aws/service/ecs/optimized-ami/amazon-linux-2023/${architecture === 'arm64' ? 'arm64/' : ''}recommended/image_id`;
}

/**
 * IMDSv2 only; hop limit 2 because tasks in bridge mode sit one network hop behind the host and
 * still need the instance metadata (credentials of the instance role).
 */
export const METADATA_OPTIONS = { HttpTokens: 'required', HttpPutResponseHopLimit: 2, HttpEndpoint: 'enabled' } as const;

/**
 * The ECS agent joins the cluster named in /etc/ecs/ecs.config; without it, it joins "default".
 * On Spot hosts the agent also drains the instance (its tasks placed elsewhere) when AWS gives its
 * two-minute interruption notice.
 */
export function ecsUserData(clusterName: string, opts: { spotDraining?: boolean } = {}): string {
  const lines = [`echo ECS_CLUSTER=${clusterName} >> /etc/ecs/ecs.config`, ...(opts.spotDraining ? ['echo ECS_ENABLE_SPOT_INSTANCE_DRAINING=true >> /etc/ecs/ecs.config'] : [])];
  return Buffer.from(`#!/bin/bash\n${lines.join('\n')}\n`).toString('base64');
}

/**
 * How a launch template attaches the host to the network: private instances through an explicit
 * interface without a public IP (a template's NetworkInterfaces and SecurityGroupIds exclude each
 * other), public ones with just the security group, taking the subnet's public IP.
 */
export function instanceNetwork(answers: Answers, groupId: string): Pick<RequestLaunchTemplateData, 'SecurityGroupIds' | 'NetworkInterfaces'> {
  return answers.network.instanceSubnets === 'private'
    ? { NetworkInterfaces: [{ DeviceIndex: 0, AssociatePublicIpAddress: false, Groups: [groupId], DeleteOnTermination: true }] }
    : { SecurityGroupIds: [groupId] };
}

/**
 * The parameter's Value is the AMI id itself for `/image_id` parameters, but a JSON object
 * (`{"image_id": …}`) for the parent `/recommended` parameter (and moto returns AL2's that way).
 */
export function amiFromParameterValue(value: string): string | undefined {
  const v = value.trim();
  if (v.startsWith('{')) {
    try {
      const parsed = JSON.parse(v) as { image_id?: unknown };
      return typeof parsed.image_id === 'string' ? parsed.image_id : undefined;
    } catch {
      return undefined;
    }
  }
  return v.startsWith('ami-') ? v : undefined;
}

/**
 * The architecture the instance type runs, as AWS reports it (a1, t4g, m7g, c6gn … are arm64):
 * never guessed from the type's name. An unknown type is bad input.
 */
export async function architectureOf(aws: AwsClients, instanceType: string, region: string): Promise<Architecture> {
  let arches: string[];
  try {
    const r = await aws.get(EC2Client).send(new DescribeInstanceTypesCommand({ InstanceTypes: [instanceType as _InstanceType] }));
    arches = r.InstanceTypes?.[0]?.ProcessorInfo?.SupportedArchitectures ?? [];
  } catch (err) {
    if (!isInvalidInstanceType(err)) throw err;
    arches = [];
  }
  if (arches.length === 0) throw inputError([{ path: 'instances.instanceType', message: `${instanceType} is not an EC2 instance type of ${region}` }]);
  return arches.includes('arm64') && !arches.includes('x86_64') ? 'arm64' : 'x86_64';
}

export interface LaunchImage {
  architecture: Architecture;
  amiId: string;
}

/**
 * The image the hosts boot, in one place for the check before a run, the review and the launch
 * steps: the answers' amiId, verified against the instance type's architecture (a mismatch is bad
 * input: such an instance never starts), else the region's recommended ECS-optimized AMI for that
 * architecture.
 */
export async function launchImage(aws: AwsClients, instances: { instanceType: string; amiId?: string }, region: string): Promise<LaunchImage> {
  const { instanceType, amiId } = instances;
  const architecture = await architectureOf(aws, instanceType, region);
  if (amiId) {
    const image = await unlessNotFound(async () => (await aws.get(EC2Client).send(new DescribeImagesCommand({ ImageIds: [amiId] }))).Images?.[0]);
    if (!image) throw inputError([{ path: 'instances.amiId', message: `${amiId} does not exist in ${region} (or is not shared with this account)` }]);
    if (image.Architecture !== architecture) {
      throw inputError([
        {
          path: 'instances.amiId',
          message: `${amiId} is an ${image.Architecture ?? 'unknown-architecture'} image, but ${instanceType} runs ${architecture}: choose an ${architecture} AMI, an instance type for ${image.Architecture}, or leave amiId out to use the ECS-optimized AMI`,
        },
      ]);
    }
    return { architecture, amiId };
  }
  return { architecture, amiId: await recommendedAmi(aws, architecture, region) };
}

/** The region's recommended ECS-optimized AL2023 AMI for an architecture, from AWS's public SSM parameter. */
export async function recommendedAmi(aws: AwsClients, architecture: Architecture, region: string): Promise<string> {
  const parameter = ecsAmiParameter(architecture);
  const value = (await unlessNotFound(() => aws.get(SSMClient).send(new GetParameterCommand({ Name: parameter }))))?.Parameter?.Value;
  const ami = value === undefined ? undefined : amiFromParameterValue(value);
  if (!ami) {
    throw new WizardError('AWS', `Could not find the ${architecture} ECS-optimized AMI for ${region} (SSM parameter ${parameter}).`, {
      hint: 'Set instances.amiId to an ECS-optimized AMI id in the answers.',
    });
  }
  return ami;
}

/** The AMI the launch template or configuration uses (see launchImage). */
export async function resolveAmi(ctx: StepContext<StackEnv>): Promise<string> {
  return (await launchImage(ctx.env.aws, ctx.env.answers.instances, ctx.env.region)).amiId;
}

/** What a launch template version or configuration says beyond type and AMI (undefined: not read, not compared). */
export interface FoundLaunch {
  instanceType?: string;
  amiId?: string;
  /** Hosts get no public IP: a template's interface or a configuration's AssociatePublicIpAddress says false. */
  privateNetwork?: boolean;
  /** The user data turns on the ECS agent's Spot draining. */
  spotDraining?: boolean;
}

/** Whether base64 user data (as ecsUserData writes it) turns on the agent's Spot draining. */
export function userDataDrainsSpot(userData: string | undefined): boolean {
  return userData !== undefined && Buffer.from(userData, 'base64').toString('utf8').includes('ECS_ENABLE_SPOT_INSTANCE_DRAINING=true');
}

type LaunchAnswers = { instances: { instanceType: string; amiId?: string; spot?: unknown }; network: { instanceSubnets?: 'public' | 'private' } };

/**
 * What the answers change in the hosts' launch settings, as "t3.small → t3.medium" lines: the
 * instance type, the AMI when the user pinned one, and the shape changes below. Without a pinned
 * amiId the recommended AMI moves on every few weeks: that is `hosts refresh`'s business, not a
 * change of the answers.
 */
export function launchChanges(answers: LaunchAnswers, found: FoundLaunch): string[] {
  const { instances } = answers;
  const changes: string[] = [];
  if (found.instanceType && found.instanceType !== instances.instanceType) changes.push(`${found.instanceType} → ${instances.instanceType}`);
  if (instances.amiId && found.amiId && found.amiId !== instances.amiId) changes.push(`${found.amiId} → ${instances.amiId}`);
  return [...changes, ...shapeChanges(answers, found)];
}

/**
 * The changes that are not a type or an AMI: public or private instances, and Spot draining in the
 * user data. A launch template cannot patch these onto its latest version: the whole version is
 * written again.
 */
export function shapeChanges(answers: LaunchAnswers, found: FoundLaunch): string[] {
  const changes: string[] = [];
  const wantPrivate = answers.network.instanceSubnets === 'private';
  if (found.privateNetwork !== undefined && found.privateNetwork !== wantPrivate) changes.push(wantPrivate ? 'public → private instances' : 'private → public instances');
  const wantDraining = answers.instances.spot !== undefined;
  if (found.spotDraining !== undefined && found.spotDraining !== wantDraining) changes.push(`Spot draining ${wantDraining ? 'on' : 'off'}`);
  return changes;
}
