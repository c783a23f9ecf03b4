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
import { DescribeListenersCommand, DescribeLoadBalancersCommand, DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, DescribeLaunchConfigurationsCommand, DescribePoliciesCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeCapacityProvidersCommand, DescribeClustersCommand, ECSClient, ListServicesCommand, ListTaskDefinitionsCommand, DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { GetInstanceProfileCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { isNotFound } from '../../src/aws/errors.js';
import { STACK_TAG } from '../../src/aws/tags.js';
import { stackNames } from '../../src/steps/names.js';

/**
 * Counts a stack's resources by SDK reads — by the stack tag where AWS can filter on it, by the
 * stack's deterministic names elsewhere — straight from AWS (moto), never from the state file. A
 * rerun that made a duplicate shows up as a 2; an orphan after destroy as a non-zero.
 */
export type StackCounts = Record<string, number>;

const creds = { accessKeyId: 'testing', secretAccessKey: 'testing' };

export class StackCounter {
  private readonly cfg;
  private readonly ec2;
  private readonly elb;
  private readonly asg;
  private readonly ecs;
  private readonly iam;
  private readonly ecr;
  private readonly aas;
  private readonly acm;
  private readonly route53;

  constructor(endpoint: string) {
    this.cfg = { region: 'us-east-1', endpoint, credentials: creds, maxAttempts: 5 };
    this.ec2 = new EC2Client(this.cfg);
    this.elb = new ElasticLoadBalancingV2Client(this.cfg);
    this.asg = new AutoScalingClient(this.cfg);
    this.ecs = new ECSClient(this.cfg);
    this.iam = new IAMClient(this.cfg);
    this.ecr = new ECRClient(this.cfg);
    this.aas = new ApplicationAutoScalingClient(this.cfg);
    this.acm = new ACMClient(this.cfg);
    this.route53 = new Route53Client(this.cfg);
  }

  destroy(): void {
    for (const c of [this.ec2, this.elb, this.asg, this.ecs, this.iam, this.ecr, this.aas, this.acm, this.route53]) c.destroy();
  }

  /**
   * `hostedZoneId`: also count the record sets of that zone (a test's own zone) other than its
   * SOA and NS — the alias and validation records, whoever wrote them.
   */
  async count(stack: string, opts: { ecrRepository?: string; hostedZoneId?: string } = {}): Promise<StackCounts> {
    const n = stackNames(stack);
    const byTag = [{ Name: `tag:${STACK_TAG}`, Values: [stack] }];
    const exists = async (f: () => Promise<unknown>): Promise<number> => {
      try {
        await f();
        return 1;
      } catch (err) {
        if (isNotFound(err) || (err as { name?: string }).name === 'NoSuchEntity') return 0;
        throw err;
      }
    };
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
    const [lbs, tgs, groups, lcs, policies] = await Promise.all([
      this.elb.send(new DescribeLoadBalancersCommand({})).then((r) => (r.LoadBalancers ?? []).filter((l) => l.LoadBalancerName === n.loadBalancer)),
      this.elb.send(new DescribeTargetGroupsCommand({})).then((r) => (r.TargetGroups ?? []).filter((t) => t.TargetGroupName === n.targetGroup)),
      this.asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [n.autoScalingGroup] })).then((r) => r.AutoScalingGroups ?? []),
      this.asg.send(new DescribeLaunchConfigurationsCommand({})).then((r) => (r.LaunchConfigurations ?? []).filter((l) => l.LaunchConfigurationName === n.launchConfiguration || new RegExp(`^${n.launchConfiguration}-v[0-9]+$`).test(l.LaunchConfigurationName ?? ''))),
      this.asg.send(new DescribePoliciesCommand({ AutoScalingGroupName: n.autoScalingGroup })).then((r) => r.ScalingPolicies ?? []),
    ]);
    let listeners = 0;
    for (const lb of lbs) {
      listeners += await this.elb
        .send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))
        .then((r) => (r.Listeners ?? []).length, (e: unknown) => (isNotFound(e) ? 0 : Promise.reject(e)));
    }
    const clusters = await this.ecs
      .send(new DescribeClustersCommand({ clusters: [n.cluster] }))
      .then((r) => (r.clusters ?? []).filter((c) => c.status === 'ACTIVE'));
    let services = 0;
    if (clusters.length) {
      const arns = (await this.ecs.send(new ListServicesCommand({ cluster: n.cluster }))).serviceArns ?? [];
      if (arns.length) {
        const d = await this.ecs.send(new DescribeServicesCommand({ cluster: n.cluster, services: arns }));
        services = (d.services ?? []).filter((s) => s.status === 'ACTIVE').length;
      }
    }
    // moto answers HTTP 500 without names; with a name it lists every provider of that name.
    const capacityProviders = await this.ecs
      .send(new DescribeCapacityProvidersCommand({ capacityProviders: [n.capacityProvider] }))
      .then((r) => (r.capacityProviders ?? []).filter((c) => c.status !== 'INACTIVE' && c.name === n.capacityProvider).length, () => 0);
    const taskDefinitions = await this.ecs
      .send(new ListTaskDefinitionsCommand({ familyPrefix: n.taskFamily, status: 'ACTIVE' }))
      .then((r) => (r.taskDefinitionArns ?? []).filter((a) => a.includes(`:task-definition/${n.taskFamily}:`)).length);
    const scalableTargets = await this.aas
      .send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [`service/${n.cluster}/${n.service}`] }))
      .then((r) => (r.ScalableTargets ?? []).length);
    const counts: StackCounts = {
      vpcs: vpcs.length,
      subnets: subnets.length,
      internetGateways: igws.length,
      routeTables: rts.length,
      securityGroups: sgs.length,
      launchTemplates: lts.length,
      instances: instances.length,
      loadBalancers: lbs.length,
      listeners,
      targetGroups: tgs.length,
      autoScalingGroups: groups.length,
      launchConfigurations: lcs.length,
      asgScalingPolicies: policies.length,
      clusters: clusters.length,
      services,
      capacityProviders,
      taskDefinitions,
      scalableTargets,
      instanceRoles: await exists(() => this.iam.send(new GetRoleCommand({ RoleName: n.instanceRole }))),
      executionRoles: await exists(() => this.iam.send(new GetRoleCommand({ RoleName: n.executionRole }))),
      instanceProfiles: await exists(() => this.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: n.instanceProfile }))),
    };
    // NAT gateways in any state but deleted (one still deleting is still there), their Elastic IPs, the certificates requested.
    counts.natGateways = await this.ec2
      .send(new DescribeNatGatewaysCommand({ Filter: [...byTag, { Name: 'state', Values: ['pending', 'available', 'deleting', 'failed'] }] }))
      // moto ignores tag filters on NAT gateways: the tag is checked here.
      .then((r) => (r.NatGateways ?? []).filter((g) => g.Tags?.some((t) => t.Key === STACK_TAG && t.Value === stack)).length);
    counts.elasticIps = await this.ec2
      .send(new DescribeAddressesCommand({ Filters: byTag }))
      .then((r) => (r.Addresses ?? []).filter((a) => a.Tags?.some((t) => t.Key === STACK_TAG && t.Value === stack)).length);
    let certificates = 0;
    for (const c of (await this.acm.send(new ListCertificatesCommand({}))).CertificateSummaryList ?? []) {
      const tags = await this.acm.send(new ListTagsForCertificateCommand({ CertificateArn: c.CertificateArn }));
      if (tags.Tags?.some((t) => t.Key === STACK_TAG && t.Value === stack)) certificates++;
    }
    counts.certificates = certificates;
    if (opts.hostedZoneId) {
      const sets = (await this.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: opts.hostedZoneId }))).ResourceRecordSets ?? [];
      counts.dnsRecords = sets.filter((r) => r.Type !== 'SOA' && r.Type !== 'NS').length;
    }
    if (opts.ecrRepository) {
      counts.ecrRepositories = await exists(() => this.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [opts.ecrRepository!] })));
    }
    return counts;
  }
}

/** Kinds with more than `max` resources (default 1; subnets may have as many as the answers ask for). */
export function duplicates(counts: StackCounts, allowed: Partial<StackCounts> = {}): StackCounts {
  return Object.fromEntries(Object.entries(counts).filter(([k, v]) => v > (allowed[k] ?? 1)));
}

/**
 * Kinds with anything left. Instances are not counted: moto's DeleteAutoScalingGroup with
 * ForceDelete skips instances protected from scale-in (managed capacity providers protect them),
 * where real AWS terminates every instance of the group. The group itself is counted.
 */
export function leftovers(counts: StackCounts): StackCounts {
  return Object.fromEntries(Object.entries(counts).filter(([k, v]) => v > 0 && k !== 'instances'));
}
