import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  DeleteLaunchTemplateCommand,
  DescribeImagesCommand,
  DescribeInstanceTypesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeLaunchTemplatesCommand,
  EC2Client,
  ModifyLaunchTemplateCommand,
} from '@aws-sdk/client-ec2';
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
  DeleteAutoScalingGroupCommand,
  DeleteLaunchConfigurationCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeLaunchConfigurationsCommand,
  DescribeScalingActivitiesCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { isInstanceProfilePropagating } from '../../../src/aws/errors.js';
import { isWizardError } from '../../../src/errors.js';
import { latestVersion, launchTemplateStep } from '../../../src/steps/stack/launch-template.js';
import { launchConfigurationStep } from '../../../src/steps/stack/launch-configuration.js';
import { amiFromParameterValue, ecsUserData, launchChanges, launchImage } from '../../../src/steps/stack/launch-common.js';
import { autoScalingGroupStep, instancesInServiceStep } from '../../../src/steps/stack/auto-scaling-group.js';
import { isOwnLaunchConfiguration } from '../../../src/destroy/inventory.js';
import { testStack } from '../../support/stack.js';
import { stepContext } from '../../support/step-context.js';
import { sdkError } from '../../support/aws-wire.js';

const ec2 = mockClient(EC2Client);
const as = mockClient(AutoScalingClient);
const ssm = mockClient(SSMClient);
afterEach(() => {
  ec2.reset();
  as.reset();
  ssm.reset();
});

