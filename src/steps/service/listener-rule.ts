import {
  CreateRuleCommand,
  DeleteRuleCommand,
  ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
  SetRulePrioritiesCommand,
  type Action,
  type Rule,
  type RuleCondition,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { WizardError } from '../../errors.js';
import { isPriorityInUse, unlessNotFound } from '../../aws/errors.js';
import { poll } from '../../aws/poll.js';
import type { ResourceStep, StepContext } from '../../engine/types.js';
import type { StackEnv } from '../env.js';
import type { ListenerOutputs, ListenerRuleOutputs, TargetGroupOutputs } from '../outputs.js';
import { idFor, serviceNames, servicesOf, type ServiceSpec } from '../services.js';
import { forwardTo, listenerRules, ruleTags } from '../stack/listener.js';

/** The highest priority a rule may have: a rule parked to make way for another's goes there, downwards. */
const MAX_PRIORITY = 50000;

/** A service's conditions: its path pattern, its host, or both (both must match). */
export function ruleConditions(svc: Pick<ServiceSpec, 'path' | 'host'>): RuleCondition[] {
  return [
    ...(svc.host !== undefined ? [{ Field: 'host-header', HostHeaderConfig: { Values: [svc.host] } }] : []),
    ...(svc.path !== undefined ? [{ Field: 'path-pattern', PathPatternConfig: { Values: [svc.path] } }] : []),
  ];
}

/** Conditions as compared: field and values, whichever of the two ways AWS spells them (host names case-insensitively). */
function conditionKey(conditions: RuleCondition[] | undefined): string {
  const values = (c: RuleCondition): string[] => {
    const v = c.Field === 'host-header' ? c.HostHeaderConfig?.Values : c.Field === 'path-pattern' ? c.PathPatternConfig?.Values : undefined;
    const all = v ?? c.Values ?? [];
    return c.Field === 'host-header' ? all.map((x) => x.toLowerCase()) : all;
  };
  return JSON.stringify((conditions ?? []).map((c) => [c.Field, values(c)]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
}

/** Forwards to exactly this target group, whichever of the two ways AWS spells a forward action. */
function forwardsTo(actions: Action[] | undefined, targetGroupArn: string): boolean {
  if (!actions || actions.length !== 1 || actions[0]!.Type !== 'forward') return false;
  const groups = actions[0]!.ForwardConfig?.TargetGroups;
  if (groups && groups.length > 0) return groups.length === 1 && groups[0]!.TargetGroupArn === targetGroupArn;
  return actions[0]!.TargetGroupArn === targetGroupArn;
}

const outputsOf = (rule: Rule, listenerArn: string) => ({ ruleArn: rule.RuleArn!, listenerArn, priority: Number(rule.Priority) }) satisfies ListenerRuleOutputs;

/**
 * A routed service's rule on the listener that forwards (HTTP, or HTTPS with its redirect
 * listener on :80 left redirecting every path: a rule there would bypass HTTPS): its path pattern
 * and/or host → its target group, at its priority. Found by recorded ARN, then among the
 * listener's rules by the stack and service tags, or by the same conditions forwarding to its
 * target group; conditions, action and priority converge in place (ModifyRule, SetRulePriorities).
 */
export function listenerRuleStep(svc: ServiceSpec, listenerId: 'listener' | 'https-listener'): ResourceStep<StackEnv> {
  const priority = svc.priority!;
  return {
    id: idFor(svc, 'listener-rule'),
    title: svc.primary ? 'Listener rule' : `Listener rule (${svc.name})`,
    dependsOn: [listenerId, idFor(svc, 'target-group')],
    async find(ctx) {
      const elb = ctx.env.aws.get(ElasticLoadBalancingV2Client);
      const { listenerArn } = ctx.output<ListenerOutputs>(listenerId);
      const { targetGroupArn } = ctx.output<TargetGroupOutputs>(idFor(svc, 'target-group'));
      const rules = (await listenerRules(elb, listenerArn)).filter((r) => !r.IsDefault && r.RuleArn);
      const recorded = ctx.recorded?.ruleArn as string | undefined;
      let rule = rules.find((r) => r.RuleArn === recorded);
      if (!rule && rules.length) {
        const tags = await ruleTags(elb, rules.map((r) => r.RuleArn!));
        rule = rules.find((r) => tags.get(r.RuleArn!)?.stack === ctx.env.names.stack && tags.get(r.RuleArn!)?.service === svc.name);
        rule ??= rules.find((r) => conditionKey(r.Conditions) === conditionKey(ruleConditions(svc)) && forwardsTo(r.Actions, targetGroupArn));
      }
      if (!rule) return undefined;
      if (ctx.repair) {
        if (conditionKey(rule.Conditions) !== conditionKey(ruleConditions(svc)) || !forwardsTo(rule.Actions, targetGroupArn)) {
          ctx.progress(`updating the rule to ${svc.host ?? ''}${svc.path ?? ''} → ${svc.name}`);
          await elb.send(new ModifyRuleCommand({ RuleArn: rule.RuleArn, Conditions: ruleConditions(svc), Actions: forwardTo(targetGroupArn) }));
        }
        if (Number(rule.Priority) !== priority) {
          ctx.progress(`moving the rule from priority ${rule.Priority} to ${priority}`);
          const ruleArn = rule.RuleArn!;
          await claim(ctx, svc, listenerArn, priority, () => elb.send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: ruleArn, Priority: priority }] })), ruleArn);
          return { ruleArn, listenerArn, priority } satisfies ListenerRuleOutputs;
        }
      }
      return outputsOf(rule, listenerArn);
    },
    async create(ctx) {
      const elb = ctx.env.aws.get(ElasticLoadBalancingV2Client);
      const { listenerArn } = ctx.output<ListenerOutputs>(listenerId);
      const { targetGroupArn } = ctx.output<TargetGroupOutputs>(idFor(svc, 'target-group'));
      const r = await claim(ctx, svc, listenerArn, priority, () =>
        elb.send(
          new CreateRuleCommand({
            ListenerArn: listenerArn,
            Priority: priority,
            Conditions: ruleConditions(svc),
            Actions: forwardTo(targetGroupArn),
            Tags: ctx.env.tags(serviceNames(ctx.env.names.stack, svc).service, svc.name),
          }),
        ),
      );
      return outputsOf(r.Rules![0]!, listenerArn);
    },
    async destroy(ctx, outputs) {
      // Gone with its listener already, or never made: done.
      await unlessNotFound(() => ctx.env.aws.get(ElasticLoadBalancingV2Client).send(new DeleteRuleCommand({ RuleArn: outputs.ruleArn as string })));
    },
  };
}

