import {
  CreateTargetGroupCommand,
  DeleteTargetGroupCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { WizardError } from '../../errors.js';
import { unlessNotFound } from '../../aws/errors.js';
import type { ResourceStep } from '../../engine/types.js';
import { deleteIgnoringNotFound } from '../common.js';
import type { StackEnv } from '../env.js';
import type { TargetGroupOutputs, VpcOutputs } from '../outputs.js';
import { idFor, serviceNames, type ServiceSpec } from '../services.js';

/**
 * Health checks tuned so a fresh task is in service in about 20 s (2 × 10 s) and a dead one out
 * in about 30 s; any 2xx/3xx counts, so a redirecting root page is healthy.
 */
export function healthCheck(path: string) {
  return {
    HealthCheckProtocol: 'HTTP' as const,
    HealthCheckPort: 'traffic-port',
    HealthCheckPath: path,
    HealthCheckIntervalSeconds: 10,
    HealthCheckTimeoutSeconds: 5,
    HealthyThresholdCount: 2,
    UnhealthyThresholdCount: 3,
    Matcher: { HttpCode: '200-399' },
  };
}

/** ALB default is 300 s; ECS tasks stop quickly, so deployments and scale-in need not wait five minutes. */
export const DEREGISTRATION_DELAY = { Key: 'deregistration_delay.timeout_seconds', Value: '30' };

export function describeTargetGroup(elb: ElasticLoadBalancingV2Client, by: { arn?: string; name?: string }): Promise<TargetGroup | undefined> {
  return unlessNotFound(async () => (await elb.send(new DescribeTargetGroupsCommand(by.arn ? { TargetGroupArns: [by.arn] } : { Names: [by.name!] }))).TargetGroups?.[0]);
}

function healthCheckDiffers(tg: TargetGroup, wanted: ReturnType<typeof healthCheck>): boolean {
  return (
    tg.HealthCheckProtocol !== wanted.HealthCheckProtocol ||
    tg.HealthCheckPath !== wanted.HealthCheckPath ||
    tg.HealthCheckIntervalSeconds !== wanted.HealthCheckIntervalSeconds ||
    tg.HealthCheckTimeoutSeconds !== wanted.HealthCheckTimeoutSeconds ||
    tg.HealthyThresholdCount !== wanted.HealthyThresholdCount ||
    tg.UnhealthyThresholdCount !== wanted.UnhealthyThresholdCount ||
    tg.Matcher?.HttpCode !== wanted.Matcher.HttpCode
  );
}

async function convergeAttributes(elb: ElasticLoadBalancingV2Client, arn: string): Promise<void> {
  const r = await elb.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn }));
  const current = r.Attributes?.find((a) => a.Key === DEREGISTRATION_DELAY.Key)?.Value;
  if (current !== DEREGISTRATION_DELAY.Value) {
    await elb.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes: [DEREGISTRATION_DELAY] }));
  }
}

/**
 * A load-balanced service's target group: HTTP, target type instance. ECS registers each task's
 * dynamic host port, so the group's own port (the container's) is only a default.
 */
export function targetGroupStep(svc: ServiceSpec): ResourceStep<StackEnv> {
  return {
    id: idFor(svc, 'target-group'),
    title: svc.primary ? 'Target group' : `Target group (${svc.name})`,
    dependsOn: ['vpc'],
    async find(ctx) {
      const elb = ctx.env.aws.get(ElasticLoadBalancingV2Client);
      const name = serviceNames(ctx.env.names.stack, svc).targetGroup;
      const recordedArn = ctx.recorded?.targetGroupArn as string | undefined;
      let tg = recordedArn ? await describeTargetGroup(elb, { arn: recordedArn }) : undefined;
      tg ??= await describeTargetGroup(elb, { name });
      if (!tg?.TargetGroupArn) return undefined;
      const { vpcId } = ctx.output<VpcOutputs>('vpc');
      if (tg.VpcId !== vpcId || tg.Protocol !== 'HTTP' || tg.TargetType !== 'instance') {
        throw new WizardError(
          'DRIFT',
          `Target group ${name} is ${tg.Protocol}/${tg.TargetType} in ${tg.VpcId}, but the stack needs HTTP/instance in ${vpcId}. A target group's VPC, protocol and target type cannot change.`,
          { hint: `Delete the target group ${name}, or run \`ecs-wizard destroy ${ctx.env.names.stack}\` first.` },
        );
      }
      const wanted = healthCheck(svc.healthCheckPath);
      if (ctx.repair && healthCheckDiffers(tg, wanted)) {
        await elb.send(new ModifyTargetGroupCommand({ TargetGroupArn: tg.TargetGroupArn, ...wanted }));
      }
      if (ctx.repair) await convergeAttributes(elb, tg.TargetGroupArn);
      return { targetGroupArn: tg.TargetGroupArn, targetGroupName: name } satisfies TargetGroupOutputs;
    },
    async create(ctx) {
      const elb = ctx.env.aws.get(ElasticLoadBalancingV2Client);
      const name = serviceNames(ctx.env.names.stack, svc).targetGroup;
      const r = await elb.send(
        new CreateTargetGroupCommand({
          Name: name,
          Protocol: 'HTTP',
          Port: svc.containerPort ?? 80,
          VpcId: ctx.output<VpcOutputs>('vpc').vpcId,
          TargetType: 'instance',
          ...healthCheck(svc.healthCheckPath),
          Tags: ctx.env.tags(name, svc.name),
        }),
      );
      const targetGroupArn = r.TargetGroups![0]!.TargetGroupArn!;
      await ctx.note({ targetGroupArn, targetGroupName: name });
      await elb.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: targetGroupArn, Attributes: [DEREGISTRATION_DELAY] }));
      return { targetGroupArn, targetGroupName: name } satisfies TargetGroupOutputs;
    },
    async destroy(ctx, outputs) {
      const elb = ctx.env.aws.get(ElasticLoadBalancingV2Client);
      const arn = outputs.targetGroupArn as string;
      // ResourceInUse while the listener, a rule or the ASG is still letting go of it: retried, bounded.
      await deleteIgnoringNotFound(ctx, () => elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: arn })), `the target group ${String(outputs.targetGroupName)} to be released`);
    },
  };
}
