import {
  ApplicationAutoScalingClient,
  DeleteScalingPolicyCommand,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
  type MetricType,
  type ScalableTarget,
  type ScalingPolicy,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, DeleteAlarmsCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { WizardError } from '../../errors.js';
import { isNotFound } from '../../aws/errors.js';
import { retryWhile } from '../../aws/poll.js';
import { tagMap } from '../../aws/tags.js';
import type { ResourceStep, StepContext } from '../../engine/types.js';
import type { StackEnv } from '../env.js';
import type { LoadBalancerOutputs, ServiceOutputs, ServiceScalingOutputs, TargetGroupOutputs } from '../outputs.js';
import { idFor, serviceNames, type ServiceSpec } from '../services.js';

const NAMESPACE = 'ecs';
const DIMENSION = 'ecs:service:DesiredCount';
/** CPU target when scaling is on but the answers name no metric at all. */
export const DEFAULT_TARGET_CPU_PERCENT = 60;

export interface WantedPolicy {
  name: string;
  metric: MetricType;
  targetValue: number;
  resourceLabel?: string;
}

/**
 * The ALB's ResourceLabel for ALBRequestCountPerTarget: `app/<lb-name>/<lb-id>/targetgroup/<tg-name>/<tg-id>`,
 * the tails of the load balancer and target group ARNs.
 */
export function requestCountLabel(loadBalancerArn: string, targetGroupArn: string): string {
  const lb = /:loadbalancer\/(app\/[^/]+\/[^/]+)$/.exec(loadBalancerArn)?.[1];
  const tg = /:(targetgroup\/[^/]+\/[^/]+)$/.exec(targetGroupArn)?.[1];
  if (!lb || !tg) throw new WizardError('AWS', `Cannot derive the request-count resource label from ${loadBalancerArn} and ${targetGroupArn}.`);
  return `${lb}/${tg}`;
}

/** The target tracking policies a service's scaling asks for, by our deterministic names. */
export function wantedPolicies(ctx: StepContext<StackEnv>, svc: ServiceSpec): WantedPolicy[] {
  const s = svc.scaling;
  const named = serviceNames(ctx.env.names.stack, svc).scalingPolicy;
  const policies: WantedPolicy[] = [];
  const noMetric = s.targetCpuPercent === undefined && s.targetMemoryPercent === undefined && s.requestsPerTarget === undefined;
  if (s.targetCpuPercent !== undefined || noMetric) {
    policies.push({ name: named('cpu'), metric: 'ECSServiceAverageCPUUtilization', targetValue: s.targetCpuPercent ?? DEFAULT_TARGET_CPU_PERCENT });
  }
  if (s.targetMemoryPercent !== undefined) {
    policies.push({ name: named('memory'), metric: 'ECSServiceAverageMemoryUtilization', targetValue: s.targetMemoryPercent });
  }
  if (s.requestsPerTarget !== undefined) {
    const lb = ctx.output<LoadBalancerOutputs>('load-balancer').loadBalancerArn;
    const tg = ctx.output<TargetGroupOutputs>(idFor(svc, 'target-group')).targetGroupArn;
    policies.push({ name: named('requests'), metric: 'ALBRequestCountPerTarget', targetValue: s.requestsPerTarget, resourceLabel: requestCountLabel(lb, tg) });
  }
  return policies;
}

/** Every policy name this step may have made, wanted or not (so a metric switched off is removed). */
const ourPolicyNames = (ctx: StepContext<StackEnv>, svc: ServiceSpec): string[] => (['cpu', 'memory', 'requests'] as const).map(serviceNames(ctx.env.names.stack, svc).scalingPolicy);

function resourceIdOf(ctx: StepContext<StackEnv>, spec: ServiceSpec): string {
  const svc = ctx.tryOutput<ServiceOutputs>(idFor(spec, 'service'));
  return `service/${svc?.clusterName ?? ctx.env.names.cluster}/${svc?.serviceName ?? serviceNames(ctx.env.names.stack, spec).service}`;
}

async function describeTarget(ctx: StepContext<StackEnv>, resourceId: string): Promise<ScalableTarget | undefined> {
  const r = await ctx.env.aws.get(ApplicationAutoScalingClient).send(
    new DescribeScalableTargetsCommand({ ServiceNamespace: NAMESPACE, ResourceIds: [resourceId], ScalableDimension: DIMENSION }),
  );
  return r.ScalableTargets?.find((t) => t.ResourceId === resourceId);
}

async function describePolicies(ctx: StepContext<StackEnv>, resourceId: string): Promise<ScalingPolicy[]> {
  const aas = ctx.env.aws.get(ApplicationAutoScalingClient);
  const policies: ScalingPolicy[] = [];
  let NextToken: string | undefined;
  do {
    const r = await aas.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: NAMESPACE, ResourceId: resourceId, ScalableDimension: DIMENSION, NextToken }));
    policies.push(...(r.ScalingPolicies ?? []).filter((p) => p.ResourceId === resourceId));
    NextToken = r.NextToken;
  } while (NextToken);
  return policies;
}

