import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeleteListenerCommand,
  CreateRuleCommand,
  DeleteRuleCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  ModifyRuleCommand,
  SetRulePrioritiesCommand,
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateRepositoryCommand, DeleteRepositoryCommand, DescribeRepositoriesCommand, ECRClient, ListImagesCommand } from '@aws-sdk/client-ecr';
import { runCreate, runDestroy } from '../../../src/engine/engine.js';
import type { Outputs, Step } from '../../../src/engine/types.js';
import type { StackEnv } from '../../../src/steps/env.js';
import { stackNames } from '../../../src/steps/names.js';
import { STACK_NAME_MAX, stackNameSchema } from '../../../src/wizard/schema.js';
import { targetGroupStep as targetGroupStepFor } from '../../../src/steps/service/target-group.js';
import { loadBalancerActiveStep, loadBalancerStep } from '../../../src/steps/stack/load-balancer.js';
import { listenerStep } from '../../../src/steps/stack/listener.js';
import { redirectListenerStep } from '../../../src/steps/stack/redirect-listener.js';
import { ecrRepositoryStep as ecrRepositoryStepFor } from '../../../src/steps/service/ecr.js';
import { testStack } from '../../support/stack.js';
import { sdkError } from '../../support/aws-wire.js';
import { mutationsOf } from '../../support/mocked-calls.js';
import { onPrimary } from '../../support/service-steps.js';
import { oneServiceNames } from '../../support/service-steps.js';
import { listenerRuleStep, ruleConditions } from '../../../src/steps/service/listener-rule.js';
import { servicesOf } from '../../../src/steps/services.js';
import { stepContext } from '../../support/step-context.js';
const targetGroupStep = onPrimary(targetGroupStepFor);
const ecrRepositoryStep = onPrimary(ecrRepositoryStepFor);

const elb = mockClient(ElasticLoadBalancingV2Client);
const ecr = mockClient(ECRClient);
afterEach(() => {
  elb.reset();
  ecr.reset();
});

const mutations = mutationsOf;

/** The step alone, its dependencies' outputs already in the state file. */
function alone(step: Step<StackEnv>): Step<StackEnv>[] {
  return [{ ...step, dependsOn: [] }];
}

async function stackWithDeps(input: Parameters<typeof testStack>[0], deps: Record<string, Outputs>) {
  const t = testStack(input);
  for (const [stepId, outputs] of Object.entries(deps)) await t.state.put({ stepId, status: 'created', outputs, updatedAt: 'x' });
  return t;
}

const VPC = { vpc: { vpcId: 'vpc-1', cidr: '10.0.0.0/16' } };
const NETWORK = {
  subnets: { subnetIds: ['subnet-a', 'subnet-b'], availabilityZones: ['us-east-1a', 'us-east-1b'] },
  'alb-security-group': { groupId: 'sg-alb', groupName: 'shop-alb' },
  'internet-gateway': { internetGatewayId: 'igw-1' },
};
const TG_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-tg/1';
const LB_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop-alb/1';
const RIGHT_TG = {
  TargetGroupArn: TG_ARN,
  TargetGroupName: 'shop-tg',
  VpcId: 'vpc-1',
  Protocol: 'HTTP' as const,
  TargetType: 'instance' as const,
  HealthCheckProtocol: 'HTTP' as const,
  HealthCheckPath: '/',
  HealthCheckIntervalSeconds: 10,
  HealthCheckTimeoutSeconds: 5,
  HealthyThresholdCount: 2,
  UnhealthyThresholdCount: 3,
  Matcher: { HttpCode: '200-399' },
};
const RIGHT_LB = {
  LoadBalancerArn: LB_ARN,
  LoadBalancerName: 'shop-alb',
  DNSName: 'shop-alb-1.elb.amazonaws.com',
  Scheme: 'internet-facing' as const,
  Type: 'application' as const,
  AvailabilityZones: [{ SubnetId: 'subnet-b' }, { SubnetId: 'subnet-a' }],
  SecurityGroups: ['sg-alb'],
  State: { Code: 'active' as const },
};

