import { ACMClient, ListCertificatesCommand, ListTagsForCertificateCommand } from '@aws-sdk/client-acm';
import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import {
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeLaunchTemplatesCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { DescribeListenersCommand,
  DescribeRulesCommand, DescribeLoadBalancersCommand, DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, DescribeLaunchConfigurationsCommand, DescribePoliciesCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeCapacityProvidersCommand, DescribeClustersCommand, ECSClient, ListServicesCommand, ListTaskDefinitionsCommand, DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { GetInstanceProfileCommand, GetRoleCommand, IAMClient, ListAttachedRolePoliciesCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand, DescribeScalingPoliciesCommand } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { ListNamespacesCommand, ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { isWaitStep, type Step } from '../../src/engine/types.js';
import { STACK_TAG } from '../../src/aws/tags.js';
import { stackNames } from '../../src/steps/names.js';
import type { Answers } from '../../src/wizard/schema.js';
import { oneServiceNames } from './service-steps.js';

/**
 * Counts a stack's resources by SDK reads — by the stack tag where AWS can filter on it, by the
 * stack's deterministic names elsewhere — straight from AWS (moto), never from the state file. A
 * rerun that made a duplicate shows up as a 2; an orphan after destroy as a non-zero. Independent
 * of the tool on purpose: it shares no lookup code with src/ (not even isNotFound), so a bug in
 * the tool's own inventory cannot hide a leftover here.
 */
export const KINDS = [
  'vpcs',
  'subnets',
  'internetGateways',
  'routeTables',
  'securityGroups',
  'launchTemplates',
  'launchConfigurations',
  'instances',
  'loadBalancers',
  'listeners',
  // The services' path and host rules on those listeners (not their default rules).
  'listenerRules',
  'targetGroups',
  'autoScalingGroups',
  'asgScalingPolicies',
  'clusters',
  'services',
  'capacityProviders',
  'taskDefinitions',
  'scalableTargets',
  'serviceScalingPolicies',
  'alarms',
  'logGroups',
  'instanceRoles',
  'executionRoles',
  'instanceProfiles',
  'attachedRolePolicies',
  'inlineRolePolicies',
  'ecrRepositories',
  'natGateways',
  'elasticIps',
  'certificates',
  // Only with `hostedZoneId` (a test's own zone): its records other than SOA and NS.
  'dnsRecords',
  // Service Connect's AWS Cloud Map namespace, `<stack>.internal` (by its name: moto ignores ListNamespaces' filters).
  'namespaces',
] as const;
export type Kind = (typeof KINDS)[number];
export type StackCounts = Record<Kind, number>;

const creds = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** The wire code of an SDK error (query protocols keep it in `Code`; JSON ones only in `name`). */
const wireCode = (err: unknown): string | undefined => (err as { Code?: string })?.Code ?? (err as { name?: string })?.name;

/** `fallback` when AWS answered exactly `code` (its "no such thing"), the error otherwise. */
function whenCode<T>(code: string, fallback: T): (err: unknown) => T {
  return (err) => {
    if (wireCode(err) === code) return fallback;
    throw err;
  };
}

export class StackCounter {
  private readonly ec2;
  private readonly elb;
  private readonly asg;
  private readonly ecs;
  private readonly iam;
  private readonly ecr;
  private readonly aas;
  private readonly cw;
  private readonly logs;
  private readonly acm;
  private readonly route53;
  private readonly sd;

  constructor(endpoint: string) {
    const cfg = { region: 'us-east-1', endpoint, credentials: creds, maxAttempts: 5 };
    this.ec2 = new EC2Client(cfg);
    this.elb = new ElasticLoadBalancingV2Client(cfg);
    this.asg = new AutoScalingClient(cfg);
    this.ecs = new ECSClient(cfg);
    this.iam = new IAMClient(cfg);
    this.ecr = new ECRClient(cfg);
    this.aas = new ApplicationAutoScalingClient(cfg);
    this.cw = new CloudWatchClient(cfg);
    this.logs = new CloudWatchLogsClient(cfg);
    this.acm = new ACMClient(cfg);
    this.route53 = new Route53Client(cfg);
    this.sd = new ServiceDiscoveryClient(cfg);
  }

  destroy(): void {
    for (const c of [this.ec2, this.elb, this.asg, this.ecs, this.iam, this.ecr, this.aas, this.cw, this.logs, this.acm, this.route53, this.sd]) c.destroy();
  }

  /**
   * Every kind in KINDS; `ecrRepositories` is 0 unless the stack's repository name is given, and
   * `dnsRecords` 0 unless `hostedZoneId` names a zone (a test's own) whose records other than its
   * SOA and NS are counted — the alias and validation records, whoever wrote them.
   */
  async count(stack: string, opts: { ecrRepository?: string; hostedZoneId?: string } = {}): Promise<StackCounts> {
    const n = oneServiceNames(stack);
    const byTag = [{ Name: `tag:${STACK_TAG}`, Values: [stack] }];
    const [vpcs, subnets, igws, rts, sgs, lts, instances] = await Promise.all([
      this.ec2.send(new DescribeVpcsCommand({ Filters: byTag })).then((r) => r.Vpcs ?? []),
      this.ec2.send(new DescribeSubnetsCommand({ Filters: byTag })).then((r) => r.Subnets ?? []),
      this.ec2.send(new DescribeInternetGatewaysCommand({ Filters: byTag })).then((r) => r.InternetGateways ?? []),
      this.ec2.send(new DescribeRouteTablesCommand({ Filters: byTag })).then((r) => r.RouteTables ?? []),
      this.ec2.send(new DescribeSecurityGroupsCommand({ Filters: byTag })).then((r) => r.SecurityGroups ?? []),
      this.ec2
        .send(new DescribeLaunchTemplatesCommand({ Filters: [{ Name: 'launch-template-name', Values: [n.launchTemplate] }] }))
        .then((r) => r.LaunchTemplates ?? []),
      this.ec2
        .send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:aws:autoscaling:groupName', Values: [n.autoScalingGroup] }, { Name: 'instance-state-name', Values: ['pending', 'running'] }] }))
        .then((r) => (r.Reservations ?? []).flatMap((x) => x.Instances ?? [])),
    ]);
    const serviceResource = `service/${n.cluster}/${n.service}`;
    const sum = (ns: number[]): number => ns.reduce((a, b) => a + b, 0);
    const exists = (f: () => Promise<unknown>): Promise<number> => f().then(() => 1, whenCode('NoSuchEntity', 0));
    const listenersOf = async (arns: (string | undefined)[]): Promise<number> =>
      sum(await Promise.all(arns.map((LoadBalancerArn) => this.elb.send(new DescribeListenersCommand({ LoadBalancerArn })).then((r) => (r.Listeners ?? []).length, whenCode('LoadBalancerNotFound', 0)))));
    const servicesOf = async (): Promise<[number, number]> => {
      const clusters = await this.ecs.send(new DescribeClustersCommand({ clusters: [n.cluster] })).then((r) => (r.clusters ?? []).filter((c) => c.status === 'ACTIVE').length);
      if (!clusters) return [0, 0];
      const arns = (await this.ecs.send(new ListServicesCommand({ cluster: n.cluster }))).serviceArns ?? [];
      if (!arns.length) return [clusters, 0];
      const d = await this.ecs.send(new DescribeServicesCommand({ cluster: n.cluster, services: arns }));
      return [clusters, (d.services ?? []).filter((x) => x.status === 'ACTIVE').length];
    };
    const roles = [n.instanceRole, n.executionRole];
    const servicePolicies = this.aas
      .send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs', ResourceId: serviceResource }))
      .then((r) => (r.ScalingPolicies ?? []).filter((p) => p.ResourceId === serviceResource));
    const [lbs, tgs, groups, lcs, policies, [clusters, services], capacityProviders, primaryTaskDefinitions, otherTaskDefinitions, scalableTargets, serviceScalingPolicies, alarms, logGroups, attachedRolePolicies, inlineRolePolicies, instanceRoles, executionRoles, instanceProfiles, ecrRepositories] =
      await Promise.all([
        this.elb.send(new DescribeLoadBalancersCommand({})).then((r) => (r.LoadBalancers ?? []).filter((l) => l.LoadBalancerName === n.loadBalancer)),
        // The one named after the stack's service, and every other service's `<stack>-<service>-<4 hex>` (the stack cut to fit).
        this.elb.send(new DescribeTargetGroupsCommand({})).then((r) => (r.TargetGroups ?? []).filter((t) => t.TargetGroupName === n.targetGroup || new RegExp(`^${stack.slice(0, 10)}.*-[0-9a-f]{4}$`).test(t.TargetGroupName ?? '')).length),
        this.asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [n.autoScalingGroup] })).then((r) => (r.AutoScalingGroups ?? []).length),
        this.asg.send(new DescribeLaunchConfigurationsCommand({})).then((r) => (r.LaunchConfigurations ?? []).filter((l) => l.LaunchConfigurationName === n.launchConfiguration || new RegExp(`^${n.launchConfiguration}-v[0-9]+$`).test(l.LaunchConfigurationName ?? '')).length),
        this.asg.send(new DescribePoliciesCommand({ AutoScalingGroupName: n.autoScalingGroup })).then((r) => (r.ScalingPolicies ?? []).length),
        servicesOf(),
        // moto answers HTTP 500 without names; with a name it lists every provider of that name, and
        // AWS lists an unknown name under `failures`. No error is expected here at all.
        this.ecs
          .send(new DescribeCapacityProvidersCommand({ capacityProviders: [n.capacityProvider] }))
          .then((r) => (r.capacityProviders ?? []).filter((c) => c.status !== 'INACTIVE' && c.name === n.capacityProvider).length),
        this.ecs
          .send(new ListTaskDefinitionsCommand({ familyPrefix: n.taskFamily, status: 'ACTIVE' }))
          .then((r) => (r.taskDefinitionArns ?? []).filter((a) => a.includes(`:task-definition/${n.taskFamily}:`)).length),
        // Every other service's family, `<stack>--<service>` (moto's familyPrefix matches whole families only: all are listed).
        this.ecs
          .send(new ListTaskDefinitionsCommand({ status: 'ACTIVE', maxResults: 100 }))
          .then((r) => (r.taskDefinitionArns ?? []).filter((a) => a.includes(`:task-definition/${n.taskFamily}--`)).length),
        this.aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [serviceResource] })).then((r) => (r.ScalableTargets ?? []).length),
        servicePolicies.then((ps) => ps.length),
        // Target tracking makes its alarms itself, named after the scaled resource. A service's are
        // counted as its policies name them: moto keeps the alarms of a policy that a second
        // PutScalingPolicy replaced (a retry after a lost answer) beside the new ones, where
        // Application Auto Scaling replaces them — alarms nothing refers to any more are moto's.
        Promise.all([
          this.cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: `TargetTracking-${serviceResource}-` })).then(async (r) => {
            // The prefix also matches the other services' `<stack>--<service>`: ask each scaled
            // resource the alarms name for its policies (one account-wide list would be paged).
            const alarms = r.MetricAlarms ?? [];
            const resources = [...new Set(alarms.map((a) => /^TargetTracking-(.+)-Alarm(High|Low)-/.exec(a.AlarmName ?? '')?.[1]).filter((x): x is string => !!x))];
            const policies = (
              await Promise.all(
                resources.map((ResourceId) =>
                  ResourceId === serviceResource ? servicePolicies : this.aas.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs', ResourceId })).then((x) => x.ScalingPolicies ?? []),
                ),
              )
            ).flat();
            return alarms.filter((a) => policies.some((p) => p.Alarms?.some((x) => x.AlarmName === a.AlarmName))).length;
          }),
          this.cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: `TargetTracking-${n.autoScalingGroup}-` })).then((r) => (r.MetricAlarms ?? []).length),
        ]).then(sum),
        this.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: n.logGroup })).then((r) => (r.logGroups ?? []).filter((g) => g.logGroupName === n.logGroup).length),
        Promise.all(roles.map((RoleName) => this.iam.send(new ListAttachedRolePoliciesCommand({ RoleName })).then((r) => (r.AttachedPolicies ?? []).length, whenCode('NoSuchEntity', 0)))).then(sum),
        Promise.all(roles.map((RoleName) => this.iam.send(new ListRolePoliciesCommand({ RoleName })).then((r) => (r.PolicyNames ?? []).length, whenCode('NoSuchEntity', 0)))).then(sum),
        exists(() => this.iam.send(new GetRoleCommand({ RoleName: n.instanceRole }))),
        exists(() => this.iam.send(new GetRoleCommand({ RoleName: n.executionRole }))),
        exists(() => this.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: n.instanceProfile }))),
        opts.ecrRepository
          ? this.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [opts.ecrRepository] })).then(() => 1, whenCode('RepositoryNotFoundException', 0))
          : 0,
      ]);
    const tagged = (tags: { Key?: string; Value?: string }[] | undefined): boolean => !!tags?.some((t) => t.Key === STACK_TAG && t.Value === stack);
    const rulesOf = async (arns: (string | undefined)[]): Promise<number> => {
      const listenerArns = (await Promise.all(arns.map((LoadBalancerArn) => this.elb.send(new DescribeListenersCommand({ LoadBalancerArn })).then((r) => r.Listeners ?? [], whenCode('LoadBalancerNotFound', []))))).flat();
      return sum(await Promise.all(listenerArns.map((l) => this.elb.send(new DescribeRulesCommand({ ListenerArn: l.ListenerArn })).then((r) => (r.Rules ?? []).filter((x) => !x.IsDefault).length))));
    };
    const [listeners, listenerRules, natGateways, elasticIps, certificates, dnsRecords, namespaces] = await Promise.all([
      listenersOf(lbs.map((lb) => lb.LoadBalancerArn)),
      rulesOf(lbs.map((lb) => lb.LoadBalancerArn)),
      // In any state but deleted (one still deleting is still there); moto ignores tag filters on NAT gateways, so the tag is checked here.
      this.ec2
        .send(new DescribeNatGatewaysCommand({ Filter: [...byTag, { Name: 'state', Values: ['pending', 'available', 'deleting', 'failed'] }] }))
        .then((r) => (r.NatGateways ?? []).filter((g) => tagged(g.Tags)).length),
      this.ec2.send(new DescribeAddressesCommand({ Filters: byTag })).then((r) => (r.Addresses ?? []).filter((a) => tagged(a.Tags)).length),
      this.acm.send(new ListCertificatesCommand({})).then(async (r) => {
        const tags = await Promise.all((r.CertificateSummaryList ?? []).map((c) => this.acm.send(new ListTagsForCertificateCommand({ CertificateArn: c.CertificateArn }))));
        return tags.filter((t) => tagged(t.Tags)).length;
      }),
      opts.hostedZoneId
        ? this.route53
            .send(new ListResourceRecordSetsCommand({ HostedZoneId: opts.hostedZoneId }))
            .then((r) => (r.ResourceRecordSets ?? []).filter((x) => x.Type !== 'SOA' && x.Type !== 'NS').length)
        : 0,
      this.sd.send(new ListNamespacesCommand({})).then((r) => (r.Namespaces ?? []).filter((x) => x.Name === `${stack}.internal`).length),
    ]);
    return {
      vpcs: vpcs.length,
      subnets: subnets.length,
      internetGateways: igws.length,
      routeTables: rts.length,
      securityGroups: sgs.length,
      launchTemplates: lts.length,
      launchConfigurations: lcs,
      instances: instances.length,
      loadBalancers: lbs.length,
      listeners,
      listenerRules,
      targetGroups: tgs,
      autoScalingGroups: groups,
      asgScalingPolicies: policies,
      clusters,
      services,
      capacityProviders,
      taskDefinitions: primaryTaskDefinitions + otherTaskDefinitions,
      scalableTargets,
      serviceScalingPolicies,
      alarms,
      logGroups,
      instanceRoles,
      executionRoles,
      instanceProfiles,
      attachedRolePolicies,
      inlineRolePolicies,
      ecrRepositories,
      natGateways,
      elasticIps,
      certificates,
      dnsRecords,
      namespaces,
    };
  }
}

