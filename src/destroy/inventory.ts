import { ACMClient, DescribeCertificateCommand, ListTagsForCertificateCommand, paginateListCertificates, type CertificateSummary } from '@aws-sdk/client-acm';
import { Route53Client, type ResourceRecordSet } from '@aws-sdk/client-route-53';
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
  type Filter,
  type Tag as Ec2Tag,
} from '@aws-sdk/client-ec2';
import {
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  type DescribeTargetGroupsCommandOutput,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeLaunchConfigurationsCommand,
  DescribePoliciesCommand,
  type DescribeAutoScalingGroupsCommandOutput,
  type DescribeLaunchConfigurationsCommandOutput,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  ECSClient,
  ListServicesCommand,
} from '@aws-sdk/client-ecs';
import { GetInstanceProfileCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { DescribeRepositoriesCommand, ECRClient, ListTagsForResourceCommand } from '@aws-sdk/client-ecr';
import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { namespacesNamed, tagsOf } from '../steps/stack/service-connect-namespace.js';
import type { AwsClients } from '../aws/clients.js';
import { isNotFound, unlessNotFound } from '../aws/errors.js';
import { STACK_TAG } from '../aws/tags.js';
import type { StackNames } from '../steps/names.js';
import { serviceNames, type ServiceNames } from '../steps/services.js';
import { familyRevisions } from '../steps/service/task-definition.js';
import { isStackLoadBalancerHost, recordSet, sameRecord, zoneHolding } from '../steps/stack/dns.js';
import { isStacks } from '../steps/stack/nat-gateway.js';
import { certificatesSharingValidation, validatedName } from '../steps/stack/certificate.js';

/** Resource kinds the inventory knows, in the order a backstop cleanup deletes them. */
export const LEFTOVER_ORDER = [
  'app-scaling-policy',
  'scalable-target',
  'alarm',
  'log-group',
  'ecs-service',
  'task-definition',
  // After the ECS services, which are its clients (their Cloud Map services go with it).
  'service-connect-namespace',
  'asg-scaling-policy',
  'capacity-provider',
  'auto-scaling-group',
  // Instances a deleted group left behind (moto keeps scale-in-protected ones; AWS may lag).
  'instance',
  'launch-configuration',
  'launch-template',
  // The domain's alias and the certificate's validation records (the hosted zone itself is never touched).
  'dns-record',
  'load-balancer',
  'target-group',
  // A requested certificate: in use until the ALB's HTTPS listener is gone.
  'certificate',
  'cluster',
  'instance-profile',
  'iam-role',
  'ecr-repository',
  'security-group',
  // NAT gateways hold their Elastic IP, a public subnet and the internet gateway until deleted.
  'nat-gateway',
  'elastic-ip',
  'route-table',
  'internet-gateway',
  'subnet',
  'vpc',
] as const;

export type LeftoverType = (typeof LEFTOVER_ORDER)[number];

/** Something of the stack that exists in AWS: what it is, its id, and what deleting it needs. */
export interface Leftover {
  type: LeftoverType;
  /** The id AWS knows it by (id, ARN or name). */
  id: string;
  name?: string;
  /** Extra facts the delete needs (VPC of an SG, cluster of a service, …). */
  meta?: Record<string, string>;
}

export interface InventoryOptions {
  /** Ids never reported (an existing VPC and subnets the stack reused). */
  exclude?: ReadonlySet<string>;
  /** The stack's ECR repository name, when the answers name one (it is also found by tag). */
  ecrRepository?: string;
  /** loadBalancer.domain: its alias record and the validation records of the stack's certificate are looked for in its zone. */
  domain?: string;
  /**
   * Look at every ACM certificate of the region for the stack tag (discovery, when the domain may
   * be unknown). Otherwise only certificates for `domain` are looked at, and none without one.
   */
  allCertificates?: boolean;
  /** The stack's region (else the clients'): where, with us-east-1, certificates sharing a validation record are looked for. */
  region?: string;
  /**
   * The stack's services besides the one named after it (whose names are always looked for): their
   * task definition families, task roles, scalable targets and alarms, by their names. (Their ECS
   * services, target groups and repositories are found by cluster and tags anyway.)
   */
  services?: readonly string[];
}

/** The names of every service the inventory looks for: the primary's, then the others'. */
function everyService(names: StackNames, opts: InventoryOptions): ServiceNames[] {
  return [serviceNames(names.stack, { name: names.stack, primary: true }), ...(opts.services ?? []).filter((n) => n !== names.stack).map((n) => serviceNames(names.stack, { name: n, primary: false }))];
}

/**
 * Lists everything of the stack that still exists, by the stack tag AND by the deterministic names,
 * across every service the stack uses (the Resource Groups Tagging API misses ASGs, launch templates
 * and IAM, so each service is asked directly). Read-only.
 */
export async function listStackResources(aws: AwsClients, names: StackNames, opts: InventoryOptions = {}): Promise<Leftover[]> {
  const parts = await Promise.all([ec2Resources(aws, names), elbResources(aws, names), autoScalingResources(aws, names), ecsResources(aws, names, opts), iamResources(aws, names, opts), ecrResources(aws, names, opts.ecrRepository), scalingResources(aws, names, opts), alarmResources(aws, names, opts), logResources(aws, names), natResources(aws, names), httpsResources(aws, names, opts), namespaceResources(aws, names)]);
  const exclude = opts.exclude ?? new Set<string>();
  const seen = new Set<string>();
  const all: Leftover[] = [];
  for (const item of parts.flat()) {
    const key = `${item.type} ${item.id}`;
    if (exclude.has(item.id) || seen.has(key)) continue;
    seen.add(key);
    all.push(item);
  }
  return all.sort((a, b) => LEFTOVER_ORDER.indexOf(a.type) - LEFTOVER_ORDER.indexOf(b.type));
}

const nameTag = (tags: Ec2Tag[] | undefined): string | undefined => tags?.find((t) => t.Key === 'Name')?.Value;

/** Two EC2 filters (stack tag, deterministic Name) give the union of what is ours. */
function ec2Filters(names: StackNames, ownNames: string[]): Filter[][] {
  return [[{ Name: `tag:${STACK_TAG}`, Values: [names.stack] }], [{ Name: 'tag:Name', Values: ownNames }]];
}

async function ec2Resources(aws: AwsClients, names: StackNames): Promise<Leftover[]> {
  const ec2 = aws.get(EC2Client);
  const out: Leftover[] = [];
  const subnetNames = Array.from({ length: 6 }, (_, i) => [names.subnet(i), names.privateSubnet(i)]).flat();
  for (const Filters of ec2Filters(names, [names.vpc])) {
    for (const v of (await ec2.send(new DescribeVpcsCommand({ Filters }))).Vpcs ?? []) out.push({ type: 'vpc', id: v.VpcId!, name: nameTag(v.Tags) });
  }
  for (const Filters of ec2Filters(names, subnetNames)) {
    for (const s of (await ec2.send(new DescribeSubnetsCommand({ Filters }))).Subnets ?? []) out.push({ type: 'subnet', id: s.SubnetId!, name: nameTag(s.Tags) });
  }
  for (const Filters of ec2Filters(names, [names.internetGateway])) {
    for (const g of (await ec2.send(new DescribeInternetGatewaysCommand({ Filters }))).InternetGateways ?? []) {
      out.push({ type: 'internet-gateway', id: g.InternetGatewayId!, name: nameTag(g.Tags), meta: { vpcIds: (g.Attachments ?? []).map((a) => a.VpcId).join(',') } });
    }
  }
  for (const Filters of ec2Filters(names, [names.routeTable, ...Array.from({ length: 6 }, (_, i) => names.privateRouteTable(i))])) {
    for (const t of (await ec2.send(new DescribeRouteTablesCommand({ Filters }))).RouteTables ?? []) {
      // The VPC's main route table goes with the VPC; only ours is deleted on its own.
      if (t.Associations?.some((a) => a.Main)) continue;
      out.push({ type: 'route-table', id: t.RouteTableId!, name: nameTag(t.Tags), meta: { associationIds: (t.Associations ?? []).map((a) => a.RouteTableAssociationId).join(',') } });
    }
  }
  const sgFilters: Filter[][] = [...ec2Filters(names, [names.albSecurityGroup, names.instanceSecurityGroup]), [{ Name: 'group-name', Values: [names.albSecurityGroup, names.instanceSecurityGroup] }]];
  for (const Filters of sgFilters) {
    for (const g of (await ec2.send(new DescribeSecurityGroupsCommand({ Filters }))).SecurityGroups ?? []) {
      out.push({ type: 'security-group', id: g.GroupId!, name: g.GroupName, meta: { vpcId: g.VpcId ?? '' } });
    }
  }
  const live = { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] };
  for (const Filters of ec2Filters(names, [names.autoScalingGroup])) {
    for (const res of (await ec2.send(new DescribeInstancesCommand({ Filters: [...Filters, live] }))).Reservations ?? []) {
      for (const i of res.Instances ?? []) out.push({ type: 'instance', id: i.InstanceId!, name: nameTag(i.Tags) });
    }
  }
  let NextToken: string | undefined;
  do {
    const r = await ec2.send(new DescribeLaunchTemplatesCommand({ NextToken }));
    for (const t of r.LaunchTemplates ?? []) {
      if (t.LaunchTemplateName === names.launchTemplate || t.Tags?.some((x) => x.Key === STACK_TAG && x.Value === names.stack)) {
        out.push({ type: 'launch-template', id: t.LaunchTemplateId!, name: t.LaunchTemplateName });
      }
    }
    NextToken = r.NextToken;
  } while (NextToken);
  return out;
}

