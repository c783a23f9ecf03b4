import { createHash } from 'node:crypto';
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  DeleteLaunchTemplateCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeLaunchTemplatesCommand,
  EC2Client,
  ModifyLaunchTemplateCommand,
  type DescribeLaunchTemplatesCommandInput,
  type LaunchTemplate,
  type RequestLaunchTemplateData,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import { unlessNotFound } from '../../aws/errors.js';
import type { ResourceStep, StepContext } from '../../engine/types.js';
import { deleteIgnoringNotFound } from '../common.js';
import type { StackEnv } from '../env.js';
import { METADATA_OPTIONS, ecsUserData, instanceNetwork, launchChanges, launchImage, resolveAmi, shapeChanges, userDataDrainsSpot } from './launch-common.js';
import type { ClusterOutputs, InstanceProfileOutputs, LaunchOutputs, SecurityGroupOutputs } from '../outputs.js';

function describeTemplate(ec2: EC2Client, input: DescribeLaunchTemplatesCommandInput): Promise<LaunchTemplate | undefined> {
  return unlessNotFound(async () => (await ec2.send(new DescribeLaunchTemplatesCommand(input))).LaunchTemplates?.[0]);
}

/** The launch template of the ECS hosts: ECS-optimized AMI, instance profile, instance SG, IMDSv2, ECS_CLUSTER. */
export const launchTemplateStep: ResourceStep<StackEnv> = {
  id: 'launch-template',
  title: 'Launch template',
  dependsOn: ['instance-profile', 'instance-security-group', 'cluster'],
  async find(ctx) {
    const ec2 = ctx.env.aws.get(EC2Client);
    const recordedId = ctx.recorded?.launchTemplateId as string | undefined;
    let template = recordedId ? await describeTemplate(ec2, { LaunchTemplateIds: [recordedId] }) : undefined;
    template ??= await describeTemplate(ec2, { LaunchTemplateNames: [ctx.env.names.launchTemplate] });
    if (!template?.LaunchTemplateId) return undefined;
    let latest = await latestVersion(ec2, template.LaunchTemplateId);
    const changes = launchChanges(ctx.env.answers, latest);
    // Only in a real create: a changed instance type, pinned AMI, network or Spot answer becomes a
    // new version with everything create would write, which the hosts then roll onto; a dry run
    // reports the found version and the review names the roll.
    if (changes.length && ctx.repair) {
      ctx.progress(`new version for ${changes.join(', ')}`);
      const image = await launchImage(ctx.env.aws, ctx.env.answers.instances, ctx.env.region);
      const data = { instanceType: ctx.env.answers.instances.instanceType, amiId: image.amiId };
      // A new type or AMI alone patches the latest version (the rest as it was); a new network or
      // user data is everything create writes (interfaces and security groups cannot be merged).
      const reshaped = shapeChanges(ctx.env.answers, latest).length > 0;
      latest = await newLaunchTemplateVersion(ec2, template.LaunchTemplateId, latest.version, data, reshaped ? templateData(ctx, data.amiId) : undefined);
      return { ...outputsOf(template, ctx.env.names.launchTemplate, latest), changes };
    } else if (ctx.repair && template.DefaultVersionNumber !== latest.version) {
      // A crash between a new version and making it the default: finish that.
      await setDefaultVersion(ec2, template.LaunchTemplateId, latest.version);
    }
    return outputsOf(template, ctx.env.names.launchTemplate, latest);
  },
  async create(ctx) {
    const { names, answers } = ctx.env;
    const amiId = await resolveAmi(ctx);
    const r = await ctx.env.aws.get(EC2Client).send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: names.launchTemplate,
        VersionDescription: `ecs-wizard stack ${names.stack}`,
        LaunchTemplateData: templateData(ctx, amiId),
        TagSpecifications: [{ ResourceType: 'launch-template', Tags: ctx.env.tags(names.launchTemplate) }],
      }),
    );
    const t = r.LaunchTemplate!;
    return {
      kind: 'template',
      launchTemplateId: t.LaunchTemplateId!,
      launchTemplateName: t.LaunchTemplateName ?? names.launchTemplate,
      amiId,
      instanceType: answers.instances.instanceType,
      version: t.LatestVersionNumber ?? 1,
    } satisfies LaunchOutputs;
  },
  async destroy(ctx, outputs) {
    const ec2 = ctx.env.aws.get(EC2Client);
    const id = outputs.launchTemplateId as string;
    await deleteIgnoringNotFound(ctx, () => ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: id })), `the launch template ${id} to be free`);
  },
};