/**
 * The kinds each step makes, by step id. A resource step missing here fails `baselineProblems`:
 * a new kind of resource must be counted before the crash matrix and the fault runs can claim
 * that destroy removes it.
 */
const KINDS_BY_STEP: Record<string, (answers: Answers) => Kind[]> = {
  vpc: () => ['vpcs'],
  subnets: () => ['subnets'],
  'internet-gateway': () => ['internetGateways'],
  'route-table': () => ['routeTables'],
  'alb-security-group': () => ['securityGroups'],
  'instance-security-group': () => ['securityGroups'],
  'instance-role': () => ['instanceRoles', 'attachedRolePolicies'],
  'instance-profile': () => ['instanceProfiles'],
  'execution-role': () => ['executionRoles', 'attachedRolePolicies'],
  // Always planned; it makes the inline policy only when the answers name secrets.
  'secrets-policy': (a) => (Object.keys(a.service?.secrets ?? {}).length ? ['inlineRolePolicies'] : []),
  'log-group': () => ['logGroups'],
  'ecr-repository': () => ['ecrRepositories'],
  'target-group': () => ['targetGroups'],
  'load-balancer': () => ['loadBalancers'],
  listener: () => ['listeners'],
  // One step id for either way of launching.
  'launch-template': (a) => (a.instances.launch === 'configuration' ? ['launchConfigurations'] : ['launchTemplates']),
  'auto-scaling-group': () => ['autoScalingGroups', 'instances'],
  cluster: () => ['clusters'],
  'capacity-provider': () => ['capacityProviders'],
  'asg-scaling-policy': () => ['asgScalingPolicies', 'alarms'],
  'task-definition': () => ['taskDefinitions'],
  service: () => ['services'],
  'service-scaling': () => ['scalableTargets', 'serviceScalingPolicies', 'alarms'],
  // The production shape (loadBalancer.domain, private instance subnets).
  'private-subnets': () => ['subnets'],
  'private-route-tables': () => ['routeTables'],
  'elastic-ips': () => ['elasticIps'],
  'nat-gateways': () => ['natGateways'],
  certificate: () => ['certificates'],
  'certificate-validation': () => ['dnsRecords'],
  'alias-record': () => ['dnsRecords'],
  'https-listener': () => ['listeners'],
  'redirect-listener': () => ['listeners'],
};

