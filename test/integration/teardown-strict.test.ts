import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, DescribeSecurityGroupsCommand, EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { DescribeListenersCommand, DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeClustersCommand, DescribeServicesCommand, ECSClient, ListServicesCommand } from '@aws-sdk/client-ecs';
import { runCreate } from '../../src/engine/engine.js';
import { isWaitStep, type Step } from '../../src/engine/types.js';
import { destroyStack } from '../../src/destroy/run.js';
import type { StackEnv } from '../../src/steps/env.js';
import { buildPlan } from '../../src/steps/index.js';
import { startMoto, type Moto } from '../support/moto.js';
import { startStrictAws, type Rule, type StrictAws } from '../support/strict-aws.js';
import { wireJson } from '../support/aws-wire.js';
import { testStack } from '../support/stack.js';
import { sweep } from '../support/sweep.js';

/**
 * Teardown against AWS's delete-time rules, on the wire. moto deletes anything in any order; the
 * strict proxy answers as AWS does instead: a deleted service drains for a while, a deleted ALB's
 * network interfaces linger, and a delete that something still needs is refused with AWS's own
 * error (each rule looks at moto before it answers). The stack's teardown order must provoke none
 * of the refusals — only the linger, which no order can avoid — and still leave nothing.
 */

/** A drain never lasts longer than this; a teardown that waited for it would see it end here. */
const DRAIN_MAX_MS = 4000;
/** A deleted ALB's network interfaces refuse this many deletes of its security group and of each subnet. */
const LINGER_TRIES = 2;

let moto: Moto;
let aws: StrictAws;
const creds = { accessKeyId: 'testing', secretAccessKey: 'testing' };

beforeAll(async () => {
  moto = await startMoto();
  aws = await startStrictAws(moto.endpoint);
});
afterAll(async () => {
  await aws?.stop();
  await moto?.stop();
});

/**
 * The proxy's picture of what AWS would still be doing: services draining, ENIs lingering. Made to
 * depend on what the tool sends, not on how fast a busy machine runs: with `drainUntilTeardown`
 * a drain ends once it has been seen (described DRAINING) and the hosts' and the ALB's deletes
 * have gone out, as a teardown that does not wait for it sends them; else after DRAIN_MAX_MS.
 */
class World {
  constructor(readonly drainUntilTeardown: boolean) {}
  readonly drainStarted = new Map<string, number>();
  readonly seenDraining = new Set<string>();
  readonly lingering = new Map<string, number>();
  /** Capacity providers each service was created on (moto does not keep a service's strategy). */
  readonly strategies = new Map<string, string[]>();
  /** Whether the hosts' ForceDelete / the ALB's delete went out while a service drained (undefined: not yet sent). */
  asgDeletedWhileDraining: boolean | undefined;
  albDeletedWhileDraining: boolean | undefined;
  isDraining = (service: string): boolean => {
    const started = this.drainStarted.get(service);
    if (started === undefined || Date.now() - started >= DRAIN_MAX_MS) return false;
    const bothSent = this.asgDeletedWhileDraining !== undefined && this.albDeletedWhileDraining !== undefined;
    return !(this.drainUntilTeardown && this.seenDraining.has(service) && bothSent);
  };
  anyDraining = (): boolean => [...this.drainStarted.keys()].some(this.isDraining);
  /** True (and one try fewer left) while a deleted ALB's interfaces still hold `id`. */
  lingers = (id: string): boolean => {
    const left = this.lingering.get(id) ?? 0;
    if (left > 0) this.lingering.set(id, left - 1);
    return left > 0;
  };
}

const last = (s: string): string => s.split('/').pop()!;

