import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { CreateLaunchTemplateCommand, DeleteLaunchTemplateCommand, DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  DeleteAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  DescribePoliciesCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteClusterCommand,
  DeleteServiceCommand,
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import {
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand, DescribeScalingPoliciesCommand } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { AwsClients } from '../../src/aws/clients.js';
import { runCreate, runDestroy } from '../../src/engine/engine.js';
import type { ResourceStep, Step } from '../../src/engine/types.js';
import { readState } from '../../src/engine/state.js';
import type { StackEnv } from '../../src/steps/env.js';
import { capacityProviderStep } from '../../src/steps/stack/capacity-provider.js';
import { asgScalingPolicyStep } from '../../src/steps/stack/asg-scaling-policy.js';
import { serviceScalingStep as serviceScalingStepFor } from '../../src/steps/service/service-scaling.js';
import { scale } from '../../src/cli/commands/scale.js';
import type { CliContext } from '../../src/cli/context.js';
import { validateAnswers } from '../../src/wizard/answers-file.js';
import type { AnswersInput } from '../../src/wizard/schema.js';
import { startMoto, type Moto } from '../support/moto.js';
import { FAST_TIMING, testStack } from '../support/stack.js';
import { onPrimary } from '../support/service-steps.js';
import { StackCounter } from '../support/counts.js';
const serviceScalingStep = onPrimary(serviceScalingStepFor);

let moto: Moto;
let sdk: { ec2: EC2Client; asg: AutoScalingClient; ecs: ECSClient; elb: ElasticLoadBalancingV2Client; aas: ApplicationAutoScalingClient; cw: CloudWatchClient };
beforeAll(async () => {
  moto = await startMoto();
  const cfg = { region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } };
  sdk = {
    ec2: new EC2Client(cfg),
    asg: new AutoScalingClient(cfg),
    ecs: new ECSClient(cfg),
    elb: new ElasticLoadBalancingV2Client(cfg),
    aas: new ApplicationAutoScalingClient(cfg),
    cw: new CloudWatchClient(cfg),
  };
});
afterAll(async () => {
  for (const c of Object.values(sdk ?? {})) c.destroy();
  await moto?.stop();
});

/**
 * Hand-built prerequisites (this file stays independent of the other steps' code): a cluster, an
 * ASG protected from scale-in on the default VPC, an ALB and target group, and a service — made
 * with plain SDK calls, found by name, deleted on destroy.
 */
function fixture(id: string, dependsOn: string[], make: (env: StackEnv) => Promise<Record<string, unknown>>, remove: (env: StackEnv, o: Record<string, unknown>) => Promise<void>): ResourceStep<StackEnv> {
  return { id, title: `fixture ${id}`, dependsOn, find: async (ctx) => ctx.recorded?.ready ? ctx.recorded : undefined, create: async (ctx) => ({ ...(await make(ctx.env)), ready: true }), destroy: (ctx, o) => remove(ctx.env, o) };
}

async function defaultNetwork() {
  const vpcId = (await sdk.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'isDefault', Values: ['true'] }] }))).Vpcs![0]!.VpcId!;
  const subnets = (await sdk.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).Subnets!;
  const byAz = new Map(subnets.map((s) => [s.AvailabilityZone!, s.SubnetId!]));
  return { vpcId, subnetIds: [...byAz.values()].slice(0, 2) };
}