/**
 * Sends a call that puts a rule at `priority`. Another rule holding it (PriorityInUse) is, when
 * it is one of the stack's, about to move: its service's own step sets its new priority (a file
 * reordered), or the service is being removed by this create and its rule goes now. Meanwhile
 * this service's own rule (`own`) steps aside to a free priority, so two rules trading places
 * never wait for each other. A rule that is not the stack's is the user's: bad input, naming the
 * priority to change.
 */
async function claim<T>(ctx: StepContext<StackEnv>, svc: ServiceSpec, listenerArn: string, priority: number, send: () => Promise<T>, own?: string): Promise<T> {
  const elb = ctx.env.aws.get(ElasticLoadBalancingV2Client);
  let parked = false;
  return poll(
    async () => {
      try {
        return { done: true, value: await send() };
      } catch (err) {
        if (!isPriorityInUse(err)) throw err;
      }
      const rules = await listenerRules(elb, listenerArn);
      const holder = rules.find((r) => !r.IsDefault && Number(r.Priority) === priority && r.RuleArn !== own);
      if (!holder?.RuleArn) return { done: false, waitingFor: `waiting for priority ${priority} of the listener to be free` };
      const tags = (await ruleTags(elb, [holder.RuleArn])).get(holder.RuleArn);
      if (tags?.stack !== ctx.env.names.stack) {
        throw new WizardError('INPUT_INVALID', `Priority ${priority} of the listener is taken by a rule that is not stack ${ctx.env.names.stack}'s (${holder.RuleArn}).`, {
          problems: [{ path: `${svc.at}.priority`, message: `${priority} is taken on the load balancer's listener by a rule of someone else: give ${svc.name} another priority (1–50000)` }],
          hint: `Give ${svc.at}.priority a number no other rule of the listener uses, then run create again.`,
        });
      }
      const holderService = servicesOf(ctx.env.answers).find((s) => s.name === tags.service);
      if (!holderService || holderService.name === svc.name) {
        // The rule of a service these answers remove (create deletes the rest of it after the plan),
        // or a second rule of this very service (left by a create whose answer was lost).
        ctx.progress(`deleting a listener rule of service ${tags.service ?? '(unknown)'} at priority ${priority}: ${holderService ? 'a second one of this service' : 'these answers remove the service'}`);
        await unlessNotFound(() => elb.send(new DeleteRuleCommand({ RuleArn: holder.RuleArn })));
        return { done: false, waitingFor: `waiting for priority ${priority} of the listener to be free` };
      }
      if (own && !parked) {
        const taken = new Set(rules.map((r) => Number(r.Priority)));
        let free = MAX_PRIORITY;
        while (taken.has(free)) free--;
        // Another rule stepping aside at the same moment may take it first: then simply look again.
        parked = await elb.send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: own, Priority: free }] })).then(
          () => true,
          (e: unknown) => {
            if (!isPriorityInUse(e)) throw e;
            return false;
          },
        );
      }
      return { done: false, waitingFor: `waiting for service ${holderService.name}'s listener rule to leave priority ${priority}` };
    },
    { timing: ctx.env.timing, signal: ctx.signal, progress: ctx.progress },
  );
}