describe('names', () => {
  it('the longest allowed stack name still gives ALB and target group names AWS accepts', () => {
    // GIVEN the longest stack name the schema allows
    const stack = 'a' + '-b1'.repeat(9); // 28 characters
    expect(stack).toHaveLength(STACK_NAME_MAX);
    expect(stackNameSchema.safeParse(stack).success).toBe(true);
    expect(stackNameSchema.safeParse(stack + 'x').success).toBe(false);
    // WHEN the names are derived
    const names = oneServiceNames(stack);
    // THEN both fit AWS's 32 characters of letters, digits and hyphens, not starting or ending with one
    for (const name of [names.loadBalancer, names.targetGroup]) {
      expect(name.length).toBeLessThanOrEqual(32);
      expect(name).toMatch(/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/);
    }
  });
});

describe('target group step (scripted AWS)', () => {
  it('creates an HTTP instance target group with fast health checks and a 30 s deregistration delay', async () => {
    // GIVEN no target group of that name
    const t = await stackWithDeps({ stack: 'shop', loadBalancer: { healthCheckPath: '/healthz' }, service: { containerPort: 8080 } }, VPC);
    elb.on(DescribeTargetGroupsCommand).rejects(await sdkError(ElasticLoadBalancingV2Client, DescribeTargetGroupsCommand, 'TargetGroupNotFound', 'One or more target groups not found'));
    elb.on(CreateTargetGroupCommand).resolves({ TargetGroups: [{ TargetGroupArn: TG_ARN }] });
    elb.on(ModifyTargetGroupAttributesCommand).resolves({});
    // WHEN it is created
    const r = await runCreate(alone(targetGroupStep), { env: t.env, state: t.state });
    // THEN the call asks for exactly that, tagged, and the attribute is set
    expect(r.ok).toBe(true);
    expect(elb.commandCalls(CreateTargetGroupCommand)[0]!.args[0].input).toMatchObject({
      Name: 'shop-tg',
      Protocol: 'HTTP',
      Port: 8080,
      VpcId: 'vpc-1',
      TargetType: 'instance',
      HealthCheckPath: '/healthz',
      HealthCheckIntervalSeconds: 10,
      HealthCheckTimeoutSeconds: 5,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 3,
      Matcher: { HttpCode: '200-399' },
      Tags: expect.arrayContaining([{ Key: 'ecs-wizard:stack', Value: 'shop' }]),
    });
    expect(elb.commandCalls(ModifyTargetGroupAttributesCommand)[0]!.args[0].input.Attributes).toEqual([{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }]);
    expect(t.state.get('target-group')!.outputs).toEqual({ targetGroupArn: TG_ARN, targetGroupName: 'shop-tg' });
  });

  it('a recorded ARN that vanished falls back to the name; a right target group causes no mutation', async () => {
    // GIVEN a stale recorded ARN and the right target group under the stack's name
    const t = await stackWithDeps({ stack: 'shop' }, VPC);
    await t.state.put({ stepId: 'target-group', status: 'created', outputs: { targetGroupArn: 'arn:old' }, updatedAt: 'x' });
    elb.on(DescribeTargetGroupsCommand, { TargetGroupArns: ['arn:old'] }).rejects(await sdkError(ElasticLoadBalancingV2Client, DescribeTargetGroupsCommand, 'TargetGroupNotFound', 'One or more target groups not found'));
    elb.on(DescribeTargetGroupsCommand, { Names: ['shop-tg'] }).resolves({ TargetGroups: [RIGHT_TG] });
    elb.on(DescribeTargetGroupAttributesCommand).resolves({ Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }] });
    // WHEN create runs
    const r = await runCreate(alone(targetGroupStep), { env: t.env, state: t.state });
    // THEN it is adopted by name, untouched
    expect(r.results[0]!.outcome).toBe('exists');
    expect(t.state.get('target-group')!.outputs.targetGroupArn).toBe(TG_ARN);
    expect(mutations(elb)).toEqual([]);
  });

  it('converges health check settings and the deregistration delay when they drifted', async () => {
    const t = await stackWithDeps({ stack: 'shop' }, VPC);
    elb.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [{ ...RIGHT_TG, HealthCheckIntervalSeconds: 30 }] });
    elb.on(DescribeTargetGroupAttributesCommand).resolves({ Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '300' }] });
    const r = await runCreate(alone(targetGroupStep), { env: t.env, state: t.state });
    expect(r.ok).toBe(true);
    expect(mutations(elb)).toEqual(['ModifyTargetGroup', 'ModifyTargetGroupAttributes']);
    expect(elb.commandCalls(ModifyTargetGroupCommand)[0]!.args[0].input.HealthCheckIntervalSeconds).toBe(10);
  });

  it('a target group of the stack in another VPC is drift, not silently reused', async () => {
    const t = await stackWithDeps({ stack: 'shop' }, VPC);
    elb.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [{ ...RIGHT_TG, VpcId: 'vpc-other' }] });
    const r = await runCreate(alone(targetGroupStep), { env: t.env, state: t.state });
    expect(r.results[0]!.error).toMatchObject({ code: 'DRIFT' });
    expect(mutations(elb)).toEqual([]);
  });

  it('destroy retries ResourceInUse until the listener lets go, and an absent group is success', async () => {
    // GIVEN a target group still in use for two tries
    const t = await stackWithDeps({ stack: 'shop' }, { 'target-group': { targetGroupArn: TG_ARN, targetGroupName: 'shop-tg' } });
    elb.on(DeleteTargetGroupCommand).rejectsOnce(await sdkError(ElasticLoadBalancingV2Client, DeleteTargetGroupCommand, 'ResourceInUse', 'Target group \'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-tg/abc\' is currently in use by a listener or a rule')).rejectsOnce(await sdkError(ElasticLoadBalancingV2Client, DeleteTargetGroupCommand, 'ResourceInUse', 'Target group \'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-tg/abc\' is currently in use by a listener or a rule')).resolves({});
    // WHEN destroy runs
    const r = await runDestroy(alone(targetGroupStep), { env: t.env, state: t.state });
    // THEN it is deleted on the third try
    expect(r.ok).toBe(true);
    expect(elb.commandCalls(DeleteTargetGroupCommand)).toHaveLength(3);

    // GIVEN it was already deleted by someone else
    const u = await stackWithDeps({ stack: 'shop2' }, { 'target-group': { targetGroupArn: TG_ARN, targetGroupName: 'shop2-tg' } });
    elb.reset();
    elb.on(DeleteTargetGroupCommand).rejects(await sdkError(ElasticLoadBalancingV2Client, DeleteTargetGroupCommand, 'TargetGroupNotFound', 'One or more target groups not found'));
    // THEN destroy succeeds
    expect((await runDestroy(alone(targetGroupStep), { env: u.env, state: u.state })).ok).toBe(true);
  });
});