async function elbResources(aws: AwsClients, names: StackNames): Promise<Leftover[]> {
  const elb = aws.get(ElasticLoadBalancingV2Client);
  const lbs: { arn: string; name: string }[] = [];
  let Marker: string | undefined;
  do {
    const r = await elb.send(new DescribeLoadBalancersCommand({ Marker }));
    for (const lb of r.LoadBalancers ?? []) lbs.push({ arn: lb.LoadBalancerArn!, name: lb.LoadBalancerName! });
    Marker = r.NextMarker;
  } while (Marker);
  const tgs: { arn: string; name: string }[] = [];
  Marker = undefined;
  do {
    const r: DescribeTargetGroupsCommandOutput = await elb.send(new DescribeTargetGroupsCommand({ Marker }));
    for (const tg of r.TargetGroups ?? []) tgs.push({ arn: tg.TargetGroupArn!, name: tg.TargetGroupName! });
    Marker = r.NextMarker;
  } while (Marker);
  const tagged = await taggedElbArns(elb, [...lbs, ...tgs].map((x) => x.arn), names.stack);
  return [
    ...lbs.filter((lb) => lb.name === names.loadBalancer || tagged.has(lb.arn)).map((lb): Leftover => ({ type: 'load-balancer', id: lb.arn, name: lb.name })),
    ...tgs.filter((tg) => tg.name === serviceNames(names.stack, { name: names.stack, primary: true }).targetGroup || tagged.has(tg.arn)).map((tg): Leftover => ({ type: 'target-group', id: tg.arn, name: tg.name })),
  ];
}