const DEPS = {
  'instance-profile': { instanceProfileName: 'shop-ecs-instance', instanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/shop-ecs-instance' },
  'instance-security-group': { groupId: 'sg-0123456789abcdef0', groupName: 'shop-instances' },
  cluster: { clusterName: 'shop', clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/shop' },
  subnets: { subnetIds: ['subnet-0aaaaaaaa', 'subnet-0bbbbbbbb'], availabilityZones: ['us-east-1a', 'us-east-1b'] },
  'target-group': { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-tg/abc', targetGroupName: 'shop-tg' },
  'launch-template': { kind: 'template', launchTemplateId: 'lt-0123', launchTemplateName: 'shop-ecs', amiId: 'ami-0123456789' },
};
/** What DescribeInstanceTypes says the type runs, and DescribeImages what each AMI is built for. */
function typeRuns(...arches: string[]) {
  ec2.on(DescribeInstanceTypesCommand).callsFake((input: { InstanceTypes: string[] }) => ({
    InstanceTypes: input.InstanceTypes.map((InstanceType) => ({ InstanceType, ProcessorInfo: { SupportedArchitectures: arches } })),
  }));
}
function images(byId: Record<string, 'arm64' | 'x86_64'>) {
  ec2.on(DescribeImagesCommand).callsFake((input: { ImageIds: string[] }) => ({
    Images: input.ImageIds.filter((id) => byId[id]).map((ImageId) => ({ ImageId, Architecture: byId[ImageId] })),
  }));
}

/** What Auto Scaling answers while a fresh instance profile has not reached it yet. */
const PROFILE_NOT_YET = (Command: typeof CreateLaunchConfigurationCommand | typeof CreateAutoScalingGroupCommand) =>
  sdkError(AutoScalingClient, Command, 'ValidationError', 'Invalid IamInstanceProfile: arn:aws:iam::123456789012:instance-profile/shop-ecs-instance');

describe('launch template', () => {
  it('creates IMDSv2, profile, SG and ECS_CLUSTER user data from the recommended AL2023 AMI', async () => {
    // GIVEN no template and the SSM parameter holding a plain AMI id
    const t = testStack({ stack: 'shop', instances: { keyName: 'ops' } });
    typeRuns('i386', 'x86_64');
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'ami-0a1b2c3d4e5f' } });
    ec2.on(CreateLaunchTemplateCommand).resolves({ LaunchTemplate: { LaunchTemplateId: 'lt-0new', LaunchTemplateName: 'shop-ecs', LatestVersionNumber: 1 } });
    const { ctx } = stepContext(t.env, { outputs: DEPS });

    // WHEN the step creates it
    const out = await launchTemplateStep.create(ctx);

    // THEN the template carries everything an ECS host needs
    expect(out).toEqual({ kind: 'template', launchTemplateId: 'lt-0new', launchTemplateName: 'shop-ecs', amiId: 'ami-0a1b2c3d4e5f', instanceType: 't3.small', version: 1 });
    const input = ec2.commandCalls(CreateLaunchTemplateCommand)[0]!.args[0].input;
    const data = input.LaunchTemplateData!;
    expect(ssm.commandCalls(GetParameterCommand)[0]!.args[0].input.Name).toBe('/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id');
    expect(data.MetadataOptions).toEqual({ HttpTokens: 'required', HttpPutResponseHopLimit: 2, HttpEndpoint: 'enabled' });
    expect(data.IamInstanceProfile).toEqual({ Arn: DEPS['instance-profile'].instanceProfileArn });
    expect(data.SecurityGroupIds).toEqual(['sg-0123456789abcdef0']);
    expect(data.KeyName).toBe('ops');
    expect(data.InstanceType).toBe('t3.small');
    expect(Buffer.from(data.UserData!, 'base64').toString()).toBe('#!/bin/bash\necho ECS_CLUSTER=shop >> /etc/ecs/ecs.config\n');
    expect(data.TagSpecifications!.map((s) => s.ResourceType)).toEqual(['instance', 'volume']);
    expect(input.TagSpecifications![0]!.Tags).toContainEqual({ Key: 'ecs-wizard:stack', Value: 'shop' });
  });

  it('boots a type AWS reports as arm64 from the arm64 AMI, though its name does not say so (a1)', async () => {
    // GIVEN a1.large, which DescribeInstanceTypes reports as arm64
    const t = testStack({ stack: 'shop', instances: { instanceType: 'a1.large' } });
    typeRuns('arm64');
    ssm.on(GetParameterCommand, { Name: '/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id' }).resolves({ Parameter: { Value: 'ami-0a4a4a4a4a4a4a4a4' } });
    ssm.on(GetParameterCommand, { Name: '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id' }).resolves({ Parameter: { Value: 'ami-0e8e8e8e8e8e8e8e8' } });
    ec2.on(CreateLaunchTemplateCommand).resolves({ LaunchTemplate: { LaunchTemplateId: 'lt-0new', LaunchTemplateName: 'shop-ecs' } });
    // WHEN the template is created
    const out = await launchTemplateStep.create(stepContext(t.env, { outputs: DEPS }).ctx);
    // THEN it boots the arm64 ECS-optimized AMI
    expect(ec2.commandCalls(DescribeInstanceTypesCommand)[0]!.args[0].input.InstanceTypes).toEqual(['a1.large']);
    expect(ec2.commandCalls(CreateLaunchTemplateCommand)[0]!.args[0].input.LaunchTemplateData!.ImageId).toBe('ami-0a4a4a4a4a4a4a4a4');
    expect(out).toMatchObject({ amiId: 'ami-0a4a4a4a4a4a4a4a4' });
  });

  it('refuses a given AMI built for the other architecture as bad input on instances.amiId, with no template made', async () => {
    // GIVEN an x86_64 AMI for a Graviton type
    const t = testStack({ stack: 'shop', instances: { instanceType: 't4g.small', amiId: 'ami-0e8e8e8e8e8e8e8e8' } });
    typeRuns('arm64');
    images({ 'ami-0e8e8e8e8e8e8e8e8': 'x86_64' });
    // WHEN the image is resolved (as create does before anything is made)
    const err = await launchImage(t.aws, t.answers.instances, 'us-east-1').catch((e: unknown) => e);
    // THEN the field is named with both architectures
    expect(isWizardError(err, 'INPUT_INVALID')).toBe(true);
    expect((err as { problems: unknown[] }).problems).toEqual([
      { path: 'instances.amiId', message: expect.stringContaining('ami-0e8e8e8e8e8e8e8e8 is an x86_64 image, but t4g.small runs arm64') },
    ]);
    // AND a matching AMI is accepted as it is, without reading SSM
    images({ 'ami-0e8e8e8e8e8e8e8e8': 'arm64' });
    expect(await launchImage(t.aws, t.answers.instances, 'us-east-1')).toEqual({ architecture: 'arm64', amiId: 'ami-0e8e8e8e8e8e8e8e8' });
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(0);
  });

  it('refuses an instance type or AMI the region does not have, naming the field', async () => {
    const t = testStack({ stack: 'shop', instances: { instanceType: 't3.nonexist', amiId: 'ami-0deadbeef00000000' } });
    ec2.on(DescribeInstanceTypesCommand).rejects(await sdkError(EC2Client, DescribeInstanceTypesCommand, 'InvalidInstanceType', 'The following supplied instance types do not exist: [t3.nonexist]'));
    const noType = await launchImage(t.aws, t.answers.instances, 'us-east-1').catch((e: unknown) => e);
    expect((noType as { problems: unknown[] }).problems).toEqual([{ path: 'instances.instanceType', message: 't3.nonexist is not an EC2 instance type of us-east-1' }]);
    typeRuns('x86_64');
    ec2.on(DescribeImagesCommand).rejects(await sdkError(EC2Client, DescribeImagesCommand, 'InvalidAMIID.NotFound', "The image id '[ami-0deadbeef00000000]' does not exist"));
    const noImage = await launchImage(t.aws, t.answers.instances, 'us-east-1').catch((e: unknown) => e);
    expect((noImage as { problems: unknown[] }).problems).toEqual([{ path: 'instances.amiId', message: expect.stringContaining('ami-0deadbeef00000000 does not exist in us-east-1') }]);
  });

  it('reads the AMI id from both shapes of the SSM parameter value', () => {
    expect(amiFromParameterValue('ami-0abc')).toBe('ami-0abc');
    expect(amiFromParameterValue('{"image_id":"ami-0def","image_name":"amzn2-ami-ecs"}')).toBe('ami-0def');
    expect(amiFromParameterValue('{"schema_version":1}')).toBeUndefined();
  });

  it('finds by name when the recorded id is gone; a changed instance type is a new version (the default too), not a second template', async () => {
    // GIVEN the recorded id no longer exists but a template of that name does, version 3 with t3.small
    ec2.on(DescribeLaunchTemplatesCommand, { LaunchTemplateIds: ['lt-0old'] }).rejects(await sdkError(EC2Client, DescribeLaunchTemplatesCommand, 'InvalidLaunchTemplateId.NotFound', "The specified launch template, with template ID lt-0old, does not exist."));
    ec2.on(DescribeLaunchTemplatesCommand, { LaunchTemplateNames: ['shop-ecs'] }).resolves({ LaunchTemplates: [{ LaunchTemplateId: 'lt-0123', LaunchTemplateName: 'shop-ecs', DefaultVersionNumber: 3, LatestVersionNumber: 3 }] });
    ec2.on(DescribeLaunchTemplateVersionsCommand).resolves({ LaunchTemplateVersions: [{ VersionNumber: 3, LaunchTemplateData: { ImageId: 'ami-0123456789', InstanceType: 't3.small' } }] });

    // WHEN the answers still say t3.small, THEN it is found, unchanged
    const same = testStack({ stack: 'shop', instances: { instanceType: 't3.small' } });
    const found = await launchTemplateStep.find(stepContext(same.env, { outputs: DEPS, recorded: { launchTemplateId: 'lt-0old' } }).ctx);
    expect(found).toEqual({ kind: 'template', launchTemplateId: 'lt-0123', launchTemplateName: 'shop-ecs', amiId: 'ami-0123456789', instanceType: 't3.small', version: 3 });
    expect(ec2.commandCalls(CreateLaunchTemplateVersionCommand)).toHaveLength(0);
    expect(ec2.commandCalls(ModifyLaunchTemplateCommand)).toHaveLength(0);

    // WHEN the answers say a1.large (arm64) in a dry run, THEN the found version is reported and nothing is made
    const changed = testStack({ stack: 'shop', instances: { instanceType: 'a1.large' } });
    const dry = await launchTemplateStep.find(stepContext(changed.env, { outputs: DEPS, repair: false }).ctx);
    expect(dry).toMatchObject({ instanceType: 't3.small', version: 3 });
    expect(ec2.commandCalls(CreateLaunchTemplateVersionCommand)).toHaveLength(0);

    // WHEN it is a real create, THEN version 4 is made from version 3 with the type and the arm64 AMI, and made the default
    typeRuns('arm64');
    ssm.on(GetParameterCommand, { Name: '/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id' }).resolves({ Parameter: { Value: 'ami-0a4a4a4a4a4a4a4a4' } });
    ec2.on(CreateLaunchTemplateVersionCommand).resolves({ LaunchTemplateVersion: { VersionNumber: 4 } });
    ec2.on(ModifyLaunchTemplateCommand).resolves({});
    const made = await launchTemplateStep.find(stepContext(changed.env, { outputs: DEPS }).ctx);
    expect(made).toEqual({ kind: 'template', launchTemplateId: 'lt-0123', launchTemplateName: 'shop-ecs', amiId: 'ami-0a4a4a4a4a4a4a4a4', instanceType: 'a1.large', version: 4, changes: ['t3.small → a1.large'] });
    const input = ec2.commandCalls(CreateLaunchTemplateVersionCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ LaunchTemplateId: 'lt-0123', SourceVersion: '3', LaunchTemplateData: { InstanceType: 'a1.large', ImageId: 'ami-0a4a4a4a4a4a4a4a4' } });
    expect(input.ClientToken).toMatch(/^[0-9a-f]{48}$/);
    expect(ec2.commandCalls(ModifyLaunchTemplateCommand)[0]!.args[0].input).toEqual({ LaunchTemplateId: 'lt-0123', DefaultVersion: '4' });
    expect(ec2.commandCalls(CreateLaunchTemplateCommand)).toHaveLength(0);
  });

  it('reads the network and Spot draining of the latest version: private instances and Spot answered are a full new version; the same answers change nothing', async () => {
    // GIVEN version 2 of a public, on-demand stack (security groups on the instance, no Spot draining in the user data)
    const publicData = { ImageId: 'ami-0123456789', InstanceType: 't3.small' as const, SecurityGroupIds: ['sg-0123456789abcdef0'], UserData: ecsUserData('shop') };
    ec2.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [{ LaunchTemplateId: 'lt-0123', LaunchTemplateName: 'shop-ecs', DefaultVersionNumber: 2, LatestVersionNumber: 2 }] });
    ec2.on(DescribeLaunchTemplateVersionsCommand).resolves({ LaunchTemplateVersions: [{ VersionNumber: 2, LaunchTemplateData: publicData }] });
    const wanted = testStack({ stack: 'shop', instances: { instanceType: 't3.small', amiId: 'ami-0123456789', spot: {} }, network: { instanceSubnets: 'private' } });
    expect(await latestVersion(wanted.aws.get(EC2Client), 'lt-0123')).toEqual({ version: 2, instanceType: 't3.small', amiId: 'ami-0123456789', privateNetwork: false, spotDraining: false });
    expect(launchChanges(wanted.answers, { privateNetwork: false, spotDraining: false })).toEqual(['public → private instances', 'Spot draining on']);

    // WHEN the answers want private instances and Spot, in a real create
    typeRuns('x86_64');
    images({ 'ami-0123456789': 'x86_64' });
    ec2.on(CreateLaunchTemplateVersionCommand).resolves({ LaunchTemplateVersion: { VersionNumber: 3 } });
    ec2.on(ModifyLaunchTemplateCommand).resolves({});
    const made = await launchTemplateStep.find(stepContext(wanted.env, { outputs: DEPS }).ctx);
    // THEN version 3 holds everything create writes (not merged onto version 2: its security groups exclude an interface)
    expect(made).toMatchObject({ version: 3, changes: ['public → private instances', 'Spot draining on'] });
    const input = ec2.commandCalls(CreateLaunchTemplateVersionCommand)[0]!.args[0].input;
    expect(input.SourceVersion).toBeUndefined();
    const data = input.LaunchTemplateData!;
    expect(data.NetworkInterfaces).toEqual([{ DeviceIndex: 0, AssociatePublicIpAddress: false, Groups: ['sg-0123456789abcdef0'], DeleteOnTermination: true }]);
    expect(data.SecurityGroupIds).toBeUndefined();
    expect(data).toMatchObject({ ImageId: 'ami-0123456789', InstanceType: 't3.small', IamInstanceProfile: { Arn: DEPS['instance-profile'].instanceProfileArn }, MetadataOptions: { HttpTokens: 'required' } });
    expect(Buffer.from(data.UserData!, 'base64').toString()).toContain('ECS_ENABLE_SPOT_INSTANCE_DRAINING=true');
    expect(ec2.commandCalls(ModifyLaunchTemplateCommand)[0]!.args[0].input).toEqual({ LaunchTemplateId: 'lt-0123', DefaultVersion: '3' });

    // WHEN the latest version is that one and the answers are the same, THEN it is found with no change
    ec2.reset();
    ec2.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [{ LaunchTemplateId: 'lt-0123', LaunchTemplateName: 'shop-ecs', DefaultVersionNumber: 3, LatestVersionNumber: 3 }] });
    ec2.on(DescribeLaunchTemplateVersionsCommand).resolves({ LaunchTemplateVersions: [{ VersionNumber: 3, LaunchTemplateData: data as never }] });
    const again = await launchTemplateStep.find(stepContext(wanted.env, { outputs: DEPS }).ctx);
    expect(again).toEqual({ kind: 'template', launchTemplateId: 'lt-0123', launchTemplateName: 'shop-ecs', amiId: 'ami-0123456789', instanceType: 't3.small', version: 3 });
    expect(ec2.commandCalls(CreateLaunchTemplateVersionCommand)).toHaveLength(0);
    expect(ec2.commandCalls(ModifyLaunchTemplateCommand)).toHaveLength(0);

    // AND the way back reads as such: public, on-demand answers against that version
    const back = testStack({ stack: 'shop', instances: { instanceType: 't3.small' } });
    expect(launchChanges(back.answers, { privateNetwork: true, spotDraining: true })).toEqual(['private → public instances', 'Spot draining off']);
  });

  it('makes the latest version the default when a crash came between the two calls', async () => {
    const t = testStack({ stack: 'shop', instances: { instanceType: 't3.medium' } });
    ec2.on(DescribeLaunchTemplatesCommand).resolves({ LaunchTemplates: [{ LaunchTemplateId: 'lt-0123', LaunchTemplateName: 'shop-ecs', DefaultVersionNumber: 1, LatestVersionNumber: 2 }] });
    ec2.on(DescribeLaunchTemplateVersionsCommand).resolves({ LaunchTemplateVersions: [{ VersionNumber: 2, LaunchTemplateData: { ImageId: 'ami-0123456789', InstanceType: 't3.medium' } }] });
    ec2.on(ModifyLaunchTemplateCommand).resolves({});
    await launchTemplateStep.find(stepContext(t.env, { outputs: DEPS }).ctx);
    expect(ec2.commandCalls(ModifyLaunchTemplateCommand).map((c) => c.args[0].input)).toEqual([{ LaunchTemplateId: 'lt-0123', DefaultVersion: '2' }]);
    expect(ec2.commandCalls(CreateLaunchTemplateVersionCommand)).toHaveLength(0);
  });

  it('treats an already deleted template as destroyed', async () => {
    const t = testStack({ stack: 'shop' });
    ec2.on(DeleteLaunchTemplateCommand).rejects(await sdkError(EC2Client, DeleteLaunchTemplateCommand, 'InvalidLaunchTemplateId.NotFound', 'The specified launch template, with template ID lt-0123, does not exist.'));
    await expect(launchTemplateStep.destroy!(stepContext(t.env).ctx, DEPS['launch-template'])).resolves.toBeUndefined();
    expect(ec2.commandCalls(DeleteLaunchTemplateCommand)).toHaveLength(1);
  });
});