function rules(world: World): Rule[] {
  const config = { region: 'us-east-1', endpoint: moto.endpoint, credentials: creds };
  const ec2 = new EC2Client(config);
  const elb = new ElasticLoadBalancingV2Client(config);
  const ecs = new ECSClient(config);
  const as = new AutoScalingClient(config);
  const alive = { Name: 'instance-state-name', Values: ['pending', 'running', 'shutting-down', 'stopping', 'stopped'] };
  const instancesWith = async (filter: { Name: string; Values: string[] }): Promise<number> =>
    ((await ec2.send(new DescribeInstancesCommand({ Filters: [filter, alive] }))).Reservations ?? []).flatMap((r) => r.Instances ?? []).length;
  const loadBalancers = async () => (await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? [];
  /** Services of the cluster that AWS would still show: ACTIVE in moto, or deleted and still draining here. */
  const servicesOf = async (cluster: string) => {
    const arns = (await ecs.send(new ListServicesCommand({ cluster }))).serviceArns ?? [];
    if (arns.length === 0) return [];
    const all = (await ecs.send(new DescribeServicesCommand({ cluster, services: arns }))).services ?? [];
    return all
      .filter((s) => s.status === 'ACTIVE' || world.isDraining(s.serviceName!))
      .map((s) => ({ name: s.serviceName!, providers: world.strategies.get(s.serviceName!) ?? (s.capacityProviderStrategy ?? []).map((c) => c.capacityProvider!) }));
  };
  const dependencyViolation = (id: string) => ({ code: 'DependencyViolation', message: `resource ${id} has a dependent object` });

  return [
    // --- how AWS takes its time
    {
      name: 'service-drains',
      service: 'ecs',
      operation: 'DeleteService',
      respond: async (req, ctx) => {
        const r = await ctx.forward();
        const body = JSON.parse(r.body) as { service?: { status?: string; serviceName?: string } };
        if (r.status !== 200 || !body.service) return r;
        world.drainStarted.set(last(String(req.json?.service)), Date.now());
        body.service.status = 'DRAINING';
        return wireJson('ecs', body);
      },
    },
    {
      name: 'service-still-draining',
      service: 'ecs',
      operation: 'DescribeServices',
      respond: async (_req, ctx) => {
        const r = await ctx.forward();
        const body = JSON.parse(r.body) as { services?: { status?: string; serviceName?: string }[] };
        const draining = (body.services ?? []).filter((s) => s.status === 'INACTIVE' && world.isDraining(s.serviceName!));
        if (draining.length === 0) return r;
        for (const s of draining) {
          s.status = 'DRAINING';
          world.seenDraining.add(s.serviceName!);
        }
        return wireJson('ecs', body);
      },
    },
    {
      name: 'alb-enis-linger',
      service: 'elasticloadbalancing',
      operation: 'DeleteLoadBalancer',
      respond: async (req, ctx) => {
        const lb = (await loadBalancers()).find((l) => l.LoadBalancerArn === req.params.get('LoadBalancerArn'));
        world.albDeletedWhileDraining ??= world.anyDraining();
        const r = await ctx.forward();
        for (const id of [...(lb?.SecurityGroups ?? []), ...(lb?.AvailabilityZones ?? []).map((z) => z.SubnetId!)]) world.lingering.set(id, LINGER_TRIES);
        return r;
      },
    },
    {
      name: 'enis-still-there',
      service: 'ec2',
      operation: /^(DeleteSecurityGroup|DeleteSubnet)$/,
      when: (req) => world.lingers(req.params.get('GroupId') ?? req.params.get('SubnetId') ?? ''),
      error: (req) => dependencyViolation(req.params.get('GroupId') ?? req.params.get('SubnetId')!),
    },
    {
      // Not an answer: remembers the providers a service runs on, as AWS would show them.
      name: 'note-service-strategy',
      service: 'ecs',
      operation: 'CreateService',
      when: (req) => {
        const strategy = (req.json?.capacityProviderStrategy as { capacityProvider: string }[] | undefined) ?? [];
        world.strategies.set(String(req.json?.serviceName), strategy.map((c) => c.capacityProvider));
        return false;
      },
    },
    {
      // ForceDelete terminates every instance of the group, scale-in protected or not (moto keeps
      // protected ones running); notes whether it went out while the service drained.
      name: 'force-delete-terminates',
      service: 'autoscaling',
      operation: 'DeleteAutoScalingGroup',
      respond: async (req, ctx) => {
        world.asgDeletedWhileDraining ??= world.anyDraining();
        const name = req.params.get('AutoScalingGroupName')!;
        const group = (await as.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))).AutoScalingGroups?.[0];
        const r = await ctx.forward();
        const ids = (group?.Instances ?? []).map((i) => i.InstanceId!);
        if (r.status === 200 && req.params.get('ForceDelete') === 'true' && ids.length) await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }));
        return r;
      },
    },
    // --- what AWS refuses while something still needs it
    {
      name: 'sg-in-use',
      service: 'ec2',
      operation: 'DeleteSecurityGroup',
      when: async (req) => {
        const id = req.params.get('GroupId')!;
        const naming = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'ip-permission.group-id', Values: [id] }] }))).SecurityGroups ?? [];
        if (naming.some((g) => g.GroupId !== id)) return true;
        if ((await loadBalancers()).some((l) => l.SecurityGroups?.includes(id))) return true;
        return (await instancesWith({ Name: 'instance.group-id', Values: [id] })) > 0;
      },
      error: (req) => dependencyViolation(req.params.get('GroupId')!),
    },
    {
      name: 'subnet-in-use',
      service: 'ec2',
      operation: 'DeleteSubnet',
      when: async (req) => {
        const id = req.params.get('SubnetId')!;
        if ((await loadBalancers()).some((l) => l.AvailabilityZones?.some((z) => z.SubnetId === id))) return true;
        return (await instancesWith({ Name: 'subnet-id', Values: [id] })) > 0;
      },
      error: (req) => dependencyViolation(req.params.get('SubnetId')!),
    },
    {
      name: 'public-addresses-mapped',
      service: 'ec2',
      operation: 'DetachInternetGateway',
      when: async (req) => {
        const vpc = req.params.get('VpcId')!;
        if ((await loadBalancers()).some((l) => l.VpcId === vpc)) return true;
        return (await instancesWith({ Name: 'vpc-id', Values: [vpc] })) > 0;
      },
      error: (req) => ({ code: 'DependencyViolation', message: `Network vpc ${req.params.get('VpcId')} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.` }),
    },
    {
      name: 'target-group-in-use',
      service: 'elasticloadbalancing',
      operation: 'DeleteTargetGroup',
      when: async (req) => {
        const arn = req.params.get('TargetGroupArn');
        for (const lb of await loadBalancers()) {
          const listeners = (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners ?? [];
          if (listeners.some((l) => l.DefaultActions?.some((a) => a.TargetGroupArn === arn || a.ForwardConfig?.TargetGroups?.some((g) => g.TargetGroupArn === arn)))) return true;
        }
        return false;
      },
      error: (req) => ({ code: 'ResourceInUse', message: `Target group '${req.params.get('TargetGroupArn')}' is currently in use by a listener or a rule` }),
    },
    {
      name: 'capacity-provider-in-use',
      service: 'ecs',
      operation: 'PutClusterCapacityProviders',
      when: async (req) => {
        const cluster = String(req.json?.cluster);
        const keep = new Set((req.json?.capacityProviders as string[] | undefined) ?? []);
        const current = (await ecs.send(new DescribeClustersCommand({ clusters: [cluster] }))).clusters?.[0]?.capacityProviders ?? [];
        const removed = current.filter((p) => !keep.has(p));
        return (await servicesOf(cluster)).some((s) => s.providers.some((p) => removed.includes(p)));
      },
      error: { code: 'ResourceInUseException', message: 'The specified capacity provider is in use and cannot be removed.' },
    },
    {
      name: 'cluster-has-services',
      service: 'ecs',
      operation: 'DeleteCluster',
      when: async (req) => (await servicesOf(String(req.json?.cluster))).length > 0,
      error: { code: 'ClusterContainsServicesException', message: 'The Cluster cannot be deleted while Services are active.' },
    },
  ];
}

