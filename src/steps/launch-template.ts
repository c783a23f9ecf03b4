import {
  CreateLaunchTemplateCommand,
  DeleteLaunchTemplateCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeLaunchTemplatesCommand,
  EC2Client,
  type DescribeLaunchTemplatesCommandInput,
  type LaunchTemplate,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import { unlessNotFound } from '../aws/errors.js';
import type { ResourceStep } from '../engine/types.js';
import { deleteIgnoringNotFound } from './common.js';
import type { StackEnv } from './env.js';
import { METADATA_OPTIONS, checkLaunchDrift, ecsUserData, instanceNetwork, resolveAmi } from './launch-common.js';
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
    const v = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: template.LaunchTemplateId, Versions: ['$Latest'] }));
    const data = v.LaunchTemplateVersions?.[0]?.LaunchTemplateData;
    checkLaunchDrift(ctx, `Launch template ${template.LaunchTemplateName}`, { instanceType: data?.InstanceType, amiId: data?.ImageId });
    return {
      kind: 'template',
      launchTemplateId: template.LaunchTemplateId,
      launchTemplateName: template.LaunchTemplateName ?? ctx.env.names.launchTemplate,
      amiId: data?.ImageId ?? '',
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
    } satisfies LaunchOutputs;
  },
  async destroy(ctx, outputs) {
    const ec2 = ctx.env.aws.get(EC2Client);
    const id = outputs.launchTemplateId as string;
    await deleteIgnoringNotFound(ctx, () => ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: id })), `the launch template ${id} to be free`);
  },
};