function plan(stack: string, scalingSteps: Step<StackEnv>[]): Step<StackEnv>[] {
  const cluster = fixture('cluster', [], async () => {
    const r = await sdk.ecs.send(new CreateClusterCommand({ clusterName: stack }));
    return { clusterName: stack, clusterArn: r.cluster!.clusterArn! };
  }, async () => void (await sdk.ecs.send(new DeleteClusterCommand({ cluster: stack }))));
  const asg = fixture('auto-scaling-group', [], async () => {
    // moto does not check the image of a launch template (any well-formed id will do).
    const image = 'ami-0123456789abcdef0';
    await sdk.ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: `${stack}-lt`, LaunchTemplateData: { ImageId: image, InstanceType: 't3.micro' } }));
    const { subnetIds } = await defaultNetwork();
    await sdk.asg.send(new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: `${stack}-ecs`, MinSize: 0, MaxSize: 4, DesiredCapacity: 1, VPCZoneIdentifier: subnetIds.join(','),
      LaunchTemplate: { LaunchTemplateName: `${stack}-lt` }, NewInstancesProtectedFromScaleIn: true,
    }));
    const g = (await sdk.asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [`${stack}-ecs`] }))).AutoScalingGroups![0]!;
    return { autoScalingGroupName: g.AutoScalingGroupName!, autoScalingGroupArn: g.AutoScalingGroupARN! };
  }, async () => {
    await sdk.asg.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: `${stack}-ecs`, ForceDelete: true }));
    await sdk.ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateName: `${stack}-lt` }));
  });
  const tg = fixture('target-group', [], async () => {
    const { vpcId } = await defaultNetwork();
    const t = (await sdk.elb.send(new CreateTargetGroupCommand({ Name: `${stack}-tg`, Protocol: 'HTTP', Port: 80, VpcId: vpcId, TargetType: 'instance' }))).TargetGroups![0]!;
    return { targetGroupArn: t.TargetGroupArn!, targetGroupName: t.TargetGroupName! };
  }, async (_e, o) => void (await sdk.elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: o.targetGroupArn as string }))));
  const lb = fixture('load-balancer', [], async () => {
    const { subnetIds } = await defaultNetwork();
    const l = (await sdk.elb.send(new CreateLoadBalancerCommand({ Name: `${stack}-alb`, Subnets: subnetIds }))).LoadBalancers![0]!;
    return { loadBalancerArn: l.LoadBalancerArn!, loadBalancerName: l.LoadBalancerName!, dnsName: l.DNSName! };
  }, async (_e, o) => void (await sdk.elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: o.loadBalancerArn as string }))));
  const managed = scalingSteps.some((s) => s.id === 'capacity-provider');
  const service = fixture('service', ['cluster', 'auto-scaling-group', ...(managed ? ['capacity-provider'] : [])], async (env) => {
    await sdk.ecs.send(new RegisterTaskDefinitionCommand({ family: stack, containerDefinitions: [{ name: 'app', image: 'nginx', memory: 256 }] }));
    const r = await sdk.ecs.send(new CreateServiceCommand({
      cluster: stack, serviceName: stack, taskDefinition: stack, desiredCount: env.answers.service!.desiredCount,
      ...(managed ? { capacityProviderStrategy: [{ capacityProvider: env.names.capacityProvider, weight: 1, base: 0 }] } : { launchType: 'EC2' }),
    }));
    return { serviceName: stack, clusterName: stack, serviceArn: r.service!.serviceArn! };
  }, async () => void (await sdk.ecs.send(new DeleteServiceCommand({ cluster: stack, service: stack, force: true }))));
  return [cluster, asg, tg, lb, service, ...scalingSteps];
}

const alarmsOf = async (stack: string) =>
  ((await sdk.cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: `TargetTracking-service/${stack}/${stack}-` }))).MetricAlarms ?? []).map((a) => a.AlarmName!);
const targetsOf = async (stack: string) =>
  (await sdk.aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [`service/${stack}/${stack}`] }))).ScalableTargets ?? [];