async function taggedElbArns(elb: ElasticLoadBalancingV2Client, arns: string[], stack: string): Promise<Set<string>> {
  const tagged = new Set<string>();
  // DescribeTags takes at most 20 ARNs per call.
  for (let i = 0; i < arns.length; i += 20) {
    const r = await elb.send(new DescribeTagsCommand({ ResourceArns: arns.slice(i, i + 20) }));
    for (const d of r.TagDescriptions ?? []) if (d.Tags?.some((t) => t.Key === STACK_TAG && t.Value === stack)) tagged.add(d.ResourceArn!);
  }
  return tagged;
}

async function autoScalingResources(aws: AwsClients, names: StackNames): Promise<Leftover[]> {
  const asg = aws.get(AutoScalingClient);
  const out: Leftover[] = [];
  const groups: string[] = [];
  let NextToken: string | undefined;
  do {
    const r: DescribeAutoScalingGroupsCommandOutput = await asg.send(new DescribeAutoScalingGroupsCommand({ NextToken }));
    for (const g of r.AutoScalingGroups ?? []) {
      if (g.AutoScalingGroupName === names.autoScalingGroup || g.Tags?.some((t) => t.Key === STACK_TAG && t.Value === names.stack)) {
        groups.push(g.AutoScalingGroupName!);
        out.push({ type: 'auto-scaling-group', id: g.AutoScalingGroupName!, meta: { instances: String(g.Instances?.length ?? 0) } });
      }
    }
    NextToken = r.NextToken;
  } while (NextToken);
  NextToken = undefined;
  do {
    const r: DescribeLaunchConfigurationsCommandOutput = await asg.send(new DescribeLaunchConfigurationsCommand({ NextToken }));
    for (const c of r.LaunchConfigurations ?? []) {
      // The exact names only (launch configurations carry no tags): `<stack>-ecs-…` may be another stack's, e.g. stack "shop-ecs"'s "shop-ecs-ecs";
      // `<stack>-ecs-v2`… are the stack's own, made when the instance type changed (another stack's always end in "-ecs" or "-ecs-vN" after its own name).
      if (isOwnLaunchConfiguration(c.LaunchConfigurationName, names.launchConfiguration)) {
        out.push({ type: 'launch-configuration', id: c.LaunchConfigurationName! });
      }
    }
    NextToken = r.NextToken;
  } while (NextToken);
  for (const group of new Set([names.autoScalingGroup, ...groups])) {
    const r = await asg.send(new DescribePoliciesCommand({ AutoScalingGroupName: group }));
    for (const p of r.ScalingPolicies ?? []) out.push({ type: 'asg-scaling-policy', id: p.PolicyName!, meta: { autoScalingGroupName: group } });
  }
  return out;
}