/** Everything a version of the template holds, as create writes it from the answers. */
function templateData(ctx: StepContext<StackEnv>, amiId: string): RequestLaunchTemplateData {
  const { names, answers } = ctx.env;
  const profile = ctx.output<InstanceProfileOutputs>('instance-profile');
  const sg = ctx.output<SecurityGroupOutputs>('instance-security-group');
  const cluster = ctx.output<ClusterOutputs>('cluster');
  const instanceTags = ctx.env.tags(`${names.stack}-ecs-host`);
  return {
    ImageId: amiId,
    InstanceType: answers.instances.instanceType as _InstanceType,
    IamInstanceProfile: { Arn: profile.instanceProfileArn },
    // Public subnets map a public IP on launch; private instances get none. The instance SG alone decides what reaches the host.
    ...instanceNetwork(answers, sg.groupId),
    MetadataOptions: { ...METADATA_OPTIONS },
    UserData: ecsUserData(cluster.clusterName, { spotDraining: answers.instances.spot !== undefined }),
    ...(answers.instances.keyName ? { KeyName: answers.instances.keyName } : {}),
    TagSpecifications: [
      { ResourceType: 'instance', Tags: instanceTags },
      { ResourceType: 'volume', Tags: instanceTags },
    ],
  };
}

function outputsOf(template: LaunchTemplate, name: string, v: LaunchVersion): LaunchOutputs {
  return { kind: 'template', launchTemplateId: template.LaunchTemplateId!, launchTemplateName: template.LaunchTemplateName ?? name, amiId: v.amiId, instanceType: v.instanceType, version: v.version };
}

/** What the hosts launch from: the template's latest version (the Auto Scaling group uses $Latest). */
export interface LaunchVersion {
  version: number;
  instanceType: string;
  amiId: string;
  /** No public IP: an interface with AssociatePublicIpAddress false (undefined: not known). */
  privateNetwork?: boolean;
  /** The user data turns on the ECS agent's Spot draining (undefined: not known). */
  spotDraining?: boolean;
}

export async function latestVersion(ec2: EC2Client, launchTemplateId: string): Promise<LaunchVersion> {
  const v = (await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: launchTemplateId, Versions: ['$Latest'] }))).LaunchTemplateVersions?.[0];
  const data = v?.LaunchTemplateData;
  return { version: v?.VersionNumber ?? 1, instanceType: data?.InstanceType ?? '', amiId: data?.ImageId ?? '', ...launchShape(data ?? {}) };
}

/** Network and Spot draining as a version's data says them (what launchChanges compares with the answers). */
function launchShape(data: Pick<RequestLaunchTemplateData, 'NetworkInterfaces' | 'UserData'>): Pick<LaunchVersion, 'privateNetwork' | 'spotDraining'> {
  return { privateNetwork: (data.NetworkInterfaces ?? []).some((n) => n.AssociatePublicIpAddress === false), spotDraining: userDataDrainsSpot(data.UserData) };
}

/** The client token of a new version: the same for the same template, source version and data, so a repeated call makes no second version. */
export function launchVersionToken(launchTemplateId: string, sourceVersion: number, data: { instanceType: string; amiId: string }, full?: RequestLaunchTemplateData): string {
  return createHash('sha256')
    .update([launchTemplateId, sourceVersion, data.instanceType, data.amiId, ...(full ? [JSON.stringify(full)] : [])].join(' '))
    .digest('hex')
    .slice(0, 48);
}

/**
 * A new version of the template with another instance type or AMI, made the default too, so that
 * $Latest (what the group launches) and $Default (what a console or `run-instances` takes) never
 * disagree. With `full` the version holds exactly that data (create's: a network change cannot be
 * merged, as a template's interfaces and security groups exclude each other); without it,
 * everything else is copied from `sourceVersion`. The client token (launchVersionToken, unless the
 * caller recorded one) makes a retried call return the version the first one made.
 */
export async function newLaunchTemplateVersion(
  ec2: EC2Client,
  launchTemplateId: string,
  sourceVersion: number,
  data: { instanceType: string; amiId: string },
  full?: RequestLaunchTemplateData,
  token = launchVersionToken(launchTemplateId, sourceVersion, data, full),
): Promise<LaunchVersion> {
  const r = await ec2.send(
    new CreateLaunchTemplateVersionCommand({
      LaunchTemplateId: launchTemplateId,
      ...(full ? {} : { SourceVersion: String(sourceVersion) }),
      VersionDescription: `${data.instanceType} ${data.amiId}`,
      LaunchTemplateData: full ?? { InstanceType: data.instanceType as _InstanceType, ImageId: data.amiId },
      ClientToken: token,
    }),
  );
  const version = r.LaunchTemplateVersion?.VersionNumber ?? sourceVersion + 1;
  await setDefaultVersion(ec2, launchTemplateId, version);
  return { version, ...data, ...(full ? launchShape(full) : {}) };
}

/** Makes `version` the template's default unless it is already (a new version whose default was not set yet: a lost answer, a crash). */
export async function finishDefaultVersion(ec2: EC2Client, launchTemplateId: string, version: number): Promise<void> {
  const template = await describeTemplate(ec2, { LaunchTemplateIds: [launchTemplateId] });
  if (template && template.DefaultVersionNumber !== version) await setDefaultVersion(ec2, launchTemplateId, version);
}

async function setDefaultVersion(ec2: EC2Client, launchTemplateId: string, version: number): Promise<void> {
  await ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: launchTemplateId, DefaultVersion: String(version) }));
}
