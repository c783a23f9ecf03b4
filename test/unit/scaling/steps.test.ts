import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CreateCapacityProviderCommand,
  DeleteCapacityProviderCommand,
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  ECSClient,
  PutClusterCapacityProvidersCommand,
  UpdateCapacityProviderCommand,
  type CapacityProvider,
} from '@aws-sdk/client-ecs';
import { AutoScalingClient, DeletePolicyCommand, DescribePoliciesCommand, PutScalingPolicyCommand as AsgPutScalingPolicyCommand } from '@aws-sdk/client-auto-scaling';
import {
  ApplicationAutoScalingClient,
  DeleteScalingPolicyCommand,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
  type ScalingPolicy,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, DeleteAlarmsCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { isWizardError } from '../../../src/errors.js';
import { capacityProviderStep } from '../../../src/steps/stack/capacity-provider.js';
import { asgScalingPolicyStep } from '../../../src/steps/stack/asg-scaling-policy.js';
import { requestCountLabel, serviceScalingStep as serviceScalingStepFor } from '../../../src/steps/service/service-scaling.js';
import type { AnswersInput } from '../../../src/wizard/schema.js';
import { testStack } from '../../support/stack.js';
import { stepContext } from '../../support/step-context.js';
import { sdkError } from '../../support/aws-wire.js';
import { onPrimary } from '../../support/service-steps.js';
const serviceScalingStep = onPrimary(serviceScalingStepFor);

const ecs = mockClient(ECSClient);
const asg = mockClient(AutoScalingClient);
const aas = mockClient(ApplicationAutoScalingClient);
const cw = mockClient(CloudWatchClient);
afterEach(() => {
  ecs.reset();
  asg.reset();
  aas.reset();
  cw.reset();
});

const ASG_ARN = 'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:uuid-1:autoScalingGroupName/shop-ecs';
const LB_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop-alb/50dc6c495c0c9188';
const TG_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-tg/73e2d6bc24d8a067';
const DEPS = {
  'auto-scaling-group': { autoScalingGroupName: 'shop-ecs', autoScalingGroupArn: ASG_ARN },
  cluster: { clusterName: 'shop', clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/shop' },
  service: { serviceName: 'shop', serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/shop/shop', clusterName: 'shop' },
  'load-balancer': { loadBalancerArn: LB_ARN, loadBalancerName: 'shop-alb', dnsName: 'shop-alb.example' },
  'target-group': { targetGroupArn: TG_ARN, targetGroupName: 'shop-tg' },
};
const setup = (over: Partial<AnswersInput> = {}, opts: { repair?: boolean } = {}) => {
  const t = testStack({ stack: 'shop', ...over });
  return { ...t, ...stepContext(t.env, { outputs: DEPS, repair: opts.repair ?? true }) };
};

const provider = (over: Partial<CapacityProvider> = {}, targetCapacity = 90): CapacityProvider => ({
  name: 'cp-shop',
  capacityProviderArn: 'arn:aws:ecs:us-east-1:123456789012:capacity-provider/cp-shop',
  status: 'ACTIVE',
  autoScalingGroupProvider: {
    autoScalingGroupArn: ASG_ARN,
    managedScaling: { status: 'ENABLED', targetCapacity, minimumScalingStepSize: 1, maximumScalingStepSize: 10 },
    managedTerminationProtection: 'ENABLED',
    managedDraining: 'ENABLED',
  },
  ...over,
});
const attachedCluster = { clusterName: 'shop', status: 'ACTIVE', capacityProviders: ['cp-shop'], defaultCapacityProviderStrategy: [{ capacityProvider: 'cp-shop', weight: 1, base: 0 }] };

describe('capacity provider', () => {
  it('creates it with managed scaling and termination protection, then makes it the cluster default', async () => {
    // GIVEN no provider and a bare cluster; target capacity 90 %
    const { ctx, notes } = setup({ scaling: { instances: { targetCapacityPercent: 90 } } });
    ecs.on(CreateCapacityProviderCommand).resolves({ capacityProvider: provider({}, 90) });
    ecs.on(DescribeClustersCommand).resolves({ clusters: [{ clusterName: 'shop', status: 'ACTIVE', capacityProviders: [] }] });
    ecs.on(PutClusterCapacityProvidersCommand).resolves({});
    // WHEN it is created
    const out = await capacityProviderStep.create(ctx);
    // THEN the call carries the ASG ARN, managed scaling and tags, and the cluster gets it as default
    const input = ecs.commandCalls(CreateCapacityProviderCommand)[0]!.args[0].input;
    expect(input.name).toBe('cp-shop');
    expect(input.autoScalingGroupProvider).toEqual({
      autoScalingGroupArn: ASG_ARN,
      managedScaling: { status: 'ENABLED', targetCapacity: 90, minimumScalingStepSize: 1, maximumScalingStepSize: 10 },
      managedTerminationProtection: 'ENABLED',
      managedDraining: 'ENABLED',
    });
    expect(input.tags).toContainEqual({ key: 'ecs-wizard:stack', value: 'shop' });
    expect(ecs.commandCalls(PutClusterCapacityProvidersCommand)[0]!.args[0].input).toEqual({
      cluster: 'shop',
      capacityProviders: ['cp-shop'],
      defaultCapacityProviderStrategy: [{ capacityProvider: 'cp-shop', weight: 1, base: 0 }],
    });
    expect(out).toEqual({ capacityProviderName: 'cp-shop', capacityProviderArn: provider().capacityProviderArn });
    expect(notes[0]).toMatchObject({ capacityProviderName: 'cp-shop' });
  });

  it('always names the provider when describing (moto answers 500 without names) and treats INACTIVE as gone', async () => {
    const { ctx } = setup();
    ecs.on(DescribeCapacityProvidersCommand).resolves({ capacityProviders: [provider({ status: 'INACTIVE' })] });
    expect(await capacityProviderStep.find(ctx)).toBeUndefined();
    expect(ecs.commandCalls(DescribeCapacityProvidersCommand)[0]!.args[0].input.capacityProviders).toEqual(['cp-shop']);
  });

  it('refuses a provider bound to another Auto Scaling group (DRIFT)', async () => {
    const { ctx } = setup();
    ecs.on(DescribeCapacityProvidersCommand).resolves({
      capacityProviders: [provider({ autoScalingGroupProvider: { autoScalingGroupArn: ASG_ARN.replace('uuid-1', 'uuid-2') } })],
    });
    const err = await capacityProviderStep.find(ctx).catch((e: unknown) => e);
    expect(isWizardError(err, 'DRIFT')).toBe(true);
  });

  it('finds (and repairs) with zero mutations when everything is already right', async () => {
    const { ctx } = setup();
    ecs.on(DescribeCapacityProvidersCommand).resolves({ capacityProviders: [provider()] });
    ecs.on(DescribeClustersCommand).resolves({ clusters: [attachedCluster] });
    expect(await capacityProviderStep.find(ctx)).toEqual({ capacityProviderName: 'cp-shop', capacityProviderArn: provider().capacityProviderArn });
    expect(ecs.commandCalls(UpdateCapacityProviderCommand)).toHaveLength(0);
    expect(ecs.commandCalls(PutClusterCapacityProvidersCommand)).toHaveLength(0);
    expect(ecs.commandCalls(CreateCapacityProviderCommand)).toHaveLength(0);
  });

  it('turns managed draining on for a provider made without it, and only then', async () => {
    // GIVEN a provider an earlier version made (managed draining off), otherwise as the answers want
    const { ctx } = setup();
    const old = provider();
    old.autoScalingGroupProvider!.managedDraining = 'DISABLED';
    ecs.on(DescribeCapacityProvidersCommand).resolves({ capacityProviders: [old] });
    ecs.on(DescribeClustersCommand).resolves({ clusters: [attachedCluster] });
    ecs.on(UpdateCapacityProviderCommand).resolves({});
    // WHEN a create finds it
    await capacityProviderStep.find(ctx);
    // THEN one update turns draining on, keeping scaling and termination protection as they were
    expect(ecs.commandCalls(UpdateCapacityProviderCommand).map((c) => c.args[0].input.autoScalingGroupProvider)).toEqual([
      { managedScaling: { status: 'ENABLED', targetCapacity: 90, minimumScalingStepSize: 1, maximumScalingStepSize: 10 }, managedTerminationProtection: 'ENABLED', managedDraining: 'ENABLED' },
    ]);
  });

  it('updates a changed target capacity and re-attaches a provider a crash left unattached', async () => {
    const { ctx } = setup({ scaling: { instances: { targetCapacityPercent: 75 } } });
    ecs.on(DescribeCapacityProvidersCommand).resolves({ capacityProviders: [provider({}, 100)] });
    ecs.on(DescribeClustersCommand).resolves({ clusters: [{ clusterName: 'shop', status: 'ACTIVE', capacityProviders: ['FARGATE'], defaultCapacityProviderStrategy: [] }] });
    await capacityProviderStep.find(ctx);
    expect(ecs.commandCalls(UpdateCapacityProviderCommand)[0]!.args[0].input.autoScalingGroupProvider?.managedScaling?.targetCapacity).toBe(75);
    // the user's FARGATE stays, ours becomes the default strategy
    expect(ecs.commandCalls(PutClusterCapacityProvidersCommand)[0]!.args[0].input.capacityProviders).toEqual(['FARGATE', 'cp-shop']);
  });

  it('only reads when repair is off (dry run, discover, destroy), even when the provider differs', async () => {
    const { ctx } = setup({ scaling: { instances: { targetCapacityPercent: 75 } } }, { repair: false });
    ecs.on(DescribeCapacityProvidersCommand).resolves({ capacityProviders: [provider({}, 100)] });
    expect(await capacityProviderStep.find(ctx)).toMatchObject({ capacityProviderName: 'cp-shop' });
    expect(ecs.calls().map((c) => c.args[0].constructor.name)).toEqual(['DescribeCapacityProvidersCommand']);
  });

  it('detaches from the cluster, retries while the provider is in use, then deletes it', async () => {
    const { ctx } = setup();
    ecs.on(DescribeClustersCommand).resolves({ clusters: [{ ...attachedCluster, capacityProviders: ['cp-shop', 'FARGATE'] }] });
    ecs.on(PutClusterCapacityProvidersCommand).rejectsOnce(await sdkError(ECSClient, PutClusterCapacityProvidersCommand, 'ResourceInUseException', 'The specified capacity provider is in use and cannot be removed.')).resolves({});
    // listed until the second delete went through, then gone
    ecs.on(DescribeCapacityProvidersCommand)
      .resolvesOnce({ capacityProviders: [provider()] })
      .resolvesOnce({ capacityProviders: [provider()] })
      .resolvesOnce({ capacityProviders: [provider()] })
      .resolves({ capacityProviders: [], failures: [{ arn: 'cp-shop', reason: 'MISSING' }] });
    ecs.on(DeleteCapacityProviderCommand).rejectsOnce(await sdkError(ECSClient, DeleteCapacityProviderCommand, 'UpdateInProgressException', 'There is already a current update in progress.')).resolves({});
    await capacityProviderStep.destroy!(ctx, { capacityProviderName: 'cp-shop' });
    const put = ecs.commandCalls(PutClusterCapacityProvidersCommand);
    // refused once, then detached again before each delete (this mock cluster never lets go)
    expect(put).toHaveLength(3);
    expect(put[1]!.args[0].input).toEqual({ cluster: 'shop', capacityProviders: ['FARGATE'], defaultCapacityProviderStrategy: [] });
    expect(ecs.commandCalls(DeleteCapacityProviderCommand)).toHaveLength(2);
  });

  it('treats a gone cluster and a gone provider as done', async () => {
    const { ctx } = setup();
    ecs.on(DescribeClustersCommand).rejects(await sdkError(ECSClient, DescribeClustersCommand, 'ClusterNotFoundException', 'Cluster not found.'));
    ecs.on(DescribeCapacityProvidersCommand).resolves({ capacityProviders: [], failures: [{ arn: 'x', reason: 'MISSING' }] });
    await capacityProviderStep.destroy!(ctx, { capacityProviderName: 'cp-shop' });
    expect(ecs.commandCalls(PutClusterCapacityProvidersCommand)).toHaveLength(0);
    expect(ecs.commandCalls(DeleteCapacityProviderCommand)).toHaveLength(0);
  });
});

describe('ASG scaling policy (managed scaling off)', () => {
  const off = { scaling: { instances: { managed: false, targetCpuPercent: 55 } } };
  it('puts a target tracking policy on average CPU named <stack>-cpu; no PolicyARN (moto) is fine', async () => {
    const { ctx } = setup(off);
    asg.on(AsgPutScalingPolicyCommand).resolves({});
    const out = await asgScalingPolicyStep.create(ctx);
    expect(asg.commandCalls(AsgPutScalingPolicyCommand)[0]!.args[0].input).toEqual({
      AutoScalingGroupName: 'shop-ecs',
      PolicyName: 'shop-cpu',
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' }, TargetValue: 55 },
    });
    expect(out).toEqual({ policyName: 'shop-cpu' });
  });

  it('repairs: nothing when right, a put when the target changed, only reads without repair', async () => {
    const { ctx } = setup(off);
    const policy = (v: number) => ({
      ScalingPolicies: [{ PolicyName: 'shop-cpu', PolicyType: 'TargetTrackingScaling', TargetTrackingConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' as const }, TargetValue: v } }],
    });
    asg.on(DescribePoliciesCommand).resolves(policy(55));
    expect(await asgScalingPolicyStep.find(ctx)).toEqual({ policyName: 'shop-cpu' });
    expect(asg.commandCalls(AsgPutScalingPolicyCommand)).toHaveLength(0);
    asg.on(DescribePoliciesCommand).resolves(policy(70));
    asg.on(AsgPutScalingPolicyCommand).resolves({ PolicyARN: 'arn:policy' });
    const readOnly = setup(off, { repair: false });
    expect(await asgScalingPolicyStep.find(readOnly.ctx)).toEqual({ policyName: 'shop-cpu' });
    expect(asg.commandCalls(AsgPutScalingPolicyCommand)).toHaveLength(0);
    expect(await asgScalingPolicyStep.find(ctx)).toEqual({ policyName: 'shop-cpu', policyArn: 'arn:policy' });
    expect(asg.commandCalls(AsgPutScalingPolicyCommand)).toHaveLength(1);
  });

  it('deletes the policy, and a missing one is done', async () => {
    const { ctx } = setup(off);
    asg.on(DescribePoliciesCommand).resolvesOnce({ ScalingPolicies: [{ PolicyName: 'shop-cpu' }] }).resolves({ ScalingPolicies: [] });
    asg.on(DeletePolicyCommand).resolves({});
    await asgScalingPolicyStep.destroy!(ctx, { policyName: 'shop-cpu' });
    await asgScalingPolicyStep.destroy!(ctx, { policyName: 'shop-cpu' });
    expect(asg.commandCalls(DeletePolicyCommand)).toHaveLength(1);
    expect(asg.commandCalls(DeletePolicyCommand)[0]!.args[0].input).toEqual({ AutoScalingGroupName: 'shop-ecs', PolicyName: 'shop-cpu' });
  });
});

describe('service auto scaling', () => {
  const RID = 'service/shop/shop';
  const ttPolicy = (name: string, metric: string, value: number, label?: string): ScalingPolicy =>
    ({
      PolicyName: name,
      ResourceId: RID,
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: value,
        PredefinedMetricSpecification: { PredefinedMetricType: metric, ...(label ? { ResourceLabel: label } : {}) },
        ScaleInCooldown: 300,
        ScaleOutCooldown: 60,
        DisableScaleIn: false,
      },
      Alarms: [{ AlarmName: `TargetTracking-${RID}-AlarmHigh-${name}`, AlarmARN: 'arn' }],
    }) as ScalingPolicy;

  it('derives the ALB request-count label from the load balancer and target group ARNs', () => {
    expect(requestCountLabel(LB_ARN, TG_ARN)).toBe('app/shop-alb/50dc6c495c0c9188/targetgroup/shop-tg/73e2d6bc24d8a067');
  });

  it('registers the target with the bounds and tags and puts each chosen policy', async () => {
    const { ctx } = setup({ service: { desiredCount: 2 }, scaling: { service: { minCount: 2, maxCount: 8, targetCpuPercent: 70, targetMemoryPercent: 80, requestsPerTarget: 500 } } });
    aas.on(RegisterScalableTargetCommand).resolves({});
    aas.on(PutScalingPolicyCommand).resolves({});
    const out = await serviceScalingStep.create(ctx);
    const reg = aas.commandCalls(RegisterScalableTargetCommand)[0]!.args[0].input;
    expect(reg).toMatchObject({ ServiceNamespace: 'ecs', ResourceId: RID, ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 2, MaxCapacity: 8 });
    expect(reg.Tags).toMatchObject({ 'ecs-wizard:stack': 'shop' });
    const puts = aas.commandCalls(PutScalingPolicyCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => [p.PolicyName, p.TargetTrackingScalingPolicyConfiguration?.PredefinedMetricSpecification?.PredefinedMetricType, p.TargetTrackingScalingPolicyConfiguration?.TargetValue])).toEqual([
      ['shop-cpu', 'ECSServiceAverageCPUUtilization', 70],
      ['shop-memory', 'ECSServiceAverageMemoryUtilization', 80],
      ['shop-requests', 'ALBRequestCountPerTarget', 500],
    ]);
    expect(puts[2]!.TargetTrackingScalingPolicyConfiguration?.PredefinedMetricSpecification?.ResourceLabel).toBe(requestCountLabel(LB_ARN, TG_ARN));
    expect(puts[0]!.TargetTrackingScalingPolicyConfiguration).toMatchObject({ ScaleInCooldown: 300, ScaleOutCooldown: 60 });
    expect(out).toEqual({ resourceId: RID, policyNames: ['shop-cpu', 'shop-memory', 'shop-requests'] });
  });

  it('defaults to CPU 60 % when scaling is on but no metric is named', async () => {
    const { ctx } = setup();
    aas.on(RegisterScalableTargetCommand).resolves({});
    aas.on(PutScalingPolicyCommand).resolves({});
    await serviceScalingStep.create(ctx);
    const puts = aas.commandCalls(PutScalingPolicyCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => [p.PolicyName, p.TargetTrackingScalingPolicyConfiguration?.TargetValue])).toEqual([['shop-cpu', 60]]);
  });

  it('finds with zero mutations when bounds and policies are right', async () => {
    const { ctx } = setup({ scaling: { service: { targetCpuPercent: 60 } } });
    aas.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [{ ResourceId: RID, MinCapacity: 1, MaxCapacity: 6 } as never] });
    aas.on(DescribeScalingPoliciesCommand).resolves({ ScalingPolicies: [ttPolicy('shop-cpu', 'ECSServiceAverageCPUUtilization', 60)] });
    expect(await serviceScalingStep.find(ctx)).toEqual({ resourceId: RID, policyNames: ['shop-cpu'] });
    expect(aas.commandCalls(RegisterScalableTargetCommand)).toHaveLength(0);
    expect(aas.commandCalls(PutScalingPolicyCommand)).toHaveLength(0);
    expect(aas.commandCalls(DeleteScalingPolicyCommand)).toHaveLength(0);
  });

  it('repairs to changed answers: new bounds (no tags on update), changed target, dropped metric deleted', async () => {
    // GIVEN AWS has 1–6, cpu 60 and memory 70; the answers now say 2–10, cpu 50, no memory
    const { ctx } = setup({ service: { desiredCount: 2 }, scaling: { service: { minCount: 2, maxCount: 10, targetCpuPercent: 50 } } });
    aas.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [{ ResourceId: RID, MinCapacity: 1, MaxCapacity: 6 } as never] });
    aas.on(DescribeScalingPoliciesCommand).resolves({
      ScalingPolicies: [ttPolicy('shop-cpu', 'ECSServiceAverageCPUUtilization', 60), ttPolicy('shop-memory', 'ECSServiceAverageMemoryUtilization', 70), ttPolicy('hand-made', 'ECSServiceAverageCPUUtilization', 90)],
    });
    aas.on(RegisterScalableTargetCommand).resolves({});
    aas.on(PutScalingPolicyCommand).resolves({});
    aas.on(DeleteScalingPolicyCommand).resolves({});
    // (without repair the same find only reads)
    await serviceScalingStep.find(setup({ service: { desiredCount: 2 }, scaling: { service: { minCount: 2, maxCount: 10, targetCpuPercent: 50 } } }, { repair: false }).ctx);
    expect(aas.calls().filter((c) => !c.args[0].constructor.name.startsWith('Describe'))).toHaveLength(0);
    const out = await serviceScalingStep.find(ctx);
    const reg = aas.commandCalls(RegisterScalableTargetCommand)[0]!.args[0].input;
    expect([reg.MinCapacity, reg.MaxCapacity, reg.Tags]).toEqual([2, 10, undefined]);
    expect(aas.commandCalls(PutScalingPolicyCommand).map((c) => [c.args[0].input.PolicyName, c.args[0].input.TargetTrackingScalingPolicyConfiguration?.TargetValue])).toEqual([['shop-cpu', 50]]);
    // THEN only our dropped policy goes; a policy someone made by hand stays
    expect(aas.commandCalls(DeleteScalingPolicyCommand).map((c) => c.args[0].input.PolicyName)).toEqual(['shop-memory']);
    expect(out).toEqual({ resourceId: RID, policyNames: ['shop-cpu'] });
  });

  it('destroys policies, deregisters the target and deletes alarms the policies left behind', async () => {
    const { ctx } = setup();
    aas.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [{ ResourceId: RID } as never] });
    aas.on(DescribeScalingPoliciesCommand).resolves({ ScalingPolicies: [ttPolicy('shop-cpu', 'ECSServiceAverageCPUUtilization', 60)] });
    aas.on(DeleteScalingPolicyCommand).resolves({});
    aas.on(DeregisterScalableTargetCommand).resolves({});
    const leaked = `TargetTracking-${RID}-AlarmLow-old`;
    cw.on(DescribeAlarmsCommand, { AlarmNamePrefix: `TargetTracking-${RID}-AlarmLow-` }).resolves({ MetricAlarms: [{ AlarmName: leaked }] });
    cw.on(DescribeAlarmsCommand, { AlarmNamePrefix: `TargetTracking-${RID}-AlarmHigh-` }).resolves({ MetricAlarms: [] });
    cw.on(DescribeAlarmsCommand, { AlarmNames: [`TargetTracking-${RID}-AlarmHigh-shop-cpu`, leaked] }).resolves({ MetricAlarms: [{ AlarmName: leaked }] });
    cw.on(DeleteAlarmsCommand).resolves({});
    await serviceScalingStep.destroy!(ctx, { resourceId: RID, policyNames: ['shop-cpu'] });
    expect(aas.commandCalls(DeleteScalingPolicyCommand).map((c) => c.args[0].input.PolicyName)).toEqual(['shop-cpu']);
    expect(aas.commandCalls(DeregisterScalableTargetCommand)).toHaveLength(1);
    expect(cw.commandCalls(DeleteAlarmsCommand).map((c) => c.args[0].input.AlarmNames)).toEqual([[leaked]]);
  });

  it('treats a target already gone (ObjectNotFoundException on deregister) as done', async () => {
    const { ctx } = setup();
    aas.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [{ ResourceId: RID } as never] });
    aas.on(DescribeScalingPoliciesCommand).resolves({ ScalingPolicies: [] });
    aas.on(DeregisterScalableTargetCommand).rejects(await sdkError(ApplicationAutoScalingClient, DeregisterScalableTargetCommand, 'ObjectNotFoundException', 'No scalable target found for service namespace: ecs'));
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    await expect(serviceScalingStep.destroy!(ctx, { resourceId: RID, policyNames: [] })).resolves.toBeUndefined();
    expect(cw.commandCalls(DeleteAlarmsCommand)).toHaveLength(0);
  });
});