async function ecsResources(aws: AwsClients, names: StackNames, opts: InventoryOptions): Promise<Leftover[]> {
  const ecs = aws.get(ECSClient);
  const out: Leftover[] = [];
  const clusters = await ecs.send(new DescribeClustersCommand({ clusters: [names.cluster] }));
  for (const c of clusters.clusters ?? []) {
    if (c.status !== 'ACTIVE' && c.status !== 'PROVISIONING') continue;
    out.push({ type: 'cluster', id: c.clusterName!, meta: { containerInstances: String(c.registeredContainerInstancesCount ?? 0) } });
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const r = await ecs.send(new ListServicesCommand({ cluster: names.cluster, nextToken }));
      arns.push(...(r.serviceArns ?? []));
      nextToken = r.nextToken;
    } while (nextToken);
    for (let i = 0; i < arns.length; i += 10) {
      const r = await ecs.send(new DescribeServicesCommand({ cluster: names.cluster, services: arns.slice(i, i + 10) }));
      for (const s of r.services ?? []) if (s.status !== 'INACTIVE') out.push({ type: 'ecs-service', id: s.serviceName!, meta: { cluster: names.cluster } });
    }
  }
  // Deregistered (INACTIVE) revisions too: destroy deletes them.
  for (const status of ['ACTIVE', 'INACTIVE'] as const) {
    for (const svc of everyService(names, opts)) {
      for (const arn of await familyRevisions(ecs, svc.taskFamily, status)) out.push({ type: 'task-definition', id: arn, meta: { status } });
    }
  }
  const cps = await ecs.send(new DescribeCapacityProvidersCommand({ capacityProviders: [names.capacityProvider] })).catch((err: unknown) => {
    if (isNotFound(err)) return { capacityProviders: [] };
    throw err;
  });
  // A provider being deleted (updateStatus DELETE_IN_PROGRESS) is still listed: the cleanup pass waits for it within the timeout.
  for (const cp of cps.capacityProviders ?? []) {
    if (cp.status === 'ACTIVE') out.push({ type: 'capacity-provider', id: cp.name!, meta: { cluster: names.cluster, ...(cp.updateStatus ? { updateStatus: cp.updateStatus } : {}) } });
  }
  return out;
}