const REFUSALS = ['sg-in-use', 'subnet-in-use', 'public-addresses-mapped', 'target-group-in-use', 'capacity-provider-in-use', 'cluster-has-services'];

/** A whole stack made, then destroyed (with the final listing), all through the strict proxy. */
async function createThenDestroy(stack: string, world: World, planFor: (plan: Step<StackEnv>[]) => Step<StackEnv>[] = (p) => p) {
  aws.clear();
  aws.rules(rules(world));
  const t = testStack({ stack }, { endpoint: aws.endpoint });
  const created = await runCreate(buildPlan(t.answers), { env: t.env, state: t.state, wait: false });
  expect(created.ok).toBe(true);
  const report = await destroyStack({ env: t.env, state: t.state, plan: planFor(buildPlan(t.answers)) });
  t.aws.destroy();
  const fired = aws.firedAll();
  aws.clear();
  return { report, world, fired, left: await sweep(moto.endpoint, stack) };
}

describe('teardown on the strict harness (AWS delete-time rules on the wire)', () => {
  it('provokes none of AWS\'s refusals, starts the hosts and the ALB while the service drains, and leaves nothing', async () => {
    // GIVEN a whole stack  WHEN it is destroyed through the strict proxy
    const { report, world, fired, left } = await createThenDestroy('td-strict', new World(true));

    // THEN it converged with nothing left, by the tool's own listing and an independent sweep
    expect(report.steps?.results.filter((r) => r.outcome === 'failed')).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.leftovers).toEqual([]);
    expect(left).toEqual([]);
    // AND the service drained and the ALB's ENIs lingered, as on AWS (the retries waited them out)
    expect(fired['service-drains']).toBe(1);
    expect(fired['service-still-draining']).toBeGreaterThan(0);
    expect(fired['enis-still-there']).toBeGreaterThan(0);
    // AND the hosts' ForceDelete and the ALB's delete went out while the service was still draining
    expect(world.asgDeletedWhileDraining).toBe(true);
    expect(world.albDeletedWhileDraining).toBe(true);
    // AND no delete was refused because something still needed it: no DependencyViolation storm
    expect(Object.fromEntries(REFUSALS.map((r) => [r, fired[r]]))).toEqual(Object.fromEntries(REFUSALS.map((r) => [r, 0])));
  });

  it('the rules do refuse a teardown that deletes too early, and the retries still converge', async () => {
    // GIVEN a plan that wrongly lets the capacity provider go during the service's drain, and the
    // ALB's security group before the ALB (whose delete is held until that group's delete was tried)
    const tooEarly = (plan: Step<StackEnv>[]) =>
      plan.map((s): Step<StackEnv> => {
        if (s.id === 'service') return { ...s, teardown: { mayGoOnceDeleting: ['auto-scaling-group', 'listener', 'capacity-provider'] } };
        if (s.id !== 'load-balancer' || isWaitStep(s)) return s;
        return {
          ...s,
          teardown: { mayGoFirst: ['alb-security-group'] },
          async destroy(ctx, outputs) {
            for (let i = 0; i < 300 && aws.fired('sg-in-use') === 0; i++) await new Promise((r) => setTimeout(r, 10));
            await s.destroy!(ctx, outputs);
          },
        };
      });
    // WHEN the stack is destroyed with it (the drain lasting its time)
    const { report, fired, left } = await createThenDestroy('td-early', new World(false), tooEarly);

    // THEN AWS's refusals fired, and the bounded retries still left nothing
    expect(fired['capacity-provider-in-use']).toBeGreaterThan(0);
    expect(fired['sg-in-use']).toBeGreaterThan(0);
    expect(report.ok).toBe(true);
    expect(left).toEqual([]);
  });
});
