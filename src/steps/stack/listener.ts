import {
  CreateListenerCommand,
  DeleteListenerCommand,
  DescribeListenersCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  type Action,
  type Listener,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { isNotFound } from '../../aws/errors.js';
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

/** The ALB's HTTP listener on the chosen port, forwarding everything to the target group. */
export const listenerStep: ResourceStep<StackEnv> = {
  id: 'listener',
  title: 'Listener',
  dependsOn: ['load-balancer', 'target-group'],
  async find(ctx) {
    const elb = ctx.env.aws.get(ElasticLoadBalancingV2Client);
    const port = ctx.env.answers.loadBalancer.listenerPort;
    const { loadBalancerArn } = ctx.output<LoadBalancerOutputs>('load-balancer');
    const { targetGroupArn } = ctx.output<TargetGroupOutputs>('target-group');
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
        DefaultActions: forwardTo(ctx.output<TargetGroupOutputs>('target-group').targetGroupArn),
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