async function iamResources(aws: AwsClients, names: StackNames, opts: InventoryOptions): Promise<Leftover[]> {
  const iam = aws.get(IAMClient);
  const out: Leftover[] = [];
  for (const roleName of [names.instanceRole, names.executionRole]) {
    const r = await unlessNotFound(() => iam.send(new GetRoleCommand({ RoleName: roleName })));
    if (r?.Role) out.push({ type: 'iam-role', id: roleName });
  }
  // The task roles the stack made (taskRolePolicies), by their tag: a role of that name the user brought is not the stack's.
  for (const { taskRole } of everyService(names, opts)) {
    const task = await unlessNotFound(() => iam.send(new GetRoleCommand({ RoleName: taskRole })));
    if (task?.Role?.Tags?.some((t) => t.Key === STACK_TAG && t.Value === names.stack)) out.push({ type: 'iam-role', id: taskRole });
  }
  const p = await unlessNotFound(() => iam.send(new GetInstanceProfileCommand({ InstanceProfileName: names.instanceProfile })));
  if (p?.InstanceProfile) out.push({ type: 'instance-profile', id: names.instanceProfile, meta: { roles: (p.InstanceProfile.Roles ?? []).map((r) => r.RoleName).join(',') } });
  return out;
}

async function ecrResources(aws: AwsClients, names: StackNames, repository?: string): Promise<Leftover[]> {
  const ecr = aws.get(ECRClient);
  const out: Leftover[] = [];
  let nextToken: string | undefined;
  do {
    const r = await ecr.send(new DescribeRepositoriesCommand({ nextToken }));
    for (const repo of r.repositories ?? []) {
      const tags = await ecr.send(new ListTagsForResourceCommand({ resourceArn: repo.repositoryArn! }));
      // Only a repository we created carries the stack tag: an existing one named in the answers is the user's.
      if (tags.tags?.some((t) => t.Key === STACK_TAG && t.Value === names.stack)) out.push({ type: 'ecr-repository', id: repo.repositoryName!, meta: { named: String(repo.repositoryName === repository) } });
    }
    nextToken = r.nextToken;
  } while (nextToken);
  return out;
}

function serviceResourceId(names: StackNames, svc: ServiceNames): string {
  return `service/${names.cluster}/${svc.service}`;
}

async function scalingResources(aws: AwsClients, names: StackNames, opts: InventoryOptions): Promise<Leftover[]> {
  const aas = aws.get(ApplicationAutoScalingClient);
  const out: Leftover[] = [];
  for (const svc of everyService(names, opts)) {
    const ResourceId = serviceResourceId(names, svc);
    const t = await aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [ResourceId] }));
    for (const st of t.ScalableTargets ?? []) out.push({ type: 'scalable-target', id: st.ResourceId!, meta: { dimension: st.ScalableDimension! } });
    const p = await aas.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs', ResourceId }));
    for (const sp of p.ScalingPolicies ?? []) out.push({ type: 'app-scaling-policy', id: sp.PolicyName!, meta: { resourceId: sp.ResourceId!, dimension: sp.ScalableDimension! } });
  }
  return out;
}