function policyMatches(have: ScalingPolicy, want: WantedPolicy, s: ServiceSpec['scaling']): boolean {
  const c = have.TargetTrackingScalingPolicyConfiguration;
  return (
    have.PolicyType === 'TargetTrackingScaling' &&
    c?.TargetValue === want.targetValue &&
    c.PredefinedMetricSpecification?.PredefinedMetricType === want.metric &&
    (c.PredefinedMetricSpecification?.ResourceLabel ?? undefined) === want.resourceLabel &&
    c.ScaleInCooldown === s.scaleInCooldownSeconds &&
    c.ScaleOutCooldown === s.scaleOutCooldownSeconds &&
    !c.DisableScaleIn
  );
}

async function putPolicy(ctx: StepContext<StackEnv>, s: ServiceSpec['scaling'], resourceId: string, p: WantedPolicy): Promise<void> {
  await ctx.env.aws.get(ApplicationAutoScalingClient).send(
    new PutScalingPolicyCommand({
      PolicyName: p.name,
      ServiceNamespace: NAMESPACE,
      ResourceId: resourceId,
      ScalableDimension: DIMENSION,
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: p.targetValue,
        PredefinedMetricSpecification: { PredefinedMetricType: p.metric, ...(p.resourceLabel ? { ResourceLabel: p.resourceLabel } : {}) },
        ScaleInCooldown: s.scaleInCooldownSeconds,
        ScaleOutCooldown: s.scaleOutCooldownSeconds,
        DisableScaleIn: false,
      },
    }),
  );
}

/**
 * Right after RegisterScalableTarget, PutScalingPolicy can answer ObjectNotFoundException ("No
 * scalable target registered…"): the new target is not visible yet. For a target this run just
 * registered that means "not yet", retried with backoff within the wait timeout; otherwise it stays an error.
 */
async function putPolicyAfterRegister(ctx: StepContext<StackEnv>, s: ServiceSpec['scaling'], resourceId: string, p: WantedPolicy, justRegistered: boolean): Promise<void> {
  if (!justRegistered) return putPolicy(ctx, s, resourceId, p);
  await retryWhile(() => putPolicy(ctx, s, resourceId, p), isNotFound, {
    timing: ctx.env.timing,
    signal: ctx.signal,
    progress: ctx.progress,
    waitingFor: `waiting for Application Auto Scaling to show the scalable target ${resourceId}`,
  });
}

/**
 * Brings target bounds and policies to what the answers ask, touching only what differs: a rerun
 * with unchanged answers makes no mutating call. (moto also leaks the old policy's alarms when a
 * policy is put again — one more reason never to re-put an unchanged one.)
 */
async function convergeScaling(ctx: StepContext<StackEnv>, svc: ServiceSpec, resourceId: string, target: ScalableTarget | undefined): Promise<ServiceScalingOutputs> {
  const aas = ctx.env.aws.get(ApplicationAutoScalingClient);
  const { maxCount } = svc.scaling;
  // While the service waits for its first image, scaling must not start tasks that cannot pull it.
  const minCount = ctx.tryOutput<ServiceOutputs>(idFor(svc, 'service'))?.imageMissing ? 0 : svc.scaling.minCount;
  const register = !target || target.MinCapacity !== minCount || target.MaxCapacity !== maxCount;
  if (register) {
    ctx.progress(`${target ? 'updating' : 'registering'} scalable target ${resourceId} (${minCount}–${maxCount} tasks)`);
    await aas.send(
      new RegisterScalableTargetCommand({
        ServiceNamespace: NAMESPACE,
        ResourceId: resourceId,
        ScalableDimension: DIMENSION,
        MinCapacity: minCount,
        MaxCapacity: maxCount,
        // Tags can be given only when the target is first registered.
        ...(target ? {} : { Tags: tagMap(ctx.env.tags(undefined, svc.name)) }),
      }),
    );
    await ctx.note({ resourceId });
  }
  const wanted = wantedPolicies(ctx, svc);
  const have = target ? await describePolicies(ctx, resourceId) : [];
  for (const p of wanted) {
    const existing = have.find((h) => h.PolicyName === p.name);
    if (existing && policyMatches(existing, p, svc.scaling)) continue;
    ctx.progress(`${existing ? 'updating' : 'adding'} scaling policy ${p.name} (${p.metric} ${p.targetValue})`);
    await putPolicyAfterRegister(ctx, svc.scaling, resourceId, p, register);
  }
  const ours = ourPolicyNames(ctx, svc);
  for (const h of have) {
    if (!h.PolicyName || !ours.includes(h.PolicyName) || wanted.some((w) => w.name === h.PolicyName)) continue;
    ctx.progress(`removing scaling policy ${h.PolicyName} (no longer asked for)`);
    await deletePolicy(ctx, resourceId, h.PolicyName);
  }
  return { resourceId, policyNames: wanted.map((w) => w.name) };
}

