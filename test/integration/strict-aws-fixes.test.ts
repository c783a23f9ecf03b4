import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateLaunchTemplateCommand,
  DescribeInternetGatewaysCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  ModifyInstanceAttributeCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { AutoScalingClient, CreateAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand, TerminateInstanceInAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { CreateClusterCommand, CreateServiceCommand, DescribeCapacityProvidersCommand, DescribeClustersCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { DeleteRoleCommand, IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { ApplicationAutoScalingClient, DescribeScalingPoliciesCommand, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { runCreate } from '../../src/engine/engine.js';
import type { Step } from '../../src/engine/types.js';
import { isWizardError } from '../../src/errors.js';
import { deleteLeftovers } from '../../src/destroy/cleanup.js';
import { listStackResources } from '../../src/destroy/inventory.js';
import { buildPlan } from '../../src/steps/index.js';
import type { StackEnv } from '../../src/steps/env.js';
import { vpcStep } from '../../src/steps/stack/vpc.js';
import { subnetsStep } from '../../src/steps/stack/subnets.js';
import { internetGatewayStep } from '../../src/steps/stack/internet-gateway.js';
import { routeTableStep } from '../../src/steps/stack/route-table.js';
import { albSecurityGroupStep, instanceSecurityGroupStep } from '../../src/steps/stack/security-groups.js';
import { clusterStep } from '../../src/steps/stack/cluster.js';
import { capacityProviderStep } from '../../src/steps/stack/capacity-provider.js';
import { serviceScalingStep as serviceScalingStepFor } from '../../src/steps/service/service-scaling.js';
import { instancesInServiceStep } from '../../src/steps/stack/auto-scaling-group.js';
import { startMoto, type Moto } from '../support/moto.js';
import { startStrictAws, type StrictAws } from '../support/strict-aws.js';
import { wireError, wireJson } from '../support/aws-wire.js';
import { StateFile } from '../../src/engine/state.js';
import { inspectHosts, type HostTargets, type InspectOptions } from '../../src/hosts/inspect.js';
import { runRoll, type RollSpec } from '../../src/hosts/roll.js';
import { LAUNCH_FAILURE, RULE, strictProfile, type StrictOptions, type StrictProfile } from '../support/strict-rules.js';
import { FAST_TIMING, testStack } from '../support/stack.js';
import { stepContext } from '../support/step-context.js';
import { onPrimary } from '../support/service-steps.js';
const serviceScalingStep = onPrimary(serviceScalingStepFor);

/**
 * The fixes for what a real account refuses where moto accepts (issue 12, items 1, 2, 3, 8, 9; issue 22, items 3, 14, 15b), each
 * run through the strict-AWS proxy answering as AWS does, and each asserting that its rule fired.
 * Every test here fails on the code before the fix: the step gives up on the first NotFound or
 * "unable to assume", takes a DELETE_FAILED for a deletion, or waits out the timeout on a launch
 * that can never succeed.
 */

let moto: Moto;
let aws: StrictAws;
let profile: StrictProfile | undefined;
const creds = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const direct = <C>(C: new (cfg: object) => C): C => new C({ region: 'us-east-1', endpoint: moto.endpoint, credentials: creds });
const viaProxy = <C>(C: new (cfg: object) => C): C => new C({ region: 'us-east-1', endpoint: aws.endpoint, credentials: creds });

beforeAll(async () => {
  moto = await startMoto();
  aws = await startStrictAws(moto.endpoint);
});
afterEach(() => {
  aws.clear();
  profile?.close();
  profile = undefined;
});
afterAll(async () => {
  await aws?.stop();
  await moto?.stop();
});

/** Installs only the named rules of the strict profile. */
function strict(names: string[], opts: StrictOptions = {}): void {
  profile = strictProfile(aws, opts);
  aws.rules(profile.only(...names));
}

const NETWORK: Step<StackEnv>[] = [vpcStep, subnetsStep, internetGatewayStep, routeTableStep, albSecurityGroupStep, instanceSecurityGroupStep];
const failed = (r: { results: { stepId: string; outcome: string; error?: unknown }[] }) =>
  r.results.filter((x) => x.outcome === 'failed').map((x) => `${x.stepId}: ${(x.error as Error)?.message}`);

describe('1. NotFound right after a create means "not yet"', () => {
  it('retries authorizing new groups (and the ALB group the instance group names), routing and associating a new table, attaching a new gateway', async () => {
    // GIVEN EC2 not yet showing each new group, table and gateway to the next call (twice each)
    strict([RULE.sgNotYet, RULE.sgSourceNotYet, RULE.routeNotYet, RULE.associationNotYet, RULE.igwNotYet], { n: 2 });
    const t = testStack({ stack: 'strict-net', network: { vpcCidr: '10.30.0.0/16', subnetCidrs: ['10.30.0.0/24', '10.30.1.0/24'] } }, { endpoint: aws.endpoint });

    // WHEN the network is created
    const run = await runCreate(NETWORK, { env: t.env, state: t.state });

    // THEN every step got there, each rule answered as often as it was allowed to
    expect(failed(run)).toEqual([]);
    expect(aws.firedAll()).toEqual({
      [RULE.sgNotYet]: 4, // two groups, twice each
      [RULE.sgSourceNotYet]: 2, // the instance group's rule names the new ALB group
      [RULE.routeNotYet]: 2,
      [RULE.associationNotYet]: 2,
      [RULE.igwNotYet]: 2,
    });
    // AND what AWS holds is complete: the rule from the ALB group, the route, both associations, the attachment
    const ec2 = direct(EC2Client);
    const byTag = [{ Name: 'tag:ecs-wizard:stack', Values: ['strict-net'] }];
    const groups = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: byTag }))).SecurityGroups ?? [];
    const alb = groups.find((g) => g.GroupName === 'strict-net-alb')!;
    const inst = groups.find((g) => g.GroupName === 'strict-net-instances')!;
    expect(inst.IpPermissions?.flatMap((p) => p.UserIdGroupPairs ?? []).map((p) => p.GroupId)).toEqual([alb.GroupId]);
    const [table] = (await ec2.send(new DescribeRouteTablesCommand({ Filters: byTag }))).RouteTables ?? [];
    expect(table!.Routes).toContainEqual(expect.objectContaining({ DestinationCidrBlock: '0.0.0.0/0', GatewayId: expect.stringMatching(/^igw-/) }));
    expect(table!.Associations!.filter((a) => !a.Main)).toHaveLength(2);
    const [igw] = (await ec2.send(new DescribeInternetGatewaysCommand({ Filters: byTag }))).InternetGateways ?? [];
    expect(igw!.Attachments).toEqual([expect.objectContaining({ State: 'available' })]);
    ec2.destroy();
  });

  it('a NotFound for a group this run did not create stays an error, at once', async () => {
    // GIVEN a network made earlier, whose instance group lost its rule (so a rerun must authorize it again)
    const t = testStack({ stack: 'strict-old', network: { vpcCidr: '10.31.0.0/16', subnetCidrs: ['10.31.0.0/24', '10.31.1.0/24'] } }, { endpoint: aws.endpoint });
    expect(failed(await runCreate(NETWORK, { env: t.env, state: t.state }))).toEqual([]);
    const ec2 = direct(EC2Client);
    const inst = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['strict-old-instances'] }] }))).SecurityGroups![0]!;
    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: inst.GroupId, IpPermissions: inst.IpPermissions }));
    ec2.destroy();
    // AND EC2 answering that the group does not exist
    aws.rule({ name: 'gone', service: 'ec2', operation: 'AuthorizeSecurityGroupIngress', error: { code: 'InvalidGroup.NotFound', message: `The security group '${inst.GroupId}' does not exist` } });

    // WHEN a new run (a new env) converges it
    const rerun = testStack({ stack: 'strict-old', network: { vpcCidr: '10.31.0.0/16', subnetCidrs: ['10.31.0.0/24', '10.31.1.0/24'] } }, { endpoint: aws.endpoint, stateDir: t.stateDir });
    const run = await runCreate(NETWORK, { env: rerun.env, state: rerun.state });

    // THEN the step fails on the first answer, without retrying
    expect(failed(run)).toEqual([expect.stringContaining('instance-security-group')]);
    expect(aws.fired('gone')).toBe(1);
  });
});