describe('load balancer steps (scripted AWS)', () => {
  it('creates an internet-facing ALB in the subnets behind the ALB security group and records its ARN', async () => {
    const t = await stackWithDeps({ stack: 'shop' }, NETWORK);
    elb.on(DescribeLoadBalancersCommand).rejects(await sdkError(ElasticLoadBalancingV2Client, DescribeLoadBalancersCommand, 'LoadBalancerNotFound', 'One or more load balancers not found'));
    elb.on(CreateLoadBalancerCommand).resolves({ LoadBalancers: [{ ...RIGHT_LB, State: { Code: 'provisioning' } }] });
    const r = await runCreate(alone(loadBalancerStep), { env: t.env, state: t.state });
    expect(r.ok).toBe(true);
    expect(elb.commandCalls(CreateLoadBalancerCommand)[0]!.args[0].input).toMatchObject({
      Name: 'shop-alb',
      Scheme: 'internet-facing',
      Type: 'application',
      Subnets: ['subnet-a', 'subnet-b'],
      SecurityGroups: ['sg-alb'],
      Tags: expect.arrayContaining([{ Key: 'Name', Value: 'shop-alb' }]),
    });
    expect(t.state.get('load-balancer')!.outputs).toEqual({ loadBalancerArn: LB_ARN, loadBalancerName: 'shop-alb', dnsName: RIGHT_LB.DNSName });
  });

  it('an ALB found by name is adopted with no mutation (AWS would make a second one on create)', async () => {
    // GIVEN the state lost the ALB but one exists under the stack's name
    const t = await stackWithDeps({ stack: 'shop' }, NETWORK);
    elb.on(DescribeLoadBalancersCommand, { Names: ['shop-alb'] }).resolves({ LoadBalancers: [RIGHT_LB] });
    // WHEN create runs
    const r = await runCreate(alone(loadBalancerStep), { env: t.env, state: t.state });
    // THEN it is found, not created again
    expect(r.results[0]!.outcome).toBe('exists');
    expect(elb.commandCalls(CreateLoadBalancerCommand)).toHaveLength(0);
    expect(mutations(elb)).toEqual([]);
  });

  it('the wait polls until the ALB is active, and fails clearly when provisioning failed', async () => {
    // GIVEN an ALB that provisions for two checks, then is active
    const t = await stackWithDeps({ stack: 'shop' }, { 'load-balancer': { loadBalancerArn: LB_ARN, loadBalancerName: 'shop-alb', dnsName: 'x' } });
    elb
      .on(DescribeLoadBalancersCommand)
      .resolvesOnce({ LoadBalancers: [{ ...RIGHT_LB, State: { Code: 'provisioning' } }] })
      .resolvesOnce({ LoadBalancers: [{ ...RIGHT_LB, State: { Code: 'provisioning' } }] })
      .resolves({ LoadBalancers: [RIGHT_LB] });
    const progress: string[] = [];
    // WHEN the wait step runs
    const r = await runCreate(alone(loadBalancerActiveStep), {
      env: t.env,
      state: t.state,
      onEvent: (e) => void (e.type === 'progress' && progress.push(e.message)),
    });
    // THEN it waited through three checks and said what it waited for
    expect(r.results[0]!.outcome).toBe('waited');
    expect(elb.commandCalls(DescribeLoadBalancersCommand)).toHaveLength(3);
    expect(progress[0]).toContain('waiting for the load balancer to become active');

    // GIVEN an ALB whose provisioning failed
    elb.reset();
    elb.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [{ ...RIGHT_LB, State: { Code: 'failed', Reason: 'no capacity' } }] });
    const failed = await runCreate(alone(loadBalancerActiveStep), { env: t.env, state: t.state });
    // THEN the wait fails at once with the reason
    expect(failed.results[0]!.outcome).toBe('failed');
    expect((failed.results[0]!.error as Error).message).toContain('no capacity');
  });

  it('destroy deletes the ALB and waits until it is gone; an ALB already gone is success', async () => {
    const t = await stackWithDeps({ stack: 'shop' }, { 'load-balancer': { loadBalancerArn: LB_ARN, loadBalancerName: 'shop-alb', dnsName: 'x' } });
    elb.on(DeleteLoadBalancerCommand).resolves({});
    elb.on(DescribeLoadBalancersCommand).resolvesOnce({ LoadBalancers: [RIGHT_LB] }).rejects(await sdkError(ElasticLoadBalancingV2Client, DescribeLoadBalancersCommand, 'LoadBalancerNotFound', 'One or more load balancers not found'));
    const r = await runDestroy(alone(loadBalancerStep), { env: t.env, state: t.state });
    expect(r.ok).toBe(true);
    expect(elb.commandCalls(DeleteLoadBalancerCommand)).toHaveLength(1);
    expect(elb.commandCalls(DescribeLoadBalancersCommand)).toHaveLength(2);

    const u = await stackWithDeps({ stack: 'shop2' }, { 'load-balancer': { loadBalancerArn: LB_ARN, loadBalancerName: 'shop2-alb', dnsName: 'x' } });
    elb.reset();
    elb.on(DeleteLoadBalancerCommand).rejects(await sdkError(ElasticLoadBalancingV2Client, DeleteLoadBalancerCommand, 'LoadBalancerNotFound', 'One or more load balancers not found'));
    elb.on(DescribeLoadBalancersCommand).rejects(await sdkError(ElasticLoadBalancingV2Client, DescribeLoadBalancersCommand, 'LoadBalancerNotFound', 'One or more load balancers not found'));
    expect((await runDestroy(alone(loadBalancerStep), { env: u.env, state: u.state })).ok).toBe(true);
  });
});

