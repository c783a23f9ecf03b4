import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  GetInstanceProfileCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListInstanceProfilesCommand,
  ListRolesCommand,
} from '@aws-sdk/client-iam';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeRepositoriesCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { runCreate, runDestroy } from '../../src/engine/engine.js';
import type { ResourceStep, Step } from '../../src/engine/types.js';
import type { StackEnv } from '../../src/steps/env.js';
import { executionRoleStep, instanceProfileStep, instanceRoleStep } from '../../src/steps/stack/iam.js';
import { ecrRepositoryStep as ecrRepositoryStepFor } from '../../src/steps/service/ecr.js';
import { targetGroupStep as targetGroupStepFor } from '../../src/steps/service/target-group.js';
import { loadBalancerActiveStep, loadBalancerStep } from '../../src/steps/stack/load-balancer.js';
import { listenerStep } from '../../src/steps/stack/listener.js';
import { startMoto, type Moto } from '../support/moto.js';
import { testStack } from '../support/stack.js';
import { onPrimary } from '../support/service-steps.js';
const ecrRepositoryStep = onPrimary(ecrRepositoryStepFor);
const targetGroupStep = onPrimary(targetGroupStepFor);

/** AWS's own ARNs for the two managed policies in the aws partition, written out as AWS gives them. */
const INSTANCE_ROLE_POLICY_ARN = 'arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role';
const EXECUTION_ROLE_POLICY_ARN = 'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy';

let moto: Moto;
let ec2: EC2Client;
let iam: IAMClient;
let elb: ElasticLoadBalancingV2Client;
let ecr: ECRClient;
/** The network the load balancer needs, made directly (the network steps are someone else's). */
let network: { vpcId: string; subnetIds: string[]; groupId: string; internetGatewayId: string };