/**
 * Target-tracking policies own CloudWatch alarms named `TargetTracking-<resource>-AlarmHigh-<id>`
 * (or AlarmLow): the resource's exact name up to the suffix, so another stack's never matches.
 */
export function alarmPrefixes(names: StackNames, opts: InventoryOptions = {}): string[] {
  return [...everyService(names, opts).map((svc) => serviceResourceId(names, svc)), names.autoScalingGroup].flatMap((resource) => [`TargetTracking-${resource}-AlarmHigh-`, `TargetTracking-${resource}-AlarmLow-`]);
}

async function alarmResources(aws: AwsClients, names: StackNames, opts: InventoryOptions): Promise<Leftover[]> {
  const cw = aws.get(CloudWatchClient);
  const out: Leftover[] = [];
  for (const AlarmNamePrefix of alarmPrefixes(names, opts)) {
    let NextToken: string | undefined;
    do {
      const r = await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix, NextToken }));
      for (const a of r.MetricAlarms ?? []) out.push({ type: 'alarm', id: a.AlarmName! });
      NextToken = r.NextToken;
    } while (NextToken);
  }
  return out;
}

/**
 * The stack's Service Connect namespace: the HTTP namespace of its name (the name checked here
 * too: filters may be ignored) that carries the stack tag. One of that name without the tag is
 * someone else's: never listed.
 */
async function namespaceResources(aws: AwsClients, names: StackNames): Promise<Leftover[]> {
  const sd = aws.get(ServiceDiscoveryClient);
  const out: Leftover[] = [];
  for (const ns of await namespacesNamed(sd, names.namespace)) {
    if (!ns.Arn || !ns.Id) continue;
    if ((await tagsOf(sd, ns.Arn))?.some((t) => t.Key === STACK_TAG && t.Value === names.stack)) out.push({ type: 'service-connect-namespace', id: ns.Id, name: ns.Name });
  }
  return out;
}

/** The container's CloudWatch Logs group, by its exact name (the API matches by prefix). */
async function logResources(aws: AwsClients, names: StackNames): Promise<Leftover[]> {
  const logs = aws.get(CloudWatchLogsClient);
  const out: Leftover[] = [];
  let nextToken: string | undefined;
  do {
    const r = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: names.logGroup, nextToken }));
    for (const g of r.logGroups ?? []) if (g.logGroupName === names.logGroup) out.push({ type: 'log-group', id: g.logGroupName });
    nextToken = r.nextToken;
  } while (nextToken);
  return out;
}

/**
 * NAT gateways (any state but deleted: one still deleting is not gone yet) and Elastic IPs of the
 * stack, by the stack tag.
 */
async function natResources(aws: AwsClients, names: StackNames): Promise<Leftover[]> {
  const ec2 = aws.get(EC2Client);
  const byTag = [{ Name: `tag:${STACK_TAG}`, Values: [names.stack] }];
  const out: Leftover[] = [];
  let NextToken: string | undefined;
  do {
    const r = await ec2.send(new DescribeNatGatewaysCommand({ Filter: [...byTag, { Name: 'state', Values: ['pending', 'available', 'deleting', 'failed'] }], NextToken }));
    // Checked again here: the tag filter alone must never let someone else's gateway through.
    for (const n of r.NatGateways ?? []) if (isStacks(n, names.stack)) out.push({ type: 'nat-gateway', id: n.NatGatewayId!, name: nameTag(n.Tags), meta: { state: n.State ?? '' } });
    NextToken = r.NextToken;
  } while (NextToken);
  for (const a of (await ec2.send(new DescribeAddressesCommand({ Filters: byTag }))).Addresses ?? []) {
    if (!a.Tags?.some((t) => t.Key === STACK_TAG && t.Value === names.stack)) continue;
    out.push({ type: 'elastic-ip', id: a.AllocationId!, name: nameTag(a.Tags), meta: { publicIp: a.PublicIp ?? '' } });
  }
  return out;
}

