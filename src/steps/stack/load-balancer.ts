import {
  CreateLoadBalancerCommand,
  DeleteLoadBalancerCommand,
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
  SetSecurityGroupsCommand,
  SetSubnetsCommand,
  type LoadBalancer,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { WizardError } from '../../errors.js';
import { isNotFound, unlessNotFound } from '../../aws/errors.js';
import { poll } from '../../aws/poll.js';
import type { ResourceStep, WaitStep } from '../../engine/types.js';
import type { StackEnv } from '../env.js';
import type { LoadBalancerOutputs, SecurityGroupOutputs, SubnetsOutputs } from '../outputs.js';

export function describeLoadBalancer(elb: ElasticLoadBalancingV2Client, by: { arn?: string; name?: string }): Promise<LoadBalancer | undefined> {
  return unlessNotFound(async () => (await elb.send(new DescribeLoadBalancersCommand(by.arn ? { LoadBalancerArns: [by.arn] } : { Names: [by.name!] }))).LoadBalancers?.[0]);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function outputsOf(lb: LoadBalancer) {
  return { loadBalancerArn: lb.LoadBalancerArn!, loadBalancerName: lb.LoadBalancerName!, dnsName: lb.DNSName ?? '' } satisfies LoadBalancerOutputs;
}

/**
 * The internet-facing application load balancer. AWS (and moto) happily make a second ALB with
 * the same name, so the find — recorded ARN, then name — is the only guard against duplicates.
 */
export const loadBalancerStep: ResourceStep<StackEnv> = {
  id: 'load-balancer',
  title: 'Application load balancer',
  dependsOn: ['subnets', 'alb-security-group', 'internet-gateway'],
  async find(ctx) {
    const elb = ctx.env.aws.get(ElasticLoadBalancingV2Client);
    const name = ctx.env.names.loadBalancer;
    const recordedArn = ctx.recorded?.loadBalancerArn as string | undefined;
    let lb = recordedArn ? await describeLoadBalancer(elb, { arn: recordedArn }) : undefined;
    lb ??= await describeLoadBalancer(elb, { name });
    if (!lb?.LoadBalancerArn) return undefined;
    if (lb.Scheme !== 'internet-facing' || lb.Type !== 'application') {
      throw new WizardError('DRIFT', `Load balancer ${name} is an ${lb.Scheme} ${lb.Type} load balancer; the stack needs an internet-facing application load balancer.`, {
        hint: `Delete the load balancer ${name}, or run \`ecs-wizard destroy ${ctx.env.names.stack}\` first.`,
      });
    }
    // Subnets and security groups can change in place: converge them, but only when they differ.
    const { subnetIds } = ctx.output<SubnetsOutputs>('subnets');
    const { groupId } = ctx.output<SecurityGroupOutputs>('alb-security-group');
    const currentSubnets = (lb.AvailabilityZones ?? []).map((az) => az.SubnetId!).filter(Boolean);
    if (ctx.repair && !sameSet(currentSubnets, subnetIds)) {
      await elb.send(new SetSubnetsCommand({ LoadBalancerArn: lb.LoadBalancerArn, Subnets: subnetIds }));
    }
    if (ctx.repair && !sameSet(lb.SecurityGroups ?? [], [groupId])) {
      await elb.send(new SetSecurityGroupsCommand({ LoadBalancerArn: lb.LoadBalancerArn, SecurityGroups: [groupId] }));
    }
    return outputsOf(lb);
  },
  async create(ctx) {
    const elb = ctx.env.aws.get(ElasticLoadBalancingV2Client);
    const name = ctx.env.names.loadBalancer;
    const r = await elb.send(
      new CreateLoadBalancerCommand({
        Name: name,
        Type: 'application',
        Scheme: 'internet-facing',
        IpAddressType: 'ipv4',
        Subnets: ctx.output<SubnetsOutputs>('subnets').subnetIds,
        SecurityGroups: [ctx.output<SecurityGroupOutputs>('alb-security-group').groupId],
        Tags: ctx.env.tags(name),
      }),
    );
    const outputs = outputsOf(r.LoadBalancers![0]!);
    // Recorded at once: the ALB takes minutes to provision, and a crash meanwhile must not make a second one.
    await ctx.note({ ...outputs });
    return outputs;
  },
  async destroy(ctx, outputs) {
    const elb = ctx.env.aws.get(ElasticLoadBalancingV2Client);
    const arn = outputs.loadBalancerArn as string;
    try {
      await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: arn }));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    // Deletion is asynchronous; the security group and subnets after it need it really gone.
    await poll(
      async () =>
        (await describeLoadBalancer(elb, { arn }))
          ? { done: false, waitingFor: `waiting for the load balancer ${String(outputs.loadBalancerName)} to be deleted` }
          : { done: true, value: undefined },
      { timing: ctx.env.timing, signal: ctx.signal, progress: ctx.progress },
    );
  },
};

/** Waits until the ALB is active (about two to four minutes on AWS; at once on moto). */
export const loadBalancerActiveStep: WaitStep<StackEnv> = {
  id: 'load-balancer-active',
  title: 'Load balancer active',
  dependsOn: ['load-balancer'],
  kind: 'wait',
  async run(ctx) {
    const elb = ctx.env.aws.get(ElasticLoadBalancingV2Client);
    const { loadBalancerArn, loadBalancerName } = ctx.output<LoadBalancerOutputs>('load-balancer');
    await poll(
      async () => {
        const lb = await describeLoadBalancer(elb, { arn: loadBalancerArn });
        if (!lb) throw new WizardError('AWS', `Load balancer ${loadBalancerName} disappeared while waiting for it to become active.`);
        const state = lb.State?.Code;
        if (state === 'active') return { done: true, value: undefined };
        if (state === 'failed') {
          throw new WizardError('AWS', `Load balancer ${loadBalancerName} failed to provision: ${lb.State?.Reason ?? 'no reason given'}.`, {
            hint: 'Check the subnets (two availability zones, an internet gateway) and the account limits, then run create again.',
          });
        }
        return { done: false, waitingFor: 'waiting for the load balancer to become active' };
      },
      {
        timing: ctx.env.timing,
        signal: ctx.signal,
        progress: ctx.progress,
        timeoutHint: 'The load balancer may still become active: run `ecs-wizard create` again to continue, or `ecs-wizard status` to check.',
      },
    );
  },
};