describe('2. ECS service-linked role in a fresh account', () => {
  const listEcsRoles = async () => {
    const iam = direct(IAMClient);
    const r = await iam.send(new ListRolesCommand({ PathPrefix: '/aws-service-role/ecs.amazonaws.com/' }));
    iam.destroy();
    return r.Roles ?? [];
  };
  const ecsRoles = async (): Promise<number> => (await listEcsRoles()).length;
  /** A fresh account as far as ECS's role goes (cheaper than resetting moto). */
  const withoutEcsRole = async (): Promise<void> => {
    const iam = direct(IAMClient);
    for (const role of await listEcsRoles()) await iam.send(new DeleteRoleCommand({ RoleName: role.RoleName }));
    iam.destroy();
  };

  it('retries CreateCluster, CreateCapacityProvider and CreateService until ECS can assume the role it made on first use; "has been taken" is done', async () => {
    // GIVEN a fresh account (no ECS role yet) whose ECS makes the role on its first call, then needs two more calls per operation to assume it
    await withoutEcsRole();
    expect(await ecsRoles()).toBe(0);
    strict([RULE.slrCluster, RULE.slrCapacityProvider, RULE.slrService, RULE.slrTaken], { n: 2, ecsCreatesRole: true });
    const t = testStack({ stack: 'strict-slr' }, { endpoint: aws.endpoint });

    // WHEN the whole stack is created (waits off: this is about the creates)
    const run = await runCreate(buildPlan(t.answers), { env: t.env, state: t.state, wait: false });

    // THEN every step got there: each create was refused, and our own CreateServiceLinkedRole met "has been taken" once
    expect(failed(run)).toEqual([]);
    expect(aws.fired(RULE.slrCluster)).toBe(3); // while missing (ECS then makes it), then twice while it propagates
    expect(aws.fired(RULE.slrCapacityProvider)).toBe(2);
    expect(aws.fired(RULE.slrService)).toBe(2);
    expect(aws.fired(RULE.slrTaken)).toBe(1);
    expect(await ecsRoles()).toBe(1);
    expect(run.results.filter((r) => ['cluster', 'capacity-provider', 'service'].includes(r.stepId)).map((r) => r.outcome)).toEqual(['created', 'created', 'created']);
  });

  it('creates AWSServiceRoleForECS when ECS did not, and the cluster follows once it can be assumed', async () => {
    // GIVEN an account without the role where ECS does not make it
    await withoutEcsRole();
    strict([RULE.slrCluster, RULE.slrTaken], { n: 1, ecsCreatesRole: false });
    const t = testStack({ stack: 'strict-slr2' }, { endpoint: aws.endpoint });

    // WHEN the cluster is created
    const run = await runCreate([clusterStep], { env: t.env, state: t.state });

    // THEN the tool made the role (moto took the call: the role did not exist), and the cluster was created
    expect(failed(run)).toEqual([]);
    expect(aws.requests.filter((r) => r.operation === 'CreateServiceLinkedRole').map((r) => [r.status, r.rule])).toEqual([[200, undefined]]);
    expect(await ecsRoles()).toBe(1);
    expect(aws.fired(RULE.slrCluster)).toBe(2); // while missing, then once while it propagates
    expect(aws.fired(RULE.slrTaken)).toBe(0);
  });

  it('a caller not allowed to create the role keeps waiting for ECS, and the timeout says how to make the role', async () => {
    // GIVEN no role, an ECS that does not make it, and IAM refusing our CreateServiceLinkedRole
    await withoutEcsRole();
    strict([RULE.slrCluster], { ecsCreatesRole: false });
    aws.rule({ name: 'denied', service: 'iam', operation: 'CreateServiceLinkedRole', error: { code: 'AccessDenied', message: 'User is not authorized to perform: iam:CreateServiceLinkedRole', status: 403 } });
    const t = testStack({ stack: 'strict-slr3' }, { endpoint: aws.endpoint });

    // WHEN the cluster is created with a short wait
    const { ctx, progress } = stepContext({ ...t.env, timing: { ...FAST_TIMING, timeoutMs: 300 } });
    const err = await clusterStep.create(ctx).catch((e: unknown) => e);

    // THEN it kept retrying CreateCluster, and the timeout names the command that makes the role
    expect(isWizardError(err, 'TIMEOUT')).toBe(true);
    expect((err as { hint?: string }).hint).toContain('aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com');
    expect(progress.join('\n')).toContain('could not create AWSServiceRoleForECS (AccessDenied:');
    expect(aws.fired('denied')).toBe(1);
    expect(aws.fired(RULE.slrCluster)).toBeGreaterThan(1);
  });
});

