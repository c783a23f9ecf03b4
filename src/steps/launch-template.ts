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
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import { unlessNotFound } from '../aws/errors.js';
import type { ResourceStep } from '../engine/types.js';
import { deleteIgnoringNotFound } from './common.js';
import type { StackEnv } from './env.js';
import { METADATA_OPTIONS, ecsUserData, instanceNetwork, launchChanges, launchImage, resolveAmi } from './launch-common.js';
import type { ClusterOutputs, InstanceProfileOutputs, LaunchOutputs, SecurityGroupOutputs } from './outputs.js';

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
    const changes = launchChanges(ctx.env.answers.instances, latest);
    // Only in a real create: a changed instance type (or pinned AMI) becomes a new version, which
    // the hosts then roll onto; a dry run reports the found version and the review names the roll.
    if (changes.length && ctx.repair) {
      ctx.progress(`new version for ${changes.join(', ')}`);
      const image = await launchImage(ctx.env.aws, ctx.env.answers.instances, ctx.env.region);
      latest = await newLaunchTemplateVersion(ec2, template.LaunchTemplateId, latest.version, { instanceType: ctx.env.answers.instances.instanceType, amiId: image.amiId });
    } else if (ctx.repair && template.DefaultVersionNumber !== latest.version) {
      // A crash between a new version and making it the default: finish that.
      await setDefaultVersion(ec2, template.LaunchTemplateId, latest.version);
    }
    return {
      kind: 'template',
      launchTemplateId: template.LaunchTemplateId,
      launchTemplateName: template.LaunchTemplateName ?? ctx.env.names.launchTemplate,
      amiId: latest.amiId,
      instanceType: latest.instanceType,
      version: latest.version,
    } satisfies LaunchOutputs;
  },
  async create(ctx) {
    const { names, answers } = ctx.env;
    const profile = ctx.output<InstanceProfileOutputs>('instance-profile');
    const sg = ctx.output<SecurityGroupOutputs>('instance-security-group');
    const cluster = ctx.output<ClusterOutputs>('cluster');
    const amiId = await resolveAmi(ctx);
    const instanceTags = ctx.env.tags(`${names.stack}-ecs-host`);
    const r = await ctx.env.aws.get(EC2Client).send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: names.launchTemplate,
        VersionDescription: `ecs-wizard stack ${names.stack}`,
        LaunchTemplateData: {
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
        },
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

/** What the hosts launch from: the template's latest version (the Auto Scaling group uses $Latest). */
export interface LaunchVersion {
  version: number;
  instanceType: string;
  amiId: string;
}

export async function latestVersion(ec2: EC2Client, launchTemplateId: string): Promise<LaunchVersion> {
  const v = (await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: launchTemplateId, Versions: ['$Latest'] }))).LaunchTemplateVersions?.[0];
  return { version: v?.VersionNumber ?? 1, instanceType: v?.LaunchTemplateData?.InstanceType ?? '', amiId: v?.LaunchTemplateData?.ImageId ?? '' };
}

/**
 * A new version of the template with another instance type or AMI (everything else copied from
 * `sourceVersion`), made the default too, so that $Latest (what the group launches) and $Default
 * (what a console or `run-instances` takes) never disagree. The client token makes a retried call
 * return the version the first one made.
 */
export async function newLaunchTemplateVersion(ec2: EC2Client, launchTemplateId: string, sourceVersion: number, data: { instanceType: string; amiId: string }): Promise<LaunchVersion> {
  const token = createHash('sha256').update([launchTemplateId, sourceVersion, data.instanceType, data.amiId].join(' ')).digest('hex').slice(0, 48);
  const r = await ec2.send(
    new CreateLaunchTemplateVersionCommand({
      LaunchTemplateId: launchTemplateId,
      SourceVersion: String(sourceVersion),
      VersionDescription: `${data.instanceType} ${data.amiId}`,
      LaunchTemplateData: { InstanceType: data.instanceType as _InstanceType, ImageId: data.amiId },
      ClientToken: token,
    }),
  );
  const version = r.LaunchTemplateVersion?.VersionNumber ?? sourceVersion + 1;
  await setDefaultVersion(ec2, launchTemplateId, version);
  return { version, ...data };
}

async function setDefaultVersion(ec2: EC2Client, launchTemplateId: string, version: number): Promise<void> {
  await ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: launchTemplateId, DefaultVersion: String(version) }));
}
