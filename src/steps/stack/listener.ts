import {
  CreateListenerCommand,
  DeleteListenerCommand,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  type Action,
  type Listener,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { isNotFound } from '../../aws/errors.js';
import { SERVICE_TAG, STACK_TAG } from '../../aws/tags.js';
import type { ResourceStep } from '../../engine/types.js';
import type { StackEnv } from '../env.js';
import type { ListenerOutputs, LoadBalancerOutputs, TargetGroupOutputs } from '../outputs.js';

export async function describeListeners(elb: ElasticLoadBalancingV2Client, by: { arn?: string; loadBalancerArn?: string }): Promise<Listener[]> {
  try {
    const r = await elb.send(new DescribeListenersCommand(by.arn ? { ListenerArns: [by.arn] } : { LoadBalancerArn: by.loadBalancerArn }));
    return r.Listeners ?? [];
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

/** Every rule of a listener (its default rule too), following DescribeRules' pages. */
export async function listenerRules(elb: ElasticLoadBalancingV2Client, listenerArn: string): Promise<Rule[]> {
  const rules: Rule[] = [];
  let Marker: string | undefined;
  do {
    const r = await elb.send(new DescribeRulesCommand({ ListenerArn: listenerArn, Marker }));
    rules.push(...(r.Rules ?? []));
    Marker = r.NextMarker;
  } while (Marker);
  return rules;
}

/** The stack and service tags of rules (DescribeTags takes at most 20 ARNs a call). */
export async function ruleTags(elb: ElasticLoadBalancingV2Client, arns: string[]): Promise<Map<string, { stack?: string; service?: string }>> {
  const out = new Map<string, { stack?: string; service?: string }>();
  for (let i = 0; i < arns.length; i += 20) {
    const r = await elb.send(new DescribeTagsCommand({ ResourceArns: arns.slice(i, i + 20) }));
    for (const d of r.TagDescriptions ?? []) {
      const tag = (k: string) => d.Tags?.find((t) => t.Key === k)?.Value;
      out.set(d.ResourceArn!, { stack: tag(STACK_TAG), service: tag(SERVICE_TAG) });
    }
  }
  return out;
}

export function forwardTo(targetGroupArn: string): Action[] {
  return [{ Type: 'forward', TargetGroupArn: targetGroupArn }];
}

/** Forwards to exactly our target group, whichever of the two ways AWS spells a forward action. */
export function forwardsTo(listener: Listener, targetGroupArn: string): boolean {
  const actions = listener.DefaultActions ?? [];
  if (actions.length !== 1 || actions[0]!.Type !== 'forward') return false;
  const a = actions[0]!;
  const groups = a.ForwardConfig?.TargetGroups;
  if (groups && groups.length > 0) return groups.length === 1 && groups[0]!.TargetGroupArn === targetGroupArn;
  return a.TargetGroupArn === targetGroupArn;
}

/**
 * The ALB's HTTP listener on the chosen port. Its default action forwards to the default service's
 * target group (`target-group` when that is the primary, `target-group:<name>` otherwise);
 * services with a path or host have rules of their own on it.
 */
export function listenerStep(defaultTargetGroup: string): ResourceStep<StackEnv> {
  return {
    id: 'listener',
    title: 'Listener',
    dependsOn: ['load-balancer', defaultTargetGroup],
    async find(ctx) {
      const elb = ctx.env.aws.get(ElasticLoadBalancingV2Client);
      const port = ctx.env.answers.loadBalancer.listenerPort;
      const { loadBalancerArn } = ctx.output<LoadBalancerOutputs>('load-balancer');
      const { targetGroupArn } = ctx.output<TargetGroupOutputs>(defaultTargetGroup);
      const recordedArn = ctx.recorded?.listenerArn as string | undefined;
      let listener = recordedArn ? (await describeListeners(elb, { arn: recordedArn })).find((l) => l.LoadBalancerArn === loadBalancerArn) : undefined;
      listener ??= (await describeListeners(elb, { loadBalancerArn })).find((l) => l.Port === port);
      if (!listener?.ListenerArn) return undefined;
      // Port, protocol and default action can all change in place: converge, but only when they differ.
      if (ctx.repair && (listener.Port !== port || listener.Protocol !== 'HTTP' || !forwardsTo(listener, targetGroupArn))) {
        await elb.send(new ModifyListenerCommand({ ListenerArn: listener.ListenerArn, Port: port, Protocol: 'HTTP', DefaultActions: forwardTo(targetGroupArn) }));
      }
      return { listenerArn: listener.ListenerArn } satisfies ListenerOutputs;
    },
    async create(ctx) {
      const elb = ctx.env.aws.get(ElasticLoadBalancingV2Client);
      const r = await elb.send(
        new CreateListenerCommand({
          LoadBalancerArn: ctx.output<LoadBalancerOutputs>('load-balancer').loadBalancerArn,
          Port: ctx.env.answers.loadBalancer.listenerPort,
          Protocol: 'HTTP',
          DefaultActions: forwardTo(ctx.output<TargetGroupOutputs>(defaultTargetGroup).targetGroupArn),
          Tags: ctx.env.tags(`${ctx.env.names.loadBalancer}-${ctx.env.answers.loadBalancer.listenerPort}`),
        }),
      );
      return { listenerArn: r.Listeners![0]!.ListenerArn! } satisfies ListenerOutputs;
    },
    async destroy(ctx, outputs) {
      const elb = ctx.env.aws.get(ElasticLoadBalancingV2Client);
      try {
        await elb.send(new DeleteListenerCommand({ ListenerArn: outputs.listenerArn as string }));
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
  };
}