describe('3. Application Auto Scaling right after RegisterScalableTarget', () => {
  const answers = { stack: 'strict-aas', scaling: { service: { minCount: 1, maxCount: 4, targetCpuPercent: 50, targetMemoryPercent: 70 } } };
  const outputs = { service: { clusterName: 'strict-aas', serviceName: 'strict-aas', serviceArn: 'x' } };
  /** Application Auto Scaling (moto too) wants the ECS service to exist. */
  async function service(name: string): Promise<void> {
    const ecs = direct(ECSClient);
    await ecs.send(new CreateClusterCommand({ clusterName: name }));
    const td = await ecs.send(new RegisterTaskDefinitionCommand({ family: name, containerDefinitions: [{ name: 'app', image: 'nginx', memory: 128 }] }));
    await ecs.send(new CreateServiceCommand({ cluster: name, serviceName: name, taskDefinition: td.taskDefinition!.taskDefinitionArn, desiredCount: 1 }));
    ecs.destroy();
  }

  it('retries PutScalingPolicy while the new target is not yet visible', async () => {
    // GIVEN PutScalingPolicy answering ObjectNotFoundException twice for a newly registered target
    strict([RULE.scalableTargetNotYet], { n: 2 });
    await service('strict-aas');
    const t = testStack(answers, { endpoint: aws.endpoint });
    const { ctx } = stepContext(t.env, { outputs });

    // WHEN service auto scaling is created
    await serviceScalingStep.create(ctx);

    // THEN both policies exist
    expect(aws.fired(RULE.scalableTargetNotYet)).toBe(2);
    const aas = direct(ApplicationAutoScalingClient);
    const p = await aas.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs', ResourceId: 'service/strict-aas/strict-aas' }));
    expect((p.ScalingPolicies ?? []).map((x) => x.PolicyName).sort()).toEqual(['strict-aas-cpu', 'strict-aas-memory']);
    aas.destroy();
  });

  it('an ObjectNotFoundException for a target registered before this run stays an error', async () => {
    // GIVEN a target registered earlier with the wanted bounds (nothing to register now), and AAS saying it does not exist
    await service('strict-aas2');
    const aas = direct(ApplicationAutoScalingClient);
    await aas.send(new RegisterScalableTargetCommand({ ServiceNamespace: 'ecs', ResourceId: 'service/strict-aas2/strict-aas2', ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 1, MaxCapacity: 4 }));
    aas.destroy();
    aws.rule({ name: 'gone', service: 'application-autoscaling', operation: 'PutScalingPolicy', error: { code: 'ObjectNotFoundException', message: 'No scalable target registered for service namespace: ecs, resource ID: service/strict-aas2/strict-aas2, scalable dimension: ecs:service:DesiredCount' } });
    const t = testStack({ ...answers, stack: 'strict-aas2' }, { endpoint: aws.endpoint });
    const { ctx } = stepContext(t.env, { outputs: { service: { clusterName: 'strict-aas2', serviceName: 'strict-aas2', serviceArn: 'x' } } });

    // WHEN the step converges it THEN the first answer fails it
    await expect(serviceScalingStep.find(ctx)).rejects.toMatchObject({ name: 'ObjectNotFoundException' });
    expect(aws.fired('gone')).toBe(1);
  });
});

