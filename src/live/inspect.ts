import { ACMClient, DescribeCertificateCommand } from '@aws-sdk/client-acm';
import { GetNamespaceCommand, ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import {
  DescribeAddressesCommand,
  DescribeInternetGatewaysCommand,
  DescribeLaunchTemplatesCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { GetInstanceProfileCommand, GetRoleCommand, GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeLaunchConfigurationsCommand,
  DescribePoliciesCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  type Service,
} from '@aws-sdk/client-ecs';
import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
} from '@aws-sdk/client-application-auto-scaling';
import type { AwsClients } from '../aws/clients.js';
import { awsErrorCode, hasCode, isNotFound } from '../aws/errors.js';
import type { Outputs, ResourceRecord } from '../engine/types.js';
import { IMAGE_TAG, imageExists, repositoryImage, tagOf } from '../steps/service/ecr.js';
import { plural } from '../words.js';
import { serviceOfId } from '../steps/services.js';
import { describeServices, listContainerInstances, targetHealth } from './ecs.js';

/**
 * Live facts about the resources a state file records, gathered with a handful of batched
 * Describe calls (read-only: status never changes anything). Each resource comes back present,
 * missing, or unknown (the check itself failed, e.g. AccessDenied).
 */

export type Presence = 'present' | 'missing' | 'unknown';

export interface ResourceStatus {
  stepId: string;
  /** The recorded id / name / ARN, whatever identifies it best. */
  id: string;
  recorded: ResourceRecord['status'];
  live: Presence;
  detail?: string;
}

export interface LiveFacts {
  resources: ResourceStatus[];
  /** `zones`: each zone of an internet-facing load balancer holds a public IPv4 address. */
  loadBalancer?: { state?: string; dnsName?: string; scheme?: string; zones?: number };
  /** NAT gateways that bill (pending or available) and the stack's Elastic IPs, for what the stack costs. */
  natGateways?: { billing: number };
  elasticIps?: { count: number };
  listenerPort?: number;
  targets?: { id: string; port?: number; state?: string; reason?: string }[];
  autoScalingGroup?: { name: string; min?: number; max?: number; desired?: number; inService: number; instances: number };
  containerInstances?: { cluster: string; registered: number; active: number; ec2InstanceIds: string[] };
  service?: { name: string; status?: string; desired?: number; running?: number; pending?: number; events: { at?: string; message?: string }[] };
  capacityProvider?: { name: string; status?: string; managedScaling?: string; targetCapacity?: number };
  serviceScaling?: { minCapacity?: number; maxCapacity?: number; policies: { name?: string; type?: string; targetValue?: number }[] };
  /** The image the service runs from the stack's ECR repository, and whether it has been pushed. */
  image?: { uri: string; present: boolean };
  /**
   * The same per-service facts for every service (issue 23), keyed by the service's name in its
   * step ids (`''`: the stack's own, whose facts are also the top-level ones above).
   */
  byService?: Record<string, ServiceFacts>;
}

/** What a service's own resources say: its ECS service, targets, scaling, image, revision. */
export interface ServiceFacts {
  service?: LiveFacts['service'];
  targets?: LiveFacts['targets'];
  serviceScaling?: LiveFacts['serviceScaling'];
  image?: LiveFacts['image'];
  taskDefinition?: string;
}

type Check = (o: Outputs, into: ServiceFacts, key: string) => Promise<{ live: Presence; detail?: string }>;

const s = (v: unknown): string => String(v ?? '');
const present = (ok: boolean, detail?: string) => ({ live: (ok ? 'present' : 'missing') as Presence, detail });

/** The best human-readable identifier among a record's outputs. */
export function recordId(stepId: string, o: Outputs): string {
  const keys = ['serviceName', 'loadBalancerName', 'targetGroupName', 'autoScalingGroupName', 'clusterName', 'capacityProviderName',
    'launchTemplateName', 'launchConfigurationName', 'logGroupName', 'policyName', 'roleName', 'instanceProfileName', 'repositoryName', 'groupName', 'vpcId',
    'internetGatewayId', 'routeTableId', 'listenerArn', 'taskDefinitionArn', 'resourceId', 'namespaceName'];
  for (const k of keys) if (typeof o[k] === 'string' && o[k]) return o[k] as string;
  if (Array.isArray(o.subnetIds)) return (o.subnetIds as string[]).join(',');
  return stepId;
}

/**
 * `serviceImage`: the answers' service.image, which names the repository's tag a deploy put there
 * (`serviceImages`: the same per service, keyed as `byService`). A service's records (`service`,
 * `service:api`, …) are checked alike; the ECS services in one DescribeServices call per 10.
 */
export async function inspectLive(aws: AwsClients, records: ResourceRecord[], opts: { serviceImage?: string; serviceImages?: Record<string, string | undefined> } = {}): Promise<LiveFacts> {
  const byService: Record<string, ServiceFacts> = {};
  const facts: LiveFacts = { resources: [], byService };
  const out = (id: string): Outputs | undefined => records.find((r) => r.stepId === id)?.outputs;
  const ec2 = () => aws.get(EC2Client);
  const elb = () => aws.get(ElasticLoadBalancingV2Client);
  const asg = () => aws.get(AutoScalingClient);
  const ecs = () => aws.get(ECSClient);
  const iam = () => aws.get(IAMClient);

  // Both security groups in one call; filters (unlike GroupIds) do not fail when one is gone.
  let groups: Promise<Set<string>> | undefined;
  const groupIds = (): Promise<Set<string>> =>
    (groups ??= (async () => {
      const ids = ['alb-security-group', 'instance-security-group'].map((k) => out(k)?.groupId).filter((x): x is string => typeof x === 'string');
      const r = await ec2().send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-id', Values: ids }] }));
      return new Set((r.SecurityGroups ?? []).map((g) => g.GroupId!));
    })());

  // Every recorded ECS service, described together (DescribeServices takes 10 per call), by cluster.
  let described: Promise<Map<string, Service>> | undefined;
  const clusterOf = (o: Outputs): string => s(o.clusterName ?? out('cluster')?.clusterName);
  const services = (): Promise<Map<string, Service>> =>
    (described ??= (async () => {
      const byCluster = new Map<string, string[]>();
      for (const r of records) {
        if (serviceOfId(r.stepId)?.kind !== 'service' || typeof r.outputs.serviceName !== 'string') continue;
        byCluster.set(clusterOf(r.outputs), [...(byCluster.get(clusterOf(r.outputs)) ?? []), r.outputs.serviceName]);
      }
      const maps = await Promise.all([...byCluster].map(async ([cluster, names]) => [cluster, await describeServices(aws, cluster, names)] as const));
      return new Map(maps.flatMap(([cluster, m]) => [...m].map(([name, svc]) => [`${cluster}/${name}`, svc] as const)));
    })());

  const checks: Record<string, Check> = {
    vpc: async (o) => present(((await ec2().send(new DescribeVpcsCommand({ Filters: [{ Name: 'vpc-id', Values: [s(o.vpcId)] }] }))).Vpcs ?? []).length > 0),
    subnets: async (o) => {
      const want = (o.subnetIds as string[] | undefined) ?? [];
      const got = (await ec2().send(new DescribeSubnetsCommand({ Filters: [{ Name: 'subnet-id', Values: want }] }))).Subnets ?? [];
      return got.length === want.length ? present(true) : { live: 'missing', detail: `${want.length - got.length} of ${plural(want.length, 'subnet')} gone` };
    },
    'internet-gateway': async (o) =>
      present(((await ec2().send(new DescribeInternetGatewaysCommand({ Filters: [{ Name: 'internet-gateway-id', Values: [s(o.internetGatewayId)] }] }))).InternetGateways ?? []).length > 0),
    'route-table': async (o) =>
      present(((await ec2().send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'route-table-id', Values: [s(o.routeTableId)] }] }))).RouteTables ?? []).length > 0),
    'alb-security-group': async (o) => present((await groupIds()).has(s(o.groupId))),
    'instance-security-group': async (o) => present((await groupIds()).has(s(o.groupId))),
    'instance-role': async (o) => gone(() => iam().send(new GetRoleCommand({ RoleName: s(o.roleName) }))),
    'execution-role': async (o) => gone(() => iam().send(new GetRoleCommand({ RoleName: s(o.roleName) }))),
    'instance-profile': async (o) => gone(() => iam().send(new GetInstanceProfileCommand({ InstanceProfileName: s(o.instanceProfileName) }))),
    'secrets-policy': async (o) =>
      // No secrets, no policy: nothing to look up.
      Array.isArray(o.secretArns) && o.secretArns.length === 0
        ? present(true, 'no secrets')
        : gone(() => iam().send(new GetRolePolicyCommand({ RoleName: s(o.roleName), PolicyName: s(o.policyName) }))),
    'log-group': async (o) => {
      const r = await aws.get(CloudWatchLogsClient).send(new DescribeLogGroupsCommand({ logGroupNamePrefix: s(o.logGroupName) }));
      const group = (r.logGroups ?? []).find((g) => g.logGroupName === o.logGroupName);
      return present(group !== undefined, group?.retentionInDays ? `${plural(group.retentionInDays, 'day')} retention` : undefined);
    },
    'ecr-repository': async (o, into, key) => {
      const r = await gone(() => aws.get(ECRClient).send(new DescribeRepositoriesCommand({ repositoryNames: [s(o.repositoryName)] })));
      if (r.live !== 'present') return r;
      // The service runs <uri>:latest (or the tag a deploy recorded): until it is pushed, the service waits at 0 tasks.
      const image = repositoryImage(opts.serviceImages?.[key] ?? (key === '' ? opts.serviceImage : undefined) ?? '', s(o.repositoryUri));
      const tag = tagOf(image);
      into.image = { uri: image, present: tag === undefined || (await imageExists(aws, s(o.repositoryName), tag)) };
      return { live: 'present', detail: into.image.present ? `${tag ?? IMAGE_TAG} pushed` : `no ${tag ?? IMAGE_TAG} image yet` };
    },
    'target-group': async (o, into) => {
      const r = await gone(() => elb().send(new DescribeTargetGroupsCommand({ TargetGroupArns: [s(o.targetGroupArn)] })));
      if (r.live !== 'present') return r;
      // One DescribeTargetHealth per target group: ELB has no batch of it.
      const targets = (await targetHealth(aws, s(o.targetGroupArn))).map((t) => ({ id: t.id, port: t.port, state: t.state, reason: t.reason }));
      into.targets = targets;
      const healthy = targets.filter((t) => t.state === 'healthy').length;
      return { live: 'present', detail: `${healthy} of ${plural(targets.length, 'target')} healthy` };
    },
    'load-balancer': async (o) => {
      let lbs;
      try {
        lbs = (await elb().send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [s(o.loadBalancerArn)] }))).LoadBalancers ?? [];
      } catch (err) {
        if (isNotFound(err)) return present(false);
        throw err;
      }
      const lb = lbs[0];
      if (!lb) return present(false);
      facts.loadBalancer = { state: lb.State?.Code, dnsName: lb.DNSName, scheme: lb.Scheme, zones: (lb.AvailabilityZones ?? []).length };
      return present(true, lb.State?.Code);
    },
    listener: async (o) => {
      const r = await gone(() => elb().send(new DescribeListenersCommand({ ListenerArns: [s(o.listenerArn)] })));
      if (r.value) facts.listenerPort = r.value.Listeners?.[0]?.Port;
      return { live: r.live, detail: facts.listenerPort ? `port ${facts.listenerPort}` : undefined };
    },
    'launch-template': async (o) => {
      if (o.kind === 'configuration') {
        const r = await asg().send(new DescribeLaunchConfigurationsCommand({ LaunchConfigurationNames: [s(o.launchConfigurationName)] }));
        return present((r.LaunchConfigurations ?? []).length > 0);
      }
      const r = await gone(
        () => ec2().send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [s(o.launchTemplateId)] })),
        ['InvalidLaunchTemplateId.NotFound', 'InvalidLaunchTemplateId.Malformed'],
      );
      return { live: r.live === 'present' && (r.value?.LaunchTemplates ?? []).length === 0 ? 'missing' : r.live };
    },
    'auto-scaling-group': async (o) => {
      const name = s(o.autoScalingGroupName);
      const g = (await asg().send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))).AutoScalingGroups?.[0];
      if (!g || g.Status === 'Delete in progress') return present(false, g?.Status);
      const instances = g.Instances ?? [];
      const inService = instances.filter((i) => i.LifecycleState === 'InService').length;
      facts.autoScalingGroup = { name, min: g.MinSize, max: g.MaxSize, desired: g.DesiredCapacity, inService, instances: instances.length };
      return present(true, `${inService} of ${g.DesiredCapacity} in service`);
    },
    cluster: async (o) => {
      const cluster = s(o.clusterName);
      const c = (await ecs().send(new DescribeClustersCommand({ clusters: [cluster] }))).clusters?.[0];
      if (!c || c.status !== 'ACTIVE') return present(false, c?.status);
      const described = await listContainerInstances(aws, cluster);
      facts.containerInstances = {
        cluster,
        registered: described.length,
        active: described.filter((ci) => ci.status === 'ACTIVE' && ci.agentConnected !== false).length,
        ec2InstanceIds: described.map((ci) => s(ci.ec2InstanceId)),
      };
      return present(true, `${plural(facts.containerInstances.active, 'container instance')} active`);
    },
    'capacity-provider': async (o) => {
      // Always by name: moto answers HTTP 500 to DescribeCapacityProviders without names.
      const name = s(o.capacityProviderName);
      const cp = (await ecs().send(new DescribeCapacityProvidersCommand({ capacityProviders: [name] }))).capacityProviders?.[0];
      if (!cp || cp.status === 'INACTIVE') return present(false, cp?.status);
      const ms = cp.autoScalingGroupProvider?.managedScaling;
      facts.capacityProvider = { name, status: cp.status, managedScaling: ms?.status, targetCapacity: ms?.targetCapacity };
      return present(true, cp.status);
    },
    'asg-scaling-policy': async (o) => {
      const group = s(out('auto-scaling-group')?.autoScalingGroupName);
      const r = await asg().send(new DescribePoliciesCommand({ AutoScalingGroupName: group, PolicyNames: [s(o.policyName)] }));
      return present((r.ScalingPolicies ?? []).length > 0);
    },
    'task-definition': async (o, into) => {
      const r = await gone(() => ecs().send(new DescribeTaskDefinitionCommand({ taskDefinition: s(o.taskDefinitionArn) })), ['ClientException']);
      const st = r.value?.taskDefinition?.status;
      if (r.live === 'present') into.taskDefinition = s(o.taskDefinitionArn);
      return st && st !== 'ACTIVE' ? present(false, st) : { live: r.live };
    },
    service: async (o, into) => {
      const name = s(o.serviceName);
      const svc = (await services()).get(`${clusterOf(o)}/${name}`);
      if (!svc || svc.status !== 'ACTIVE') return present(false, svc?.status);
      into.service = {
        name,
        status: svc.status,
        desired: svc.desiredCount,
        running: svc.runningCount,
        pending: svc.pendingCount,
        events: (svc.events ?? []).slice(0, 5).map((e) => ({ at: e.createdAt?.toISOString(), message: e.message })),
      };
      return present(true, `${svc.runningCount} of ${svc.desiredCount} running`);
    },
    'private-subnets': async (o) => {
      const want = (o.subnetIds as string[] | undefined) ?? [];
      const got = (await ec2().send(new DescribeSubnetsCommand({ Filters: [{ Name: 'subnet-id', Values: want }] }))).Subnets ?? [];
      return got.length === want.length ? present(true) : { live: 'missing', detail: `${want.length - got.length} of ${want.length} private subnets gone` };
    },
    'elastic-ips': async (o) => {
      const want = (o.allocationIds as string[] | undefined) ?? [];
      const got = (await ec2().send(new DescribeAddressesCommand({ Filters: [{ Name: 'allocation-id', Values: want }] }))).Addresses ?? [];
      facts.elasticIps = { count: got.length };
      return got.length === want.length ? present(true, got.map((a) => a.PublicIp).join(', ')) : { live: 'missing', detail: `${want.length - got.length} of ${want.length} addresses released` };
    },
    'nat-gateways': async (o) => {
      const want = (o.natGatewayIds as string[] | undefined) ?? [];
      const got = ((await ec2().send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'nat-gateway-id', Values: want }] }))).NatGateways ?? []).filter((n) => n.State !== 'deleted');
      facts.natGateways = { billing: got.filter((n) => n.State === 'pending' || n.State === 'available').length };
      if (got.length < want.length) return { live: 'missing', detail: `${want.length - got.length} of ${want.length} NAT gateways gone` };
      return present(true, got.map((n) => n.State).join(', '));
    },
    'private-route-tables': async (o) => {
      const want = (o.routeTableIds as string[] | undefined) ?? [];
      const got = (await ec2().send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'route-table-id', Values: want }] }))).RouteTables ?? [];
      return present(got.length === want.length);
    },
    'service-connect-namespace': async (o) => {
      const r = await gone(() => aws.get(ServiceDiscoveryClient).send(new GetNamespaceCommand({ Id: s(o.namespaceId) })));
      return { live: r.live, detail: r.value?.Namespace?.Name };
    },
    certificate: async (o) => {
      const r = await gone(() => aws.get(ACMClient).send(new DescribeCertificateCommand({ CertificateArn: s(o.certificateArn) })));
      return { live: r.live, detail: r.value?.Certificate?.Status };
    },
    'https-listener': async (o) => {
      const r = await gone(() => elb().send(new DescribeListenersCommand({ ListenerArns: [s(o.listenerArn)] })));
      if (r.value) facts.listenerPort = r.value.Listeners?.[0]?.Port;
      return { live: r.live, detail: facts.listenerPort ? `HTTPS port ${facts.listenerPort}` : undefined };
    },
    'redirect-listener': async (o) => {
      const r = await gone(() => elb().send(new DescribeListenersCommand({ ListenerArns: [s(o.listenerArn)] })));
      return { live: r.live, detail: r.value ? 'HTTP :80 → 301 HTTPS' : undefined };
    },
    'service-scaling': async (o, into) => {
      const aas = aws.get(ApplicationAutoScalingClient);
      const resourceId = s(o.resourceId);
      const [targets, policies] = await Promise.all([
        aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [resourceId] })),
        aas.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs', ResourceId: resourceId })),
      ]);
      const t = targets.ScalableTargets?.[0];
      if (!t) return present(false);
      into.serviceScaling = {
        minCapacity: t.MinCapacity,
        maxCapacity: t.MaxCapacity,
        policies: (policies.ScalingPolicies ?? []).map((p) => ({
          name: p.PolicyName,
          type: p.PolicyType,
          targetValue: p.TargetTrackingScalingPolicyConfiguration?.TargetValue,
        })),
      };
      return present(true, `${t.MinCapacity}–${t.MaxCapacity} tasks`);
    },
  };

  facts.resources = await Promise.all(
    records.map(async (rec): Promise<ResourceStatus> => {
      const base = { stepId: rec.stepId, id: recordId(rec.stepId, rec.outputs), recorded: rec.status };
      // A service's resource is checked as its kind (`service:api` as `service`), its facts kept under its service.
      const own = serviceOfId(rec.stepId);
      const check = checks[rec.stepId] ?? (own ? checks[own.kind] : undefined);
      const key = own?.service ?? '';
      const into = (byService[key] ??= {});
      // Nothing to look up yet: the create was interrupted before AWS returned an id.
      if (!check || Object.keys(rec.outputs).length === 0) return { ...base, live: 'unknown', detail: check ? 'no id recorded' : 'not checked' };
      try {
        return { ...base, ...(await check(rec.outputs, into, key)) };
      } catch (err) {
        if (isNotFound(err)) return { ...base, live: 'missing' };
        return { ...base, live: 'unknown', detail: `check failed: ${awsErrorCode(err) ?? (err as Error).message}` };
      }
    }),
  );
  // The stack's own service's facts are the top-level ones, as before several services.
  const primary = byService[''];
  if (primary) {
    for (const k of ['service', 'targets', 'serviceScaling', 'image'] as const) if (primary[k] !== undefined) (facts as unknown as Record<string, unknown>)[k] = primary[k];
  }
  return facts;
}

/** Runs a Describe/Get that throws when the thing is gone; returns its answer when present. */
async function gone<T>(call: () => Promise<T>, extraCodes: string[] = []): Promise<{ live: Presence; value?: T }> {
  try {
    return { live: 'present', value: await call() };
  } catch (err) {
    if (isNotFound(err) || hasCode(err, ...extraCodes)) return { live: 'missing' };
    throw err;
  }
}