async function deletePolicy(ctx: StepContext<StackEnv>, resourceId: string, name: string): Promise<void> {
  try {
    await ctx.env.aws.get(ApplicationAutoScalingClient).send(
      new DeleteScalingPolicyCommand({ PolicyName: name, ServiceNamespace: NAMESPACE, ResourceId: resourceId, ScalableDimension: DIMENSION }),
    );
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/**
 * Deletes target tracking alarms that outlived their policies. Application Auto Scaling deletes a
 * policy's alarms with it on AWS, so normally there is nothing to do; moto, though, leaves the
 * previous alarms behind whenever a policy is put again. Only alarms named after this stack's
 * service (`TargetTracking-service/<cluster>/<service>-Alarm…`) are touched.
 */
async function deleteLeftoverAlarms(ctx: StepContext<StackEnv>, resourceId: string, named: string[]): Promise<void> {
  const cw = ctx.env.aws.get(CloudWatchClient);
  const names = new Set(named);
  for (const prefix of [`TargetTracking-${resourceId}-AlarmHigh-`, `TargetTracking-${resourceId}-AlarmLow-`]) {
    let NextToken: string | undefined;
    do {
      const r = await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, NextToken }));
      for (const a of r.MetricAlarms ?? []) if (a.AlarmName) names.add(a.AlarmName);
      NextToken = r.NextToken;
    } while (NextToken);
  }
  const left = [...names];
  if (left.length === 0) return;
  const still = await cw.send(new DescribeAlarmsCommand({ AlarmNames: left }));
  const present = (still.MetricAlarms ?? []).map((a) => a.AlarmName!).filter(Boolean);
  // DeleteAlarms takes up to 100 names per call.
  for (let i = 0; i < present.length; i += 100) await cw.send(new DeleteAlarmsCommand({ AlarmNames: present.slice(i, i + 100) }));
}

/**
 * A service's auto scaling (Application Auto Scaling): its desired count becomes a scalable target
 * between its scaling's minCount and maxCount, moved by the target tracking policies the user
 * picked (average CPU, average memory, ALB requests per target).
 */
export function serviceScalingStep(svc: ServiceSpec): ResourceStep<StackEnv> {
  return {
    id: idFor(svc, 'service-scaling'),
    title: svc.primary ? 'Service auto scaling' : `Service auto scaling (${svc.name})`,
    dependsOn: [idFor(svc, 'service'), 'load-balancer', idFor(svc, 'target-group')],
    async find(ctx) {
      const resourceId = (ctx.recorded?.resourceId as string | undefined) ?? resourceIdOf(ctx, svc);
      const target = await describeTarget(ctx, resourceId);
      if (!target) return undefined;
      // Only in a real create: bounds and policies follow the answers.
      if (ctx.repair) return { ...(await convergeScaling(ctx, svc, resourceId, target)) };
      const ours = ourPolicyNames(ctx, svc);
      const policyNames = (await describePolicies(ctx, resourceId)).map((p) => p.PolicyName!).filter((n) => ours.includes(n));
      return { resourceId, policyNames } satisfies ServiceScalingOutputs;
    },
    async create(ctx) {
      return { ...(await convergeScaling(ctx, svc, resourceIdOf(ctx, svc), undefined)) };
    },
    async destroy(ctx, outputs) {
      const resourceId = (outputs.resourceId as string | undefined) ?? resourceIdOf(ctx, svc);
      const aas = ctx.env.aws.get(ApplicationAutoScalingClient);
      const target = await describeTarget(ctx, resourceId);
      const policies = target ? await describePolicies(ctx, resourceId) : [];
      const alarmNames = policies.flatMap((p) => (p.Alarms ?? []).map((a) => a.AlarmName!)).filter(Boolean);
      for (const p of policies) if (p.PolicyName) await deletePolicy(ctx, resourceId, p.PolicyName);
      if (target) {
        try {
          await aas.send(new DeregisterScalableTargetCommand({ ServiceNamespace: NAMESPACE, ResourceId: resourceId, ScalableDimension: DIMENSION }));
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      await deleteLeftoverAlarms(ctx, resourceId, alarmNames);
    },
  };
}