describe('8. Capacity provider deletion', () => {
  /** A cluster with the stack's provider attached, made through the proxy (so the harness saw the attachment). */
  async function clusterWithProvider(stack: string) {
    const t = testStack({ stack }, { endpoint: aws.endpoint });
    const cluster = await clusterStep.create(stepContext(t.env).ctx);
    const outputs = { cluster, 'auto-scaling-group': { autoScalingGroupName: `${stack}-ecs`, autoScalingGroupArn: `arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1:autoScalingGroupName/${stack}-ecs` } };
    const cp = await capacityProviderStep.create(stepContext(t.env, { outputs }).ctx);
    return { t, outputs, cp };
  }
  const providerInMoto = async (name: string) => {
    const ecs = direct(ECSClient);
    const r = await ecs.send(new DescribeCapacityProvidersCommand({ capacityProviders: [name] }));
    ecs.destroy();
    return r.capacityProviders?.length ?? 0;
  };

  it('reads DELETE_FAILED, detaches and deletes again, and waits through DELETE_IN_PROGRESS until it is gone', async () => {
    // GIVEN an attached provider, whose first delete after the detach answers DELETE_FAILED (the detach settles late)
    strict([RULE.cpDeleteFailed, RULE.cpDeleteInProgress], { n: 2 });
    const { t, outputs, cp } = await clusterWithProvider('strict-cp');

    // WHEN the step destroys it
    const { ctx, progress } = stepContext(t.env, { outputs });
    await capacityProviderStep.destroy!(ctx, cp);

    // THEN AWS's reason was read and said, the delete was repeated, and the provider is really gone
    expect(aws.fired(RULE.cpDeleteFailed)).toBe(2);
    expect(aws.fired(RULE.cpDeleteInProgress)).toBe(2);
    expect(progress.join('\n')).toContain('DELETE_FAILED: The capacity provider cannot be deleted because it is associated with cluster: strict-cp');
    expect(aws.requests.filter((r) => r.operation === 'DeleteCapacityProvider')).toHaveLength(3);
    expect(await providerInMoto('cp-strict-cp')).toBe(0);
  });

  it('a provider that stays attached times out with the updateStatusReason in the message', async () => {
    // GIVEN a cluster that never lets go of the provider (the detach is answered but not applied)
    strict([RULE.cpDeleteFailed]);
    const { t, outputs, cp } = await clusterWithProvider('strict-cp2');
    aws.rule({
      name: 'detach-ignored',
      service: 'ecs',
      operation: 'PutClusterCapacityProviders',
      respond: async () => {
        const ecs = direct(ECSClient);
        const c = await ecs.send(new DescribeClustersCommand({ clusters: ['strict-cp2'] }));
        ecs.destroy();
        return wireJson('ecs', { cluster: c.clusters![0] });
      },
    });

    // WHEN the step destroys it with a short wait
    const { ctx } = stepContext({ ...t.env, timing: { ...FAST_TIMING, timeoutMs: 300 } }, { outputs });
    const err = await capacityProviderStep.destroy!(ctx, cp).catch((e: unknown) => e);

    // THEN it timed out naming AWS's reason, and the provider is still there (nothing pretended)
    expect(isWizardError(err, 'TIMEOUT')).toBe(true);
    expect((err as Error).message).toContain('associated with cluster: strict-cp2');
    expect(aws.fired(RULE.cpDeleteFailed)).toBeGreaterThanOrEqual(1);
    expect(await providerInMoto('cp-strict-cp2')).toBe(1);
  });

  it('the cleanup pass detaches a provider the plan did not delete, and does not call it left behind while it is DELETE_IN_PROGRESS', async () => {
    // GIVEN an attached provider only the tag-and-name inventory knows of
    strict([RULE.cpDeleteFailed, RULE.cpDeleteInProgress]);
    const { t } = await clusterWithProvider('strict-cp3');
    const before = await listStackResources(t.env.aws, t.env.names);
    expect(before.filter((i) => i.type === 'capacity-provider').map((i) => i.id)).toEqual(['cp-strict-cp3']);

    // WHEN the cleanup pass deletes it and the stack is listed again
    const result = await deleteLeftovers(t.env.aws, before.filter((i) => i.type === 'capacity-provider'), { timing: FAST_TIMING });
    const after = await listStackResources(t.env.aws, t.env.names);

    // THEN it was detached (so no DELETE_FAILED was taken for a deletion), waited for, and is not listed
    expect(result.failed).toEqual([]);
    expect(aws.fired(RULE.cpDeleteFailed)).toBe(1);
    expect(aws.fired(RULE.cpDeleteInProgress)).toBeGreaterThanOrEqual(1);
    expect(after.filter((i) => i.type === 'capacity-provider')).toEqual([]);
    expect(await providerInMoto('cp-strict-cp3')).toBe(0);
  });
});