describe('launch configuration (legacy)', () => {
  it('says to use a launch template when the account refuses launch configurations', async () => {
    // GIVEN an account created after October 2024
    const t = testStack({ stack: 'shop', instances: { launch: 'configuration', amiId: 'ami-0123456789' } });
    typeRuns('x86_64');
    images({ 'ami-0123456789': 'x86_64' });
    as.on(CreateLaunchConfigurationCommand).rejects(
      await sdkError(AutoScalingClient, CreateLaunchConfigurationCommand, 'UnsupportedOperation', 'The Launch Configuration creation operation is not available in your account. Use launch templates to create configuration templates for your Auto Scaling groups.'),
    );
    // WHEN the step creates one
    const err = await launchConfigurationStep.create(stepContext(t.env, { outputs: DEPS }).ctx).catch((e: unknown) => e);
    // THEN the error says what to change
    expect(isWizardError(err, 'AWS')).toBe(true);
    expect((err as Error).message).toContain('cannot create launch configurations');
    expect((err as { hint?: string }).hint).toContain('instances.launch: template');
  });

  it('retries while the new instance profile propagates, then creates it with the same content', async () => {
    const t = testStack({ stack: 'shop', instances: { launch: 'configuration', amiId: 'ami-0123456789' } });
    typeRuns('x86_64');
    images({ 'ami-0123456789': 'x86_64' });
    const notYet = await PROFILE_NOT_YET(CreateLaunchConfigurationCommand);
    as.on(CreateLaunchConfigurationCommand).rejectsOnce(notYet).rejectsOnce(notYet).resolves({});
    const out = await launchConfigurationStep.create(stepContext(t.env, { outputs: DEPS }).ctx);
    expect(out).toEqual({ kind: 'configuration', launchConfigurationName: 'shop-ecs', amiId: 'ami-0123456789', instanceType: 't3.small' });
    const calls = as.commandCalls(CreateLaunchConfigurationCommand);
    expect(calls).toHaveLength(3);
    expect(calls[2]!.args[0].input).toMatchObject({
      SecurityGroups: ['sg-0123456789abcdef0'],
      MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 2 },
      IamInstanceProfile: DEPS['instance-profile'].instanceProfileArn,
    });
  });

  it('private instances answered on a public launch configuration are a new one without a public IP; one that says false is not read as a change', async () => {
    // GIVEN shop-ecs made for public instances (no AssociatePublicIpAddress), and answers for private ones
    const t = testStack({ stack: 'shop', instances: { launch: 'configuration', instanceType: 't3.small', amiId: 'ami-0123456789' }, network: { instanceSubnets: 'private' } });
    typeRuns('x86_64');
    images({ 'ami-0123456789': 'x86_64' });
    as.on(DescribeLaunchConfigurationsCommand, { LaunchConfigurationNames: ['shop-ecs'] }).resolves({ LaunchConfigurations: [{ LaunchConfigurationName: 'shop-ecs', ImageId: 'ami-0123456789', InstanceType: 't3.small', CreatedTime: new Date() }] });
    as.on(DescribeLaunchConfigurationsCommand, { LaunchConfigurationNames: ['shop-ecs-v2'] }).resolves({ LaunchConfigurations: [] });
    as.on(CreateLaunchConfigurationCommand).resolves({});
    // WHEN found in a real create
    const found = await launchConfigurationStep.find(stepContext(t.env, { outputs: DEPS }).ctx);
    // THEN shop-ecs-v2 is made without a public IP, for the roll
    expect(found).toMatchObject({ launchConfigurationName: 'shop-ecs-v2', previous: 'shop-ecs', changes: ['public → private instances'] });
    expect(as.commandCalls(CreateLaunchConfigurationCommand)[0]!.args[0].input).toMatchObject({ LaunchConfigurationName: 'shop-ecs-v2', AssociatePublicIpAddress: false });

    // WHEN the group's configuration says false (made for private instances, or by moto for any) and the answers say public
    as.reset();
    as.on(DescribeLaunchConfigurationsCommand, { LaunchConfigurationNames: ['shop-ecs-v2'] }).resolves({ LaunchConfigurations: [{ LaunchConfigurationName: 'shop-ecs-v2', ImageId: 'ami-0123456789', InstanceType: 't3.small', AssociatePublicIpAddress: false, CreatedTime: new Date() }] });
    const pub = testStack({ stack: 'shop', instances: { launch: 'configuration', instanceType: 't3.small', amiId: 'ami-0123456789' } });
    const same = await launchConfigurationStep.find(stepContext(pub.env, { outputs: DEPS, recorded: { launchConfigurationName: 'shop-ecs-v2' } }).ctx);
    // THEN it is found as it is: nothing made
    expect(same).toEqual({ kind: 'configuration', launchConfigurationName: 'shop-ecs-v2', amiId: 'ami-0123456789', instanceType: 't3.small' });
    expect(as.commandCalls(CreateLaunchConfigurationCommand)).toHaveLength(0);
  });

  it('a changed instance type is a new launch configuration <name>-v2 the group switches to; one a dead run made is used, not made twice', async () => {
    // GIVEN shop-ecs with t3.small, and answers saying t3.medium
    const t = testStack({ stack: 'shop', instances: { launch: 'configuration', instanceType: 't3.medium', amiId: 'ami-0123456789' } });
    typeRuns('x86_64');
    images({ 'ami-0123456789': 'x86_64' });
    as.on(DescribeLaunchConfigurationsCommand, { LaunchConfigurationNames: ['shop-ecs'] }).resolves({ LaunchConfigurations: [{ LaunchConfigurationName: 'shop-ecs', ImageId: 'ami-0123456789', InstanceType: 't3.small', CreatedTime: new Date() }] });
    as.on(DescribeLaunchConfigurationsCommand, { LaunchConfigurationNames: ['shop-ecs-v2'] }).resolves({ LaunchConfigurations: [] });
    as.on(CreateLaunchConfigurationCommand).resolves({});
    // WHEN found in a real create
    const found = await launchConfigurationStep.find(stepContext(t.env, { outputs: DEPS }).ctx);
    // THEN shop-ecs-v2 is made with t3.medium, and the old one is named for the roll to delete
    expect(found).toEqual({ kind: 'configuration', launchConfigurationName: 'shop-ecs-v2', amiId: 'ami-0123456789', instanceType: 't3.medium', previous: 'shop-ecs', changes: ['t3.small → t3.medium'] });
    expect(as.commandCalls(CreateLaunchConfigurationCommand)[0]!.args[0].input).toMatchObject({ LaunchConfigurationName: 'shop-ecs-v2', InstanceType: 't3.medium' });

    // WHEN a run died after making it, THEN the next one uses it
    as.on(DescribeLaunchConfigurationsCommand, { LaunchConfigurationNames: ['shop-ecs-v2'] }).resolves({ LaunchConfigurations: [{ LaunchConfigurationName: 'shop-ecs-v2', ImageId: 'ami-0123456789', InstanceType: 't3.medium', CreatedTime: new Date() }] });
    await launchConfigurationStep.find(stepContext(t.env, { outputs: DEPS }).ctx);
    expect(as.commandCalls(CreateLaunchConfigurationCommand)).toHaveLength(1);

    // AND the group step switches the group to it
    as.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [{ AutoScalingGroupName: 'shop-ecs', LaunchConfigurationName: 'shop-ecs', MinSize: 1, MaxSize: 4, DesiredCapacity: 2, VPCZoneIdentifier: 'subnet-0aaaaaaaa,subnet-0bbbbbbbb' } as never] });
    as.on(UpdateAutoScalingGroupCommand).resolves({});
    await autoScalingGroupStep.find(stepContext(t.env, { outputs: { ...DEPS, 'launch-template': found! } }).ctx);
    expect(as.commandCalls(UpdateAutoScalingGroupCommand).map((c) => c.args[0].input)).toEqual([{ AutoScalingGroupName: 'shop-ecs', LaunchConfigurationName: 'shop-ecs-v2' }]);
    // AND the names the stack's teardown matches are exactly its own
    expect(['shop-ecs', 'shop-ecs-v2', 'shop-ecs-v13', 'shop-ecs-ecs', 'shop-ecs-v2-ecs', 'shop-ecs-vx'].map((n) => isOwnLaunchConfiguration(n, 'shop-ecs'))).toEqual([true, true, true, false, false, false]);
  });

  it('finds the first of duplicate launch configurations and retries a delete while in use', async () => {
    const t = testStack({ stack: 'shop', instances: { launch: 'configuration' } });
    as.on(DescribeLaunchConfigurationsCommand).resolves({
      LaunchConfigurations: [
        { LaunchConfigurationName: 'shop-ecs', ImageId: 'ami-01', InstanceType: 't3.small', CreatedTime: new Date() },
        { LaunchConfigurationName: 'shop-ecs', ImageId: 'ami-02', InstanceType: 't3.small', CreatedTime: new Date() },
      ],
    });
    const found = await launchConfigurationStep.find(stepContext(t.env).ctx);
    expect(found).toEqual({ kind: 'configuration', launchConfigurationName: 'shop-ecs', amiId: 'ami-01', instanceType: 't3.small' });

    // WHEN it is destroyed while the group still uses it, THEN the delete is repeated until it goes
    as.on(DeleteLaunchConfigurationCommand).rejectsOnce(await sdkError(AutoScalingClient, DeleteLaunchConfigurationCommand, 'ResourceInUse', 'Cannot delete launch configuration shop-ecs because it is attached to AutoScalingGroup shop-ecs')).resolves({});
    await launchConfigurationStep.destroy!(stepContext(t.env).ctx, found!);
    expect(as.commandCalls(DeleteLaunchConfigurationCommand)).toHaveLength(2);
  });
});