describe('listener step (scripted AWS)', () => {
  const deps = {
    'load-balancer': { loadBalancerArn: LB_ARN, loadBalancerName: 'shop-alb', dnsName: 'x' },
    'target-group': { targetGroupArn: TG_ARN, targetGroupName: 'shop-tg' },
  };

  it('creates an HTTP listener on the chosen port forwarding to the target group', async () => {
    const t = await stackWithDeps({ stack: 'shop', loadBalancer: { listenerPort: 8080 } }, deps);
    elb.on(DescribeListenersCommand).resolves({ Listeners: [] });
    elb.on(CreateListenerCommand).resolves({ Listeners: [{ ListenerArn: 'arn:listener' }] });
    const r = await runCreate(alone(listenerStep('target-group')), { env: t.env, state: t.state });
    expect(r.ok).toBe(true);
    expect(elb.commandCalls(CreateListenerCommand)[0]!.args[0].input).toMatchObject({
      LoadBalancerArn: LB_ARN,
      Port: 8080,
      Protocol: 'HTTP',
      DefaultActions: [{ Type: 'forward', TargetGroupArn: TG_ARN }],
    });
    expect(t.state.get('listener')!.outputs).toEqual({ listenerArn: 'arn:listener' });
  });

  it('a listener already forwarding to the target group causes no mutation; one forwarding elsewhere is converged', async () => {
    // GIVEN a right listener on port 80 (spelled with a ForwardConfig, as AWS returns it)
    const t = await stackWithDeps({ stack: 'shop' }, deps);
    const right = { ListenerArn: 'arn:l', LoadBalancerArn: LB_ARN, Port: 80, Protocol: 'HTTP' as const };
    elb.on(DescribeListenersCommand).resolves({
      Listeners: [{ ...right, DefaultActions: [{ Type: 'forward', TargetGroupArn: TG_ARN, ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG_ARN, Weight: 1 }] } }] }],
    });
    // WHEN create runs THEN nothing changes
    expect((await runCreate(alone(listenerStep('target-group')), { env: t.env, state: t.state })).results[0]!.outcome).toBe('exists');
    expect(mutations(elb)).toEqual([]);

    // GIVEN the listener forwards to another target group
    elb.reset();
    elb.on(DescribeListenersCommand).resolves({ Listeners: [{ ...right, DefaultActions: [{ Type: 'forward', TargetGroupArn: 'arn:other' }] }] });
    elb.on(ModifyListenerCommand).resolves({});
    // WHEN create runs THEN it is pointed back at ours, and no second listener is made
    expect((await runCreate(alone(listenerStep('target-group')), { env: t.env, state: t.state })).ok).toBe(true);
    expect(mutations(elb)).toEqual(['ModifyListener']);
    expect(elb.commandCalls(ModifyListenerCommand)[0]!.args[0].input.DefaultActions).toEqual([{ Type: 'forward', TargetGroupArn: TG_ARN }]);
  });

  it('switching a plain-HTTP stack to HTTPS turns its forwarding :80 listener into the 301 redirect in place (ModifyListener; never delete and create)', async () => {
    // GIVEN a stack made with plain HTTP (its :80 listener forwards to the target group), now answered with HTTPS on a domain
    const t = await stackWithDeps({ stack: 'shop', loadBalancer: { domain: 'app.example.com' } }, { ...deps, listener: { listenerArn: 'arn:l80' } });
    const forwarding = { ListenerArn: 'arn:l80', LoadBalancerArn: LB_ARN, Port: 80, Protocol: 'HTTP' as const, DefaultActions: [{ Type: 'forward' as const, TargetGroupArn: TG_ARN }] };
    elb.on(DescribeListenersCommand).resolves({ Listeners: [forwarding] });
    elb.on(ModifyListenerCommand).resolves({});
    // … with the rule of its service api (path /api/*) and a rule someone else added
    const ours = { RuleArn: 'arn:rule/ours', Priority: '100', IsDefault: false };
    const theirs = { RuleArn: 'arn:rule/theirs', Priority: '7', IsDefault: false };
    elb.on(DescribeRulesCommand).resolves({ Rules: [ours, theirs, { RuleArn: 'arn:rule/default', Priority: 'default', IsDefault: true }] });
    elb.on(DescribeTagsCommand).resolves({
      TagDescriptions: [
        { ResourceArn: 'arn:rule/ours', Tags: [{ Key: 'ecs-wizard:stack', Value: 'shop' }, { Key: 'ecs-wizard:service', Value: 'api' }] },
        { ResourceArn: 'arn:rule/theirs', Tags: [{ Key: 'ecs-wizard:stack', Value: 'shop-two' }] },
      ],
    });
    elb.on(DeleteRuleCommand).resolves({});
    // WHEN create runs the redirect step
    const r = await runCreate(alone(redirectListenerStep), { env: t.env, state: t.state });
    // THEN that very listener became a 301 to HTTPS :443, with one ModifyListener; the stack's own rule went
    // (on the redirect it would serve /api/* over plain HTTP), the other one stays
    expect(r.ok).toBe(true);
    expect(mutations(elb)).toEqual(['ModifyListener', 'DeleteRule']);
    expect(elb.commandCalls(DeleteRuleCommand).map((c) => c.args[0].input.RuleArn)).toEqual(['arn:rule/ours']);
    expect(elb.commandCalls(ModifyListenerCommand)[0]!.args[0].input).toEqual({
      ListenerArn: 'arn:l80',
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }],
    });
    expect(t.state.get('redirect-listener')!.outputs).toEqual({ listenerArn: 'arn:l80' });

    // WHEN create runs again on the redirect it made THEN nothing changes
    elb.reset();
    elb.on(DescribeListenersCommand).resolves({ Listeners: [{ ...forwarding, DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }] }] });
    elb.on(DescribeRulesCommand).resolves({ Rules: [{ RuleArn: 'arn:rule/default', Priority: 'default', IsDefault: true }] });
    expect((await runCreate(alone(redirectListenerStep), { env: t.env, state: t.state })).ok).toBe(true);
    expect(mutations(elb)).toEqual([]);
  });

  it('destroy of a listener already gone is success', async () => {
    const t = await stackWithDeps({ stack: 'shop' }, { ...deps, listener: { listenerArn: 'arn:l' } });
    elb.on(DeleteListenerCommand).rejects(await sdkError(ElasticLoadBalancingV2Client, DeleteListenerCommand, 'ListenerNotFound', 'One or more listeners not found'));
    const r = await runDestroy(alone(listenerStep('target-group')), { env: t.env, state: t.state });
    expect(r.ok).toBe(true);
    expect(r.results[0]!.outcome).toBe('destroyed');
  });
});