describe('9. Instance launch failures while waiting for instances', () => {
  /** A group made through the proxy, so the harness knows it is new. */
  async function group(name: string): Promise<void> {
    const ec2 = viaProxy(EC2Client);
    const lt = await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: name, LaunchTemplateData: { ImageId: 'ami-12c6146b', InstanceType: 't3.small' } }));
    const as = viaProxy(AutoScalingClient);
    await as.send(
      new CreateAutoScalingGroupCommand({ AutoScalingGroupName: name, LaunchTemplate: { LaunchTemplateId: lt.LaunchTemplate!.LaunchTemplateId, Version: '$Latest' }, MinSize: 2, MaxSize: 2, DesiredCapacity: 2, AvailabilityZones: ['us-east-1a'] }),
    );
    ec2.destroy();
    as.destroy();
  }
  const wait = (name: string) => {
    const t = testStack({ stack: name }, { endpoint: aws.endpoint });
    const { ctx, progress } = stepContext({ ...t.env, timing: { ...FAST_TIMING, timeoutMs: 3000 } }, { outputs: { 'auto-scaling-group': { autoScalingGroupName: name, autoScalingGroupArn: 'x' } } });
    return { run: () => instancesInServiceStep.run(ctx), progress };
  };

  it.each([
    ['vCPU limit', LAUNCH_FAILURE.vcpuLimit, /vCPU quota/],
    ['unsupported configuration', LAUNCH_FAILURE.unsupported, /another instances.instanceType/],
    ['AMI of the wrong architecture', LAUNCH_FAILURE.architecture, /architecture does not match/],
  ])('stops at once on a permanent failure (%s), quoting AWS with a hint', async (_what, message, hint) => {
    // GIVEN a group whose launches fail for good
    strict([RULE.launchFailed], { launchFailure: { message, active: () => true } });
    await group(`strict-launch-${message.length}`);

    // WHEN the wait runs
    const err = await wait(`strict-launch-${message.length}`).run().catch((e: unknown) => e);

    // THEN it stopped on the first activity read: AWS's words, and what to do
    expect(isWizardError(err, 'AWS')).toBe(true);
    expect((err as Error).message).toContain(message);
    expect((err as { hint?: string }).hint).toMatch(hint);
    expect(aws.requests.filter((r) => r.operation === 'DescribeScalingActivities')).toHaveLength(1);
  });

  it('keeps waiting through a passing capacity shortage, but stops when capacity is still short after retries', async () => {
    // GIVEN a new group meeting a shortage twice, then launching
    strict([RULE.launchTransient], { transientLaunchFailures: 2 });
    await group('strict-short');

    // WHEN the wait runs THEN it ends when the instances are in service
    const w = wait('strict-short');
    await w.run();
    expect(aws.fired(RULE.launchTransient)).toBeGreaterThanOrEqual(2);
    expect(w.progress.some((p) => p.includes('0/2 instances in service'))).toBe(true);

    // GIVEN another group where the shortage lasts
    aws.clear();
    profile!.close();
    strict([RULE.launchFailed], { launchFailure: { message: LAUNCH_FAILURE.capacity, active: () => true } });
    await group('strict-short2');

    // WHEN the wait runs THEN it stops after the third failed attempt, quoting AWS
    const err = await wait('strict-short2').run().catch((e: unknown) => e);
    expect(isWizardError(err, 'AWS')).toBe(true);
    expect((err as Error).message).toContain('We currently do not have sufficient t3.small capacity');
    expect(aws.requests.filter((r) => r.operation === 'DescribeScalingActivities')).toHaveLength(3);
  });
});

