import { CreateListenerCommand, DeleteListenerCommand, DeleteRuleCommand, ElasticLoadBalancingV2Client, ModifyListenerCommand, type Action, type Listener } from '@aws-sdk/client-elastic-load-balancing-v2';
import { unlessNotFound } from '../../aws/errors.js';
import type { ResourceStep } from '../../engine/types.js';
import type { StackEnv } from '../env.js';
import { describeListeners, listenerRules, ruleTags } from './listener.js';
import type { LoadBalancerOutputs, RedirectListenerOutputs } from '../outputs.js';
import { HTTP_PORT } from '../url.js';


/** Deletes the rules of the stack (by its tag) on a listener: none stays where every path must redirect. */
async function deleteStackRules(elb: ElasticLoadBalancingV2Client, listenerArn: string, stack: string): Promise<void> {
  const rules = (await listenerRules(elb, listenerArn)).filter((r) => !r.IsDefault && r.RuleArn);
  if (!rules.length) return;
  const tags = await ruleTags(elb, rules.map((r) => r.RuleArn!));
  for (const r of rules) {
    if (tags.get(r.RuleArn!)?.stack === stack) await unlessNotFound(() => elb.send(new DeleteRuleCommand({ RuleArn: r.RuleArn })));
  }
}

/** 301 to the same host and path on HTTPS at the listener port (the ALB keeps host, path and query). */
function redirectTo(httpsPort: number): Action[] {
  return [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: String(httpsPort), StatusCode: 'HTTP_301' } }];
}

function redirects(l: Listener, httpsPort: number): boolean {
  const a = l.DefaultActions ?? [];
  const c = a[0]?.RedirectConfig;
  return l.Protocol === 'HTTP' && a.length === 1 && a[0]!.Type === 'redirect' && c?.Protocol === 'HTTPS' && c.Port === String(httpsPort) && c.StatusCode === 'HTTP_301';
}

/**
 * With HTTPS (and loadBalancer.redirectHttp, the default), HTTP :80 answers 301 to HTTPS. A
 * listener already on :80 (the plain HTTP listener of a stack that had no HTTPS yet) is turned
 * into the redirect in place.
 */
export const redirectListenerStep: ResourceStep<StackEnv> = {
  id: 'redirect-listener',
  title: 'HTTP → HTTPS redirect',
  dependsOn: ['load-balancer'],
  async find(ctx) {
    const elb = ctx.env.aws.get(ElasticLoadBalancingV2Client);
    const { loadBalancerArn } = ctx.output<LoadBalancerOutputs>('load-balancer');
    const httpsPort = ctx.env.answers.loadBalancer.listenerPort;
    const recordedArn = ctx.recorded?.listenerArn as string | undefined;
    let listener = recordedArn ? (await describeListeners(elb, { arn: recordedArn })).find((l) => l.LoadBalancerArn === loadBalancerArn) : undefined;
    listener ??= (await describeListeners(elb, { loadBalancerArn })).find((l) => l.Port === HTTP_PORT);
    if (!listener?.ListenerArn) return undefined;
    if (ctx.repair && (listener.Port !== HTTP_PORT || !redirects(listener, httpsPort))) {
      await elb.send(new ModifyListenerCommand({ ListenerArn: listener.ListenerArn, Port: HTTP_PORT, Protocol: 'HTTP', DefaultActions: redirectTo(httpsPort) }));
    }
    // The :80 listener of a stack that had no HTTPS yet kept its services' rules: on the redirect
    // they would serve those paths over plain HTTP. The stack's rules go (the HTTPS listener has its own).
    if (ctx.repair) await deleteStackRules(elb, listener.ListenerArn, ctx.env.names.stack);
    return { listenerArn: listener.ListenerArn } satisfies RedirectListenerOutputs;
  },
  async create(ctx) {
    const r = await ctx.env.aws.get(ElasticLoadBalancingV2Client).send(
      new CreateListenerCommand({
        LoadBalancerArn: ctx.output<LoadBalancerOutputs>('load-balancer').loadBalancerArn,
        Port: HTTP_PORT,
        Protocol: 'HTTP',
        DefaultActions: redirectTo(ctx.env.answers.loadBalancer.listenerPort),
        Tags: ctx.env.tags(`${ctx.env.names.loadBalancer}-${HTTP_PORT}`),
      }),
    );
    return { listenerArn: r.Listeners![0]!.ListenerArn! } satisfies RedirectListenerOutputs;
  },
  async destroy(ctx, outputs) {
    await unlessNotFound(() => ctx.env.aws.get(ElasticLoadBalancingV2Client).send(new DeleteListenerCommand({ ListenerArn: outputs.listenerArn as string })));
  },
};