const policiesOf = async (stack: string) =>
  ((await sdk.aas.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs', ResourceId: `service/${stack}/${stack}` }))).ScalingPolicies ?? []).filter((p) => p.ResourceId === `service/${stack}/${stack}`);
const providerOf = async (name: string) =>
  ((await sdk.ecs.send(new DescribeCapacityProvidersCommand({ capacityProviders: [name] }))).capacityProviders ?? []).filter((p) => p.status === 'ACTIVE');

describe('scaling on moto', () => {
  it('managed mode: capacity provider + service auto scaling, idempotent, converges, scales, and destroys to nothing', async () => {
    // GIVEN a stack asking for CPU 55 %, memory 70 %, 300 requests per target, 1–5 tasks, target capacity 90 %
    const stack = 'scal-managed';
    const input: Partial<AnswersInput> & { stack: string } = {
      stack,
      service: { desiredCount: 2 },
      scaling: { service: { minCount: 1, maxCount: 5, targetCpuPercent: 55, targetMemoryPercent: 70, requestsPerTarget: 300 }, instances: { managed: true, targetCapacityPercent: 90 } },
    };
    const t = testStack(input, { endpoint: moto.endpoint });
    const steps = plan(stack, [capacityProviderStep, serviceScalingStep]);

    // WHEN created
    const first = await runCreate(steps, { env: t.env, state: t.state });
    expect(first.results.filter((r) => r.outcome === 'failed').map((r) => [r.stepId, (r.error as Error).message])).toEqual([]);

    // THEN the provider has managed scaling ENABLED at 90 %, termination protection, and is the cluster default
    const [cp] = await providerOf(`cp-${stack}`);
    expect(cp!.autoScalingGroupProvider).toMatchObject({ managedScaling: { status: 'ENABLED', targetCapacity: 90, minimumScalingStepSize: 1, maximumScalingStepSize: 10 }, managedTerminationProtection: 'ENABLED', managedDraining: 'ENABLED' });
    const cluster = (await sdk.ecs.send(new DescribeClustersCommand({ clusters: [stack] }))).clusters![0]!;
    expect(cluster.capacityProviders).toEqual([`cp-${stack}`]);
    expect(cluster.defaultCapacityProviderStrategy).toEqual([{ capacityProvider: `cp-${stack}`, weight: 1, base: 0 }]);
    // (moto drops capacityProviderStrategy from the service: it can be asked for, not read back)
    const svc = (await sdk.ecs.send(new DescribeServicesCommand({ cluster: stack, services: [stack] }))).services![0]!;
    expect(svc.status).toBe('ACTIVE');
    // AND the scalable target has the bounds, each policy its target value, and target tracking made 2 alarms per policy
    expect((await targetsOf(stack)).map((x) => [x.MinCapacity, x.MaxCapacity])).toEqual([[1, 5]]);
    const values = Object.fromEntries((await policiesOf(stack)).map((p) => [p.PolicyName, p.TargetTrackingScalingPolicyConfiguration?.TargetValue]));
    expect(values).toEqual({ [`${stack}-cpu`]: 55, [`${stack}-memory`]: 70, [`${stack}-requests`]: 300 });
    const alarms = await alarmsOf(stack);
    expect(alarms).toHaveLength(6);
    expect(alarms.every((a) => /-Alarm(High|Low)-/.test(a))).toBe(true);

    // WHEN created again
    t.log.clear();
    const second = await runCreate(steps, { env: t.env, state: t.state });
    // THEN no mutating call, and still one target, three policies, six alarms
    expect(second.ok).toBe(true);
    expect(t.log.mutating.map((c) => c.operation)).toEqual([]);
    expect(await targetsOf(stack)).toHaveLength(1);
    expect(await policiesOf(stack)).toHaveLength(3);
    expect(await alarmsOf(stack)).toHaveLength(6);

    // WHEN the answers change: CPU 65 %, no memory policy, up to 7 tasks, target capacity 80 %
    const changed = testStack({ ...input, scaling: { service: { minCount: 1, maxCount: 7, targetCpuPercent: 65, requestsPerTarget: 300 }, instances: { managed: true, targetCapacityPercent: 80 } } }, { endpoint: moto.endpoint, stateDir: t.stateDir });
    const third = await runCreate(steps, { env: changed.env, state: t.state });
    // THEN AWS follows them
    expect(third.ok).toBe(true);
    expect((await targetsOf(stack))[0]!.MaxCapacity).toBe(7);
    expect(Object.fromEntries((await policiesOf(stack)).map((p) => [p.PolicyName, p.TargetTrackingScalingPolicyConfiguration?.TargetValue]))).toEqual({ [`${stack}-cpu`]: 65, [`${stack}-requests`]: 300 });
    expect((await providerOf(`cp-${stack}`))[0]!.autoScalingGroupProvider?.managedScaling?.targetCapacity).toBe(80);
    // AND the stack counter sees the two policies' four alarms: moto also keeps the replaced CPU
    // policy's two beside its new ones (Application Auto Scaling replaces them), and the counter
    // counts the alarms the policies name (test/support/counts.ts), so a retried PutScalingPolicy
    // is not a duplicate
    expect(await alarmsOf(stack), "moto's alarms").toHaveLength(6);
    const counter = new StackCounter(moto.endpoint);
    expect((await counter.count(stack)).alarms).toBe(4);
    counter.destroy();

    // WHEN `ecs-wizard scale` changes the service and the group
    await t.state.update((s) => {
      s.answers = changed.answers;
      s.region = 'us-east-1';
      s.endpointUrl = moto.endpoint;
    });
    const out = new PassThrough();
    let json = '';
    out.on('data', (d: Buffer) => (json += d.toString()));
    const err = new PassThrough();
    err.resume();
    const ctx: CliContext = {
      stdout: out, stderr: err, stdin: new PassThrough(), env: {}, cwd: t.stateDir, isTTY: false,
      makeClients: (target) => new AwsClients(target), timing: FAST_TIMING, signal: new AbortController().signal,
    };
    const code = await scale(stack, { stateDir: t.stateDir, desiredCount: '3', minCount: '2', maxCount: '6', maxSize: '3', desiredCapacity: '2', output: 'json' }, ctx);
    // THEN SDK reads and the state file show the new values
    expect(code).toBe(0);
    expect(JSON.parse(json)).toMatchObject({ ok: true, service: { desiredCount: 3, minCount: 2, maxCount: 6 } });
    expect((await targetsOf(stack)).map((x) => [x.MinCapacity, x.MaxCapacity])).toEqual([[2, 6]]);
    expect((await sdk.ecs.send(new DescribeServicesCommand({ cluster: stack, services: [stack] }))).services![0]!.desiredCount).toBe(3);
    const g = (await sdk.asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [`${stack}-ecs`] }))).AutoScalingGroups![0]!;
    // (scale sends the group's three bounds from the answers: minSize 1 replaces the fixture's 0)
    expect([g.MinSize, g.MaxSize, g.DesiredCapacity]).toEqual([1, 3, 2]);
    const saved = validateAnswers((await readState(t.state.file))!.answers);
    expect([saved.service!.desiredCount, saved.scaling.service.minCount, saved.scaling.service.maxCount, saved.instances.maxSize, saved.instances.desiredCapacity]).toEqual([3, 2, 6, 3, 2]);

    // WHEN destroyed
    const gone = await runDestroy(steps, { env: changed.env, state: t.state });
    // THEN no scalable target, policy, alarm or capacity provider of the stack remains
    expect(gone.results.filter((r) => r.outcome === 'failed').map((r) => r.stepId)).toEqual([]);
    expect(await targetsOf(stack)).toEqual([]);
    expect(await policiesOf(stack)).toEqual([]);
    expect(await alarmsOf(stack)).toEqual([]);
    expect(await providerOf(`cp-${stack}`)).toEqual([]);
    t.aws.destroy();
    changed.aws.destroy();
  });

  it('unmanaged mode: a target tracking ASG policy on average CPU instead of a capacity provider', async () => {
    // GIVEN managed scaling declined, CPU target 45 %
    const stack = 'scal-plain';
    const t = testStack({ stack, scaling: { instances: { managed: false, targetCpuPercent: 45 } } }, { endpoint: moto.endpoint });
    const steps = plan(stack, [{ ...asgScalingPolicyStep }, serviceScalingStep]);
    // WHEN created, twice
    const first = await runCreate(steps, { env: t.env, state: t.state });
    expect(first.results.filter((r) => r.outcome === 'failed').map((r) => [r.stepId, (r.error as Error).message])).toEqual([]);
    t.log.clear();
    await runCreate(steps, { env: t.env, state: t.state });
    // THEN one policy '<stack>-cpu' tracks ASGAverageCPUUtilization at 45, no capacity provider, and the rerun changed nothing
    const policies = (await sdk.asg.send(new DescribePoliciesCommand({ AutoScalingGroupName: `${stack}-ecs` }))).ScalingPolicies ?? [];
    expect(policies.map((p) => [p.PolicyName, p.PolicyType, p.TargetTrackingConfiguration?.PredefinedMetricSpecification?.PredefinedMetricType, p.TargetTrackingConfiguration?.TargetValue])).toEqual([
      [`${stack}-cpu`, 'TargetTrackingScaling', 'ASGAverageCPUUtilization', 45],
    ]);
    expect(await providerOf(`cp-${stack}`)).toEqual([]);
    expect(t.log.mutating).toEqual([]);
    // (default service scaling: CPU 60 %)
    expect((await policiesOf(stack)).map((p) => p.TargetTrackingScalingPolicyConfiguration?.TargetValue)).toEqual([60]);
    // WHEN destroyed THEN the policy, target and alarms are gone
    const gone = await runDestroy(steps, { env: t.env, state: t.state });
    expect(gone.ok).toBe(true);
    expect((await sdk.asg.send(new DescribePoliciesCommand({ PolicyNames: [`${stack}-cpu`] }))).ScalingPolicies).toEqual([]);
    expect(await targetsOf(stack)).toEqual([]);
    expect(await alarmsOf(stack)).toEqual([]);
    t.aws.destroy();
  });
});