describe('issue 22: the hosts of a real account', () => {
  const ami = 'ami-12c6146b';
  /** A launch template and a group of 2 made straight in moto (so the proxy first sees the group with its instances), Spot with `types`. */
  async function hostGroup(name: string, types?: string[]): Promise<{ launchTemplateId: string; ids: string[] }> {
    const ec2 = direct(EC2Client);
    const as = direct(AutoScalingClient);
    try {
      const lt = (await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: name, LaunchTemplateData: { ImageId: ami, InstanceType: 't3.small' } }))).LaunchTemplate!;
      const spec = { LaunchTemplateId: lt.LaunchTemplateId, Version: '$Latest' };
      await as.send(
        new CreateAutoScalingGroupCommand({
          AutoScalingGroupName: name,
          ...(types ? { MixedInstancesPolicy: { LaunchTemplate: { LaunchTemplateSpecification: spec, Overrides: types.map((InstanceType) => ({ InstanceType })) } } } : { LaunchTemplate: spec }),
          MinSize: 2,
          MaxSize: 2,
          DesiredCapacity: 2,
          AvailabilityZones: ['us-east-1a'],
        }),
      );
      const g = (await as.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))).AutoScalingGroups![0]!;
      return { launchTemplateId: lt.LaunchTemplateId!, ids: (g.Instances ?? []).map((i) => i.InstanceId!) };
    } finally {
      ec2.destroy();
      as.destroy();
    }
  }
  const targets = (name: string): HostTargets => ({ groupName: name, clusterName: name, serviceName: name });
  const inspect = (name: string, opts?: InspectOptions) => inspectHosts(testStack({ stack: name }, { endpoint: aws.endpoint }).aws, targets(name), 'us-east-1', { latestAmi: false, ...opts });

  it('3. a Spot group runs any listed type: a host of the second type is current, one of an unlisted type is not', async () => {
    // GIVEN a Spot group of t3.small or t3a.small, one host running t3a.small and the other t3.micro
    const { ids } = await hostGroup('spot-types', ['t3.small', 't3a.small']);
    const ec2 = direct(EC2Client);
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: ids[0], InstanceType: { Value: 't3a.small' } }));
    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: ids[1], InstanceType: { Value: 't3.micro' } }));
    ec2.destroy();

    // WHEN hosts are inspected
    const facts = await inspect('spot-types');

    // THEN the group's types are the overrides; the t3a.small host is current, the t3.micro one is not, saying why
    expect(facts.launch).toMatchObject({ instanceType: 't3.small', instanceTypes: ['t3.small', 't3a.small'] });
    expect(facts.hosts.map((h) => [h.instanceId, h.instanceType, h.current, h.reasons])).toEqual([
      [ids[0], 't3a.small', true, []],
      [ids[1], 't3.micro', false, ['t3.micro, the group launches t3.small or t3a.small']],
    ]);
    // AND create's review, judging by the answers' Spot types, calls both out of date when t3a.small is dropped
    expect((await inspect('spot-types', { instanceTypes: ['t3.small'] })).hosts.map((h) => h.current)).toEqual([false, false]);
  });

  it('14. an instance the group has just launched, which EC2 does not show yet, is "launching" in the inspection hosts, status and the roll share, not a failure', async () => {
    // GIVEN a group the proxy has seen with its 2 instances
    strict([RULE.instanceNotYet]);
    const { ids } = await hostGroup('not-yet');
    expect((await inspect('not-yet')).hosts.map((h) => [h.instanceId, h.launching, h.amiId])).toEqual(ids.map((id) => [id, undefined, ami]));
    // AND the group replacing one of them (as a roll or a health check does): EC2 does not show the new one yet
    const as = direct(AutoScalingClient);
    await as.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: ids[0], ShouldDecrementDesiredCapacity: false }));
    const now = ((await as.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['not-yet'] }))).AutoScalingGroups![0]!.Instances ?? []).map((i) => i.InstanceId!);
    as.destroy();
    const fresh = now.find((id) => !ids.includes(id))!;

    // WHEN the hosts are inspected
    const facts = await inspect('not-yet');

    // THEN EC2 hid it (the rule fired), and the host is listed as launching, known by what the group says; the other as before
    expect(aws.fired(RULE.instanceNotYet)).toBe(1);
    const byId = new Map(facts.hosts.map((h) => [h.instanceId, h]));
    expect(byId.get(fresh)).toMatchObject({ launching: true, instanceType: 't3.small', current: true });
    expect(byId.get(fresh)!.amiId).toBeUndefined();
    expect(byId.get(ids[1]!)).toMatchObject({ amiId: ami, current: true });
    expect(byId.get(ids[1]!)!.launching).toBeUndefined();
    // AND a moment later EC2 shows it, with its AMI
    expect((await inspect('not-yet')).hosts.find((h) => h.instanceId === fresh)).toMatchObject({ amiId: ami });
  });

  it('15b. a lost answer to the roll\'s CreateLaunchTemplateVersion makes no second version: the token is recorded first, the version found before a resend', async () => {
    // GIVEN a template at version 1, and AWS making the roll's new version but the answer lost (HTTP 500)
    const { launchTemplateId } = await hostGroup('lost-version');
    const state = StateFile.scratch('lost-version');
    let tokenSent: string | null = null;
    let tokenRecorded: unknown;
    aws.rule({
      name: 'version-answer-lost',
      service: 'ec2',
      operation: 'CreateLaunchTemplateVersion',
      times: 1,
      respond: async (req, ctx) => {
        tokenSent = req.params.get('ClientToken');
        tokenRecorded = state.state.roll?.resources['launch-version']?.outputs.clientToken;
        await ctx.forward();
        return wireError('ec2', 'InternalError', 'An internal error has occurred', 500);
      },
    });
    const spec: RollSpec = {
      reason: `${ami} → ami-0newer`,
      groupName: 'lost-version',
      clusterName: 'lost-version',
      serviceName: 'lost-version',
      hosts: [],
      original: { minSize: 2, maxSize: 2, desiredCapacity: 2 },
      newVersion: { launchTemplateId, sourceVersion: 1, instanceType: 't3.small', amiId: 'ami-0newer' },
    };

    // WHEN the roll makes its version
    const run = await runRoll({ state, spec, aws: testStack({ stack: 'lost-version' }, { endpoint: aws.endpoint }).aws, timing: FAST_TIMING });

    // THEN the fault fired, the token sent was the one recorded before the call, and the step went through
    expect(aws.fired('version-answer-lost')).toBe(1);
    expect(tokenSent).toMatch(/^[0-9a-f]{48}$/);
    expect(tokenRecorded).toBe(tokenSent);
    expect(failed(run)).toEqual([]);
    // AND the version was found, not sent again: one new version, the default, with the new AMI
    expect(aws.requests.filter((r) => r.operation === 'CreateLaunchTemplateVersion')).toHaveLength(1);
    const ec2 = direct(EC2Client);
    const versions = (await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: launchTemplateId }))).LaunchTemplateVersions ?? [];
    const template = (await ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [launchTemplateId] }))).LaunchTemplates![0]!;
    ec2.destroy();
    expect(versions.map((v) => [v.VersionNumber, v.LaunchTemplateData?.ImageId]).sort()).toEqual([
      [1, ami],
      [2, 'ami-0newer'],
    ]);
    expect(template.DefaultVersionNumber).toBe(2);
  });
});