beforeAll(async () => {
  moto = await startMoto();
  const config = { region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } };
  ec2 = new EC2Client(config);
  iam = new IAMClient(config);
  elb = new ElasticLoadBalancingV2Client(config);
  ecr = new ECRClient(config);
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }))).Vpc!.VpcId!;
  const subnetIds: string[] = [];
  for (const [i, az] of ['us-east-1a', 'us-east-1b'].entries()) {
    const s = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.9.${i}.0/24`, AvailabilityZone: az }));
    subnetIds.push(s.Subnet!.SubnetId!);
  }
  const groupId = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'alb', Description: 'alb' }))).GroupId!;
  const internetGatewayId = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
  await ec2.send(new AttachInternetGatewayCommand({ VpcId: vpcId, InternetGatewayId: internetGatewayId }));
  network = { vpcId, subnetIds, groupId, internetGatewayId };
});
afterAll(async () => {
  for (const c of [ec2, iam, elb, ecr]) c?.destroy();
  await moto?.stop();
});

/** A dependency that already exists: recorded as external, so destroy leaves it alone. */
function given(id: string, outputs: () => Record<string, unknown>): ResourceStep<StackEnv> {
  return { id, title: id, dependsOn: [], external: true, find: async () => outputs(), create: async () => outputs() };
}

function plan(): Step<StackEnv>[] {
  return [
    given('vpc', () => ({ vpcId: network.vpcId, cidr: '10.9.0.0/16' })),
    given('subnets', () => ({ subnetIds: network.subnetIds, availabilityZones: ['us-east-1a', 'us-east-1b'] })),
    given('alb-security-group', () => ({ groupId: network.groupId, groupName: 'alb' })),
    given('internet-gateway', () => ({ internetGatewayId: network.internetGatewayId })),
    instanceRoleStep,
    instanceProfileStep,
    executionRoleStep,
    ecrRepositoryStep,
    targetGroupStep,
    loadBalancerStep,
    loadBalancerActiveStep,
    listenerStep('target-group'),
  ];
}

const STACK = 'iam-lb-it';
const answers = { stack: STACK, loadBalancer: { listenerPort: 8080, healthCheckPath: '/health' }, service: { ecrRepository: `${STACK}/app`, containerPort: 3000 } };

async function albsNamed(name: string) {
  return ((await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? []).filter((lb) => lb.LoadBalancerName === name);
}

function trust(doc: string | undefined): unknown {
  return JSON.parse(decodeURIComponent(doc!));
}

describe('IAM, ECR and load-balancing steps on moto', () => {
  it('create builds exactly what the stack needs, a rerun changes nothing, destroy leaves nothing', async () => {
    // GIVEN a network and a new stack
    const t = testStack(answers, { endpoint: moto.endpoint });

    // WHEN the steps are created
    const first = await runCreate(plan(), { env: t.env, state: t.state });

    // THEN every step succeeded
    expect(first.results.filter((r) => r.outcome === 'failed').map((r) => [r.stepId, String(r.error)])).toEqual([]);
    expect(first.ok).toBe(true);

    // AND the roles trust exactly one service each and carry exactly their one AWS-managed policy
    const instanceRole = (await iam.send(new GetRoleCommand({ RoleName: `${STACK}-ecs-instance` }))).Role!;
    expect(trust(instanceRole.AssumeRolePolicyDocument)).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    expect(instanceRole.Tags).toContainEqual({ Key: 'ecs-wizard:stack', Value: STACK });
    const executionRole = (await iam.send(new GetRoleCommand({ RoleName: `${STACK}-ecs-task-execution` }))).Role!;
    expect(trust(executionRole.AssumeRolePolicyDocument)).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    const attached = async (roleName: string) =>
      ((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }))).AttachedPolicies ?? []).map((p) => p.PolicyArn);
    expect(await attached(`${STACK}-ecs-instance`)).toEqual([INSTANCE_ROLE_POLICY_ARN]);
    expect(await attached(`${STACK}-ecs-task-execution`)).toEqual([EXECUTION_ROLE_POLICY_ARN]);

    // AND the instance profile holds the instance role
    const profile = (await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: `${STACK}-ecs-instance` }))).InstanceProfile!;
    expect(profile.Roles?.map((r) => r.RoleName)).toEqual([`${STACK}-ecs-instance`]);

    // AND the repository scans on push and is encrypted
    const repo = (await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [`${STACK}/app`] }))).repositories![0]!;
    expect(repo.imageScanningConfiguration?.scanOnPush).toBe(true);
    expect(repo.encryptionConfiguration?.encryptionType).toBe('AES256');
    expect(t.state.get('ecr-repository')?.outputs.repositoryUri).toBe(repo.repositoryUri);

    // AND the target group checks health fast and drains in 30 s
    const tg = (await elb.send(new DescribeTargetGroupsCommand({ Names: [`${STACK}-tg`] }))).TargetGroups![0]!;
    expect(tg).toMatchObject({
      Protocol: 'HTTP',
      Port: 3000,
      VpcId: network.vpcId,
      TargetType: 'instance',
      HealthCheckPath: '/health',
      HealthCheckIntervalSeconds: 10,
      HealthCheckTimeoutSeconds: 5,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 3,
      Matcher: { HttpCode: '200-399' },
    });
    const attrs = (await elb.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn }))).Attributes ?? [];
    expect(attrs).toContainEqual({ Key: 'deregistration_delay.timeout_seconds', Value: '30' });

    // AND one internet-facing ALB sits in both subnets behind the ALB security group
    const albs = await albsNamed(`${STACK}-alb`);
    expect(albs).toHaveLength(1);
    expect(albs[0]!.Scheme).toBe('internet-facing');
    expect(albs[0]!.Type).toBe('application');
    expect(albs[0]!.AvailabilityZones?.map((az) => az.SubnetId).sort()).toEqual([...network.subnetIds].sort());
    expect(albs[0]!.SecurityGroups).toEqual([network.groupId]);
    expect(first.results.find((r) => r.stepId === 'load-balancer-active')?.outcome).toBe('waited');

    // AND its listener forwards port 8080 to the target group
    const listeners = (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: albs[0]!.LoadBalancerArn }))).Listeners ?? [];
    expect(listeners).toHaveLength(1);
    expect(listeners[0]).toMatchObject({ Port: 8080, Protocol: 'HTTP' });
    expect(listeners[0]!.DefaultActions?.[0]).toMatchObject({ Type: 'forward', TargetGroupArn: tg.TargetGroupArn });

    // WHEN create runs again
    t.log.clear();
    const second = await runCreate(plan(), { env: t.env, state: t.state });

    // THEN everything exists, no mutating call was made, and there is still one ALB
    expect(second.ok).toBe(true);
    expect(second.results.filter((r) => r.outcome === 'created')).toEqual([]);
    expect(t.log.mutating).toEqual([]);
    expect(await albsNamed(`${STACK}-alb`)).toHaveLength(1);

    // WHEN create runs with the state file lost
    const lost = testStack(answers, { endpoint: moto.endpoint });
    const third = await runCreate(plan(), { env: lost.env, state: lost.state });

    // THEN everything is found by name: no mutating call, still one ALB, the same ARNs
    expect(third.ok).toBe(true);
    expect(lost.log.mutating).toEqual([]);
    expect(await albsNamed(`${STACK}-alb`)).toHaveLength(1);
    expect(lost.state.get('load-balancer')?.outputs.loadBalancerArn).toBe(albs[0]!.LoadBalancerArn);
    expect(lost.state.get('listener')?.outputs.listenerArn).toBe(listeners[0]!.ListenerArn);

    // WHEN the repository holds an image and the stack is destroyed without --force-ecr
    await ecr.send(
      new PutImageCommand({
        repositoryName: `${STACK}/app`,
        imageTag: 'latest',
        imageManifest: JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { digest: 'sha256:' + 'a'.repeat(64), size: 1, mediaType: 'application/vnd.docker.container.image.v1+json' }, layers: [] }),
      }),
    );
    const refused = await runDestroy(plan(), { env: t.env, state: t.state });

    // THEN only the repository is refused, with a hint naming --force-ecr; the rest is gone
    const failed = refused.results.filter((r) => r.outcome === 'failed');
    expect(failed.map((r) => r.stepId)).toEqual(['ecr-repository']);
    expect(failed[0]!.error).toMatchObject({ code: 'AWS', hint: expect.stringContaining('--force-ecr') });
    expect(await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [`${STACK}/app`] }))).toMatchObject({ repositories: [expect.anything()] });

    // WHEN destroy runs again with the force flag
    const forced = await runDestroy(plan(), { env: { ...t.env, forceEcr: true }, state: t.state });

    // THEN nothing of the stack is left, and the network given to it is kept
    expect(forced.ok).toBe(true);
    expect(forced.results.find((r) => r.stepId === 'vpc')?.outcome).toBe('kept');
    const roles = ((await iam.send(new ListRolesCommand({}))).Roles ?? []).filter((r) => r.RoleName?.startsWith(STACK));
    expect(roles).toEqual([]);
    const profiles = ((await iam.send(new ListInstanceProfilesCommand({}))).InstanceProfiles ?? []).filter((p) => p.InstanceProfileName?.startsWith(STACK));
    expect(profiles).toEqual([]);
    const tgs = ((await elb.send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? []).filter((g) => g.TargetGroupName?.startsWith(STACK));
    expect(tgs).toEqual([]);
    expect(await albsNamed(`${STACK}-alb`)).toEqual([]);
    const repos = ((await ecr.send(new DescribeRepositoriesCommand({}))).repositories ?? []).filter((r) => r.repositoryName?.startsWith(STACK));
    expect(repos).toEqual([]);
    t.aws.destroy();
    lost.aws.destroy();
  });
});