/**
 * The certificates ecs-wizard requested for the stack (by the stack tag), and in the zone holding
 * the domain: its alias to the stack's ALB, and the validation records of those certificates that
 * no other certificate of the account shares (of any key type, in the stack's region or
 * us-east-1: certificatesSharingValidation). Hosted zones and certificates without the tag are the
 * user's: never listed.
 */
async function httpsResources(aws: AwsClients, names: StackNames, opts: InventoryOptions): Promise<Leftover[]> {
  if (!opts.domain && !opts.allCertificates) return [];
  const acm = aws.get(ACMClient);
  const out: Leftover[] = [];
  const all: CertificateSummary[] = [];
  for await (const page of paginateListCertificates({ client: acm }, {})) all.push(...(page.CertificateSummaryList ?? []));
  const ours: CertificateSummary[] = [];
  for (const c of all) {
    if (!opts.allCertificates && c.DomainName !== opts.domain) continue;
    const tags = await unlessNotFound(() => acm.send(new ListTagsForCertificateCommand({ CertificateArn: c.CertificateArn })));
    if (tags?.Tags?.some((t) => t.Key === STACK_TAG && t.Value === names.stack)) ours.push(c);
  }
  for (const c of ours) out.push({ type: 'certificate', id: c.CertificateArn!, name: c.DomainName });
  if (!opts.domain) return out;
  const route53 = aws.get(Route53Client);
  const { zone } = await zoneHolding(route53, opts.domain);
  if (!zone?.Id) return out;
  const hostedZoneId = zone.Id.replace('/hostedzone/', '');
  const record = (set: ResourceRecordSet): Leftover => ({
    type: 'dns-record',
    id: `${hostedZoneId}:${set.Name}${set.Type}`,
    name: `${set.Type} ${set.Name}`,
    meta: { hostedZoneId, recordName: set.Name!, recordType: set.Type! },
  });
  const alias = await recordSet(route53, hostedZoneId, opts.domain, 'A');
  if (alias?.AliasTarget && isStackLoadBalancerHost(alias.AliasTarget.DNSName, names.loadBalancer)) out.push(record(alias));
  const details = await Promise.all(ours.map((c) => unlessNotFound(() => acm.send(new DescribeCertificateCommand({ CertificateArn: c.CertificateArn })))));
  const options = details.flatMap((d) => d?.Certificate?.DomainValidationOptions ?? []);
  if (!options.length) return out;
  // A record another certificate of the account is validated with (any region, any key type) is not the stack's to delete.
  const region = opts.region ?? (await acm.config.region());
  const shared = await certificatesSharingValidation(aws, region, names.stack, options.map((o) => o.DomainName ?? ''), new Set(ours.map((c) => c.CertificateArn!)));
  for (const o of options) {
    const rr = o.ResourceRecord;
    if (!rr?.Name || !rr.Value || shared.has(validatedName(o.DomainName ?? ''))) continue;
    const set = await recordSet(route53, hostedZoneId, rr.Name, rr.Type ?? 'CNAME');
    if (set && sameRecord(set, { name: rr.Name, type: rr.Type ?? 'CNAME', values: [rr.Value] })) out.push(record(set));
  }
  return out;
}

/** One line per leftover, for reports. */
export function describeLeftover(item: Leftover): string {
  return `${item.type} ${item.id}${item.name && item.name !== item.id ? ` (${item.name})` : ''}`;
}

/** `<base>` or `<base>-v<N>`: the names launch-configuration.ts gives the stack's launch configurations. */
export function isOwnLaunchConfiguration(name: string | undefined, base: string): boolean {
  return name === base || (name !== undefined && name.startsWith(`${base}-v`) && /^\d+$/.test(name.slice(base.length + 2)));
}