/** The kinds a full run of `plan` must leave at ≥ 1. */
export function expectedKinds<E>(plan: Step<E>[], answers: Answers): Set<Kind> {
  const kinds = new Set<Kind>();
  for (const step of plan) {
    if (isWaitStep(step) || step.external) continue;
    const of = KINDS_BY_STEP[step.id];
    if (!of) throw new Error(`test/support/counts.ts does not know what step "${step.id}" makes: count its resources and list it in KINDS_BY_STEP`);
    for (const k of of(answers)) kinds.add(k);
  }
  return kinds;
}

/**
 * What is wrong with the counts after a clean create of `plan`: a kind the plan makes that the
 * counter did not see (so a leftover of it would go unnoticed), or a kind it does not make that
 * exists anyway. Empty when the baseline is sound.
 */
export function baselineProblems<E>(counts: StackCounts, plan: Step<E>[], answers: Answers): string[] {
  const expected = expectedKinds(plan, answers);
  return KINDS.flatMap((k) => {
    if (expected.has(k) && counts[k] < 1) return [`${k}: the plan makes it, but none was counted`];
    if (!expected.has(k) && counts[k] !== 0) return [`${k}: the plan does not make it, but ${counts[k]} exist`];
    return [];
  });
}

/**
 * Kinds with more than one resource, or more than `allowed` says (subnets may have as many as the
 * answers ask for). Two kinds come in pairs by design: one managed policy on each of the two roles,
 * and a high and a low alarm for one target-tracking policy.
 */
export function duplicates(counts: StackCounts, allowed: Partial<StackCounts> = {}): Partial<StackCounts> {
  const max: Partial<StackCounts> = { attachedRolePolicies: 2, alarms: 2, ...allowed };
  return Object.fromEntries(Object.entries(counts).filter(([k, v]) => v > (max[k as Kind] ?? 1)));
}

/**
 * Kinds with anything left. Instances are not counted: moto's DeleteAutoScalingGroup with
 * ForceDelete skips instances protected from scale-in (managed capacity providers protect them),
 * where real AWS terminates every instance of the group. The group itself is counted.
 */
export function leftovers(counts: StackCounts): Partial<StackCounts> {
  return Object.fromEntries(Object.entries(counts).filter(([k, v]) => v > 0 && k !== 'instances'));
}