describe('Auto Scaling group', () => {
  it('retries "Invalid IamInstanceProfile" twice, then creates the group wired to template and subnets, never to the target group', async () => {
    // GIVEN a fresh instance profile AWS does not see yet
    const t = testStack({ stack: 'shop' });
    const notYet = await PROFILE_NOT_YET(CreateAutoScalingGroupCommand);
    as.on(CreateAutoScalingGroupCommand).rejectsOnce(notYet).rejectsOnce(notYet).resolves({});
    as.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [{ AutoScalingGroupName: 'shop-ecs', AutoScalingGroupARN: 'arn:asg', MinSize: 1, MaxSize: 4, DesiredCapacity: 2, AvailabilityZones: [], HealthCheckType: 'EC2', DefaultCooldown: 300, CreatedTime: new Date() }] });
    const { ctx, progress } = stepContext(t.env, { outputs: DEPS });

    // WHEN the step creates the group
    const out = await autoScalingGroupStep.create(ctx);

    // THEN it tried three times, said why it waited, and sent the full wiring
    expect(out).toEqual({ autoScalingGroupName: 'shop-ecs', autoScalingGroupArn: 'arn:asg' });
    const calls = as.commandCalls(CreateAutoScalingGroupCommand);
    expect(calls).toHaveLength(3);
    expect(progress.join('\n')).toContain('instance profile');
    const input = calls[2]!.args[0].input;
    expect(input).toMatchObject({
      LaunchTemplate: { LaunchTemplateId: 'lt-0123', Version: '$Latest' },
      VPCZoneIdentifier: 'subnet-0aaaaaaaa,subnet-0bbbbbbbb',
      MinSize: 1,
      MaxSize: 4,
      DesiredCapacity: 2,
      HealthCheckType: 'EC2',
      NewInstancesProtectedFromScaleIn: true,
    });
    // ECS registers each task on its dynamic port; instance registrations on the group's port would stay unhealthy.
    expect(input.TargetGroupARNs).toBeUndefined();
    expect(input.TrafficSources).toBeUndefined();
    expect(input.Tags).toContainEqual({ Key: 'ecs-wizard:stack', Value: 'shop', PropagateAtLaunch: true, ResourceId: 'shop-ecs', ResourceType: 'auto-scaling-group' });
    expect(input.Tags!.find((x) => x.Key === 'Name')?.PropagateAtLaunch).toBe(true);
  });

  it('does not retry other validation errors', async () => {
    const t = testStack({ stack: 'shop' });
    as.on(CreateAutoScalingGroupCommand).rejects(await sdkError(AutoScalingClient, CreateAutoScalingGroupCommand, 'ValidationError', 'Max bound, 0, must be greater than or equal to min bound, 1'));
    await expect(autoScalingGroupStep.create(stepContext(t.env, { outputs: DEPS }).ctx)).rejects.toThrow('Max bound');
    expect(as.commandCalls(CreateAutoScalingGroupCommand)).toHaveLength(1);
    expect(
      isInstanceProfilePropagating(await sdkError(EC2Client, CreateLaunchTemplateCommand, 'InvalidParameterValue', 'Value (x) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name')),
    ).toBe(true);
    expect(isInstanceProfilePropagating(await sdkError(AutoScalingClient, CreateAutoScalingGroupCommand, 'AccessDenied', 'IamInstanceProfile', { status: 403 }))).toBe(false);
  });

  it('finds an existing group by name, so it is never created twice (moto would replace it)', async () => {
    const t = testStack({ stack: 'shop' });
    as.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [{ AutoScalingGroupName: 'shop-ecs', AutoScalingGroupARN: 'arn:asg', MinSize: 1, MaxSize: 4, DesiredCapacity: 2, AvailabilityZones: [], HealthCheckType: 'EC2', DefaultCooldown: 300, CreatedTime: new Date() }] });
    expect(await autoScalingGroupStep.find(stepContext(t.env, { outputs: DEPS }).ctx)).toEqual({ autoScalingGroupName: 'shop-ecs', autoScalingGroupArn: 'arn:asg' });
    as.reset();
    as.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
    expect(await autoScalingGroupStep.find(stepContext(t.env, { outputs: DEPS }).ctx)).toBeUndefined();
  });

  it('on a rerun, brings changed min/max sizes to the group, leaving the desired capacity to scaling unless out of bounds', async () => {
    const group = { AutoScalingGroupName: 'shop-ecs', AutoScalingGroupARN: 'arn:asg', MinSize: 1, MaxSize: 4, DesiredCapacity: 3, AvailabilityZones: [], HealthCheckType: 'EC2', DefaultCooldown: 300, CreatedTime: new Date(), VPCZoneIdentifier: 'subnet-0aaaaaaaa,subnet-0bbbbbbbb' };
    as.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group] });
    as.on(UpdateAutoScalingGroupCommand).resolves({});
    // GIVEN answers that widen the bounds WHEN found in a real create THEN min/max change, desired stays
    const wider = testStack({ stack: 'shop', instances: { minSize: 2, desiredCapacity: 2, maxSize: 8 } });
    await autoScalingGroupStep.find(stepContext(wider.env, { outputs: DEPS }).ctx);
    expect(as.commandCalls(UpdateAutoScalingGroupCommand)[0]!.args[0].input).toEqual({ AutoScalingGroupName: 'shop-ecs', MinSize: 2, MaxSize: 8 });
    // GIVEN answers whose maximum is below the current desired capacity THEN desired is brought inside
    const narrower = testStack({ stack: 'shop', instances: { minSize: 1, desiredCapacity: 2, maxSize: 2 } });
    await autoScalingGroupStep.find(stepContext(narrower.env, { outputs: DEPS }).ctx);
    expect(as.commandCalls(UpdateAutoScalingGroupCommand)[1]!.args[0].input).toEqual({ AutoScalingGroupName: 'shop-ecs', MinSize: 1, MaxSize: 2, DesiredCapacity: 2 });
    // AND nothing changes in a dry run (no repair), or when the bounds already match
    await autoScalingGroupStep.find(stepContext(wider.env, { outputs: DEPS, repair: false }).ctx);
    const same = testStack({ stack: 'shop', instances: { minSize: 1, desiredCapacity: 2, maxSize: 4 } });
    await autoScalingGroupStep.find(stepContext(same.env, { outputs: DEPS }).ctx);
    expect(as.commandCalls(UpdateAutoScalingGroupCommand)).toHaveLength(2);
  });

  it('force-deletes, retries while scaling activities run, and waits until the group is gone', async () => {
    // GIVEN a group whose first delete meets a scaling activity and which takes two looks to vanish
    const t = testStack({ stack: 'shop' });
    const group = { AutoScalingGroupName: 'shop-ecs', MinSize: 0, MaxSize: 4, DesiredCapacity: 0, AvailabilityZones: [], HealthCheckType: 'EC2', DefaultCooldown: 300, CreatedTime: new Date(), Instances: [] };
    as.on(DescribeAutoScalingGroupsCommand)
      .resolvesOnce({ AutoScalingGroups: [group] })
      .resolvesOnce({ AutoScalingGroups: [{ ...group, Status: 'Delete in progress' }] })
      .resolves({ AutoScalingGroups: [] });
    as.on(DeleteAutoScalingGroupCommand).rejectsOnce(await sdkError(AutoScalingClient, DeleteAutoScalingGroupCommand, 'ScalingActivityInProgress', 'You cannot delete an AutoScalingGroup while there are scaling activities in progress for that group.')).resolves({});
    // WHEN destroyed
    await autoScalingGroupStep.destroy!(stepContext(t.env).ctx, { autoScalingGroupName: 'shop-ecs' });
    // THEN the delete was forced, repeated once, and the step returned only after the group was gone
    const deletes = as.commandCalls(DeleteAutoScalingGroupCommand);
    expect(deletes).toHaveLength(2);
    expect(deletes[1]!.args[0].input).toEqual({ AutoScalingGroupName: 'shop-ecs', ForceDelete: true });
    expect(as.commandCalls(DescribeAutoScalingGroupsCommand)).toHaveLength(3);
  });

  it('waits until the desired instances are InService, saying how many', async () => {
    const t = testStack({ stack: 'shop' });
    const base = { AutoScalingGroupName: 'shop-ecs', MinSize: 1, MaxSize: 4, DesiredCapacity: 2, AvailabilityZones: [], HealthCheckType: 'EC2', DefaultCooldown: 300, CreatedTime: new Date() };
    const inst = (id: string, state: 'Pending' | 'InService') => ({ InstanceId: id, LifecycleState: state, AvailabilityZone: 'us-east-1a', HealthStatus: 'Healthy', ProtectedFromScaleIn: true });
    as.on(DescribeAutoScalingGroupsCommand)
      .resolvesOnce({ AutoScalingGroups: [{ ...base, Instances: [inst('i-1', 'InService'), inst('i-2', 'Pending')] }] })
      .resolves({ AutoScalingGroups: [{ ...base, Instances: [inst('i-1', 'InService'), inst('i-2', 'InService')] }] });
    as.on(DescribeScalingActivitiesCommand).resolves({ Activities: [{ ActivityId: 'a1', AutoScalingGroupName: 'shop-ecs', Cause: 'launch', StartTime: new Date(), StatusCode: 'InProgress', Progress: 30 }] });
    const { ctx, progress } = stepContext(t.env, { outputs: { 'auto-scaling-group': { autoScalingGroupName: 'shop-ecs', autoScalingGroupArn: 'arn:asg' } } });
    await instancesInServiceStep.run(ctx);
    expect(progress[0]).toContain('waiting for 1/2 instances in service');
    expect(as.commandCalls(DescribeAutoScalingGroupsCommand)).toHaveLength(2);
    // while one was missing, the launches were read once
    expect(as.commandCalls(DescribeScalingActivitiesCommand)).toHaveLength(1);
  });
});