describe('ECR repository step (scripted AWS)', () => {
  const recorded = { 'ecr-repository': { repositoryName: 'shop/app', repositoryUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/app', repositoryArn: 'arn:repo' } };
  const answers = { stack: 'shop', service: { ecrRepository: 'shop/app' } };

  it('creates a scanned, encrypted, tagged repository', async () => {
    const t = testStack(answers);
    ecr.on(DescribeRepositoriesCommand).rejects(await sdkError(ECRClient, DescribeRepositoriesCommand, 'RepositoryNotFoundException', 'The repository with name \'shop-app\' does not exist in the registry with id \'123456789012\''));
    ecr.on(CreateRepositoryCommand).resolves({ repository: { repositoryName: 'shop/app', repositoryUri: 'uri', repositoryArn: 'arn' } });
    const r = await runCreate([ecrRepositoryStep], { env: t.env, state: t.state });
    expect(r.ok).toBe(true);
    expect(ecr.commandCalls(CreateRepositoryCommand)[0]!.args[0].input).toMatchObject({
      repositoryName: 'shop/app',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: { encryptionType: 'AES256' },
      tags: expect.arrayContaining([{ Key: 'ecs-wizard:stack', Value: 'shop' }]),
    });
    expect(t.state.get('ecr-repository')!.outputs.repositoryUri).toBe('uri');
  });

  it('destroy refuses a repository holding images unless forced', async () => {
    // GIVEN a repository with an image
    const t = await stackWithDeps(answers, recorded);
    ecr.on(ListImagesCommand).resolves({ imageIds: [{ imageTag: 'latest' }] });
    ecr.on(DeleteRepositoryCommand).resolves({});
    // after a failed destroy the engine looks the resource up again before retrying
    ecr.on(DescribeRepositoriesCommand).resolves({ repositories: [{ ...recorded['ecr-repository'], imageScanningConfiguration: { scanOnPush: true } }] });
    // WHEN destroy runs without --force-ecr
    const r = await runDestroy([ecrRepositoryStep], { env: t.env, state: t.state });
    // THEN it fails with a hint and deletes nothing
    expect(r.ok).toBe(false);
    expect(r.results[0]!.error).toMatchObject({ code: 'AWS', hint: expect.stringContaining('--force-ecr') });
    expect(ecr.commandCalls(DeleteRepositoryCommand)).toHaveLength(0);
    // WHEN destroy runs with --force-ecr
    const forced = await runDestroy([ecrRepositoryStep], { env: { ...t.env, forceEcr: true }, state: t.state });
    // THEN the repository and its images are deleted
    expect(forced.ok).toBe(true);
    expect(ecr.commandCalls(DeleteRepositoryCommand)[0]!.args[0].input).toEqual({ repositoryName: 'shop/app', force: true });
  });

  it('an empty repository is deleted, and one already gone is success', async () => {
    const t = await stackWithDeps(answers, recorded);
    ecr.on(ListImagesCommand).resolves({ imageIds: [] });
    ecr.on(DeleteRepositoryCommand).resolves({});
    expect((await runDestroy([ecrRepositoryStep], { env: t.env, state: t.state })).ok).toBe(true);
    expect(ecr.commandCalls(DeleteRepositoryCommand)[0]!.args[0].input).toEqual({ repositoryName: 'shop/app', force: false });

    const u = await stackWithDeps({ ...answers, stack: 'shop2' }, recorded);
    ecr.reset();
    ecr.on(ListImagesCommand).rejects(await sdkError(ECRClient, ListImagesCommand, 'RepositoryNotFoundException', 'The repository with name \'shop-app\' does not exist in the registry with id \'123456789012\''));
    const gone = await runDestroy([ecrRepositoryStep], { env: u.env, state: u.state });
    expect(gone.ok).toBe(true);
    expect(ecr.commandCalls(DeleteRepositoryCommand)).toHaveLength(0);
  });
});

describe('listener rule step (scripted AWS)', () => {
  const THREE = {
    stack: 'shop',
    services: { web: {}, api: { containerPort: 8080, path: '/api/*' }, docs: { host: 'docs.example.com' } },
  };
  const LISTENER = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop-alb/1/2';
  const API_TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-api-1a2b/3';
  const deps = { listener: { listenerArn: LISTENER }, 'target-group:api': { targetGroupArn: API_TG, targetGroupName: 'shop-api-1a2b' } };
  const api = (t: ReturnType<typeof testStack>) => servicesOf(t.answers).find((s) => s.name === 'api')!;
  const rule = (arn: string, priority: string, path: string, tg = API_TG) => ({
    RuleArn: arn,
    Priority: priority,
    IsDefault: false,
    Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: [path] } }],
    Actions: [{ Type: 'forward' as const, TargetGroupArn: tg }],
  });
  const tagged = (arn: string, stack: string, service?: string) => ({ ResourceArn: arn, Tags: [{ Key: 'ecs-wizard:stack', Value: stack }, ...(service ? [{ Key: 'ecs-wizard:service', Value: service }] : [])] });

  it('creates path → target group at the derived priority, tagged with the stack and the service; a rerun finds it by its ARN', async () => {
    const t = testStack(THREE);
    elb.on(DescribeRulesCommand).resolves({ Rules: [{ RuleArn: 'arn:default', Priority: 'default', IsDefault: true }] });
    elb.on(CreateRuleCommand).resolves({ Rules: [rule('arn:rule/api', '100', '/api/*')] });
    const step = listenerRuleStep(api(t), 'listener');
    const { ctx } = stepContext(t.env, { outputs: deps });
    expect(await step.find(ctx)).toBeUndefined();
    expect(await step.create(ctx)).toEqual({ ruleArn: 'arn:rule/api', listenerArn: LISTENER, priority: 100 });
    const input = elb.commandCalls(CreateRuleCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ ListenerArn: LISTENER, Priority: 100, Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } }], Actions: [{ Type: 'forward', TargetGroupArn: API_TG }] });
    expect(input.Tags).toEqual(expect.arrayContaining([{ Key: 'ecs-wizard:stack', Value: 'shop' }, { Key: 'ecs-wizard:service', Value: 'api' }]));
    // rerun: found by the recorded ARN, no call that changes anything
    elb.reset();
    elb.on(DescribeRulesCommand).resolves({ Rules: [rule('arn:rule/api', '100', '/api/*')] });
    const again = stepContext(t.env, { outputs: deps, recorded: { ruleArn: 'arn:rule/api' } });
    expect(await step.find(again.ctx)).toEqual({ ruleArn: 'arn:rule/api', listenerArn: LISTENER, priority: 100 });
    expect(mutations(elb)).toEqual([]);
  });

  it("converges a changed path and priority in place (ModifyRule, SetRulePriorities), found by the stack and service tags", async () => {
    const t = testStack({ ...THREE, services: { ...THREE.services, api: { containerPort: 8080, path: '/v2/*', priority: 300 } } });
    elb.on(DescribeRulesCommand).resolves({ Rules: [rule('arn:rule/api', '100', '/api/*'), rule('arn:rule/theirs', '7', '/x/*', 'arn:other')] });
    elb.on(DescribeTagsCommand).resolves({ TagDescriptions: [tagged('arn:rule/api', 'shop', 'api'), tagged('arn:rule/theirs', 'shop-two', 'api')] });
    elb.on(ModifyRuleCommand).resolves({});
    elb.on(SetRulePrioritiesCommand).resolves({});
    const { ctx } = stepContext(t.env, { outputs: deps });
    expect(await listenerRuleStep(api(t), 'listener').find(ctx)).toEqual({ ruleArn: 'arn:rule/api', listenerArn: LISTENER, priority: 300 });
    expect(mutations(elb)).toEqual(['ModifyRule', 'SetRulePriorities']);
    expect(elb.commandCalls(ModifyRuleCommand)[0]!.args[0].input).toMatchObject({ RuleArn: 'arn:rule/api', Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/v2/*'] } }] });
    expect(elb.commandCalls(SetRulePrioritiesCommand)[0]!.args[0].input.RulePriorities).toEqual([{ RuleArn: 'arn:rule/api', Priority: 300 }]);
  });

  it("a priority another stack's rule holds is bad input naming the answer to change; one a removed service's rule holds is freed", async () => {
    const t = testStack(THREE);
    const inUse = await sdkError(ElasticLoadBalancingV2Client, CreateRuleCommand, 'PriorityInUse', 'Priority \'100\' is currently in use');
    // GIVEN priority 100 is held by someone else's rule
    elb.on(DescribeRulesCommand).resolves({ Rules: [rule('arn:rule/theirs', '100', '/x/*', 'arn:other')] });
    elb.on(DescribeTagsCommand).resolves({ TagDescriptions: [tagged('arn:rule/theirs', 'other-stack')] });
    elb.on(CreateRuleCommand).rejects(inUse);
    const { ctx } = stepContext(t.env, { outputs: deps });
    await expect(listenerRuleStep(api(t), 'listener').create(ctx)).rejects.toMatchObject({ code: 'INPUT_INVALID', problems: [{ path: 'services.api.priority', message: expect.stringContaining('100 is taken') }] });
    expect(mutations(elb)).toEqual(['CreateRule']);

    // GIVEN it is held by the rule of this stack's service worker, which these answers no longer have
    elb.reset();
    elb.on(DescribeRulesCommand).resolves({ Rules: [rule('arn:rule/worker', '100', '/w/*', 'arn:worker-tg')] });
    elb.on(DescribeTagsCommand).resolves({ TagDescriptions: [tagged('arn:rule/worker', 'shop', 'worker')] });
    elb.on(DeleteRuleCommand).resolves({});
    elb.on(CreateRuleCommand).rejectsOnce(inUse).resolves({ Rules: [rule('arn:rule/api', '100', '/api/*')] });
    // THEN that rule goes first (its service is being removed) and api's rule takes the priority
    expect(await listenerRuleStep(api(t), 'listener').create(stepContext(t.env, { outputs: deps }).ctx)).toEqual({ ruleArn: 'arn:rule/api', listenerArn: LISTENER, priority: 100 });
    expect(mutations(elb)).toEqual(['CreateRule', 'DeleteRule', 'CreateRule']);
    expect(elb.commandCalls(DeleteRuleCommand)[0]!.args[0].input.RuleArn).toBe('arn:rule/worker');
  });

  it('a host rule matches the host header; destroy of a rule already gone (its listener deleted) is done', async () => {
    const t = testStack(THREE);
    const docs = servicesOf(t.answers).find((s) => s.name === 'docs')!;
    expect(ruleConditions(docs)).toEqual([{ Field: 'host-header', HostHeaderConfig: { Values: ['docs.example.com'] } }]);
    elb.on(DeleteRuleCommand).rejects(await sdkError(ElasticLoadBalancingV2Client, DeleteRuleCommand, 'RuleNotFound', 'One or more rules not found'));
    await listenerRuleStep(docs, 'listener').destroy!(stepContext(t.env).ctx, { ruleArn: 'arn:rule/docs' });
    expect(mutations(elb)).toEqual(['DeleteRule']);
  });
});
