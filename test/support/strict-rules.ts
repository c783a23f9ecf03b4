import { ACMClient, DescribeCertificateCommand } from '@aws-sdk/client-acm';
import { DescribeInstancesCommand, DescribeNatGatewaysCommand, DescribeSubnetsCommand, EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  DeregisterContainerInstanceCommand,
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  ECSClient,
  ListClustersCommand,
  ListContainerInstancesCommand,
  type CapacityProvider,
  type ServiceConnectConfiguration,
} from '@aws-sdk/client-ecs';
import { DescribeListenersCommand, DescribeLoadBalancersCommand, DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateServiceLinkedRoleCommand, IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { CreateServiceCommand, GetServiceCommand, ListServicesCommand, ListTagsForResourceCommand, ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { fakeRequestId, wireError, wireJson, wireXml, type WireResponse } from './aws-wire.js';
import type { AwsRequest, Rule, StrictAws } from './strict-aws.js';
import { US_EAST_1_PRODUCTS, getProducts } from './price-list.js';

/**
 * The strict-AWS profile: what a real account answers where moto is lenient, as rules for the
 * strict-AWS proxy (test/support/strict-aws.ts). Each rule answers in its protocol's wire format
 * and has a name (RULE), so a test asserts that the behaviour it claims to cover really happened.
 * Rules that depend on the world look at moto first (ctx.upstream) — whether a provider is still
 * attached, whether instances with public addresses are still in the VPC — and the ones about
 * "just created" learn the new ids from the answers the proxy saw (StrictAws.observe).
 *
 *   const profile = strictProfile(aws, { n: 1 });
 *   aws.rules(profile.rules);                       // everything, or profile.only(RULE.sgNotYet)
 *   … run …
 *   expect(aws.fired(RULE.sgNotYet)).toBeGreaterThan(0);
 *   profile.close();
 */
export const RULE = {
  // 1. Eventual consistency right after a create
  sgNotYet: 'ec2-sg-not-yet',
  sgSourceNotYet: 'ec2-sg-source-not-yet',
  routeNotYet: 'ec2-route-table-not-yet-create-route',
  associationNotYet: 'ec2-route-table-not-yet-associate',
  igwNotYet: 'ec2-igw-not-yet',
  // 2. ECS's service-linked role in a fresh account
  slrCluster: 'ecs-slr-create-cluster',
  slrCapacityProvider: 'ecs-slr-create-capacity-provider',
  slrService: 'ecs-slr-create-service',
  slrTaken: 'iam-slr-taken',
  // 3. Application Auto Scaling
  scalableTargetNotYet: 'aas-scalable-target-not-yet',
  // 8. Capacity provider deletion
  cpDeleteFailed: 'ecs-cp-delete-failed',
  cpDeleteInProgress: 'ecs-cp-delete-in-progress',
  // 9. Instance launches
  launchTransient: 'asg-launch-transient',
  launchFailed: 'asg-launch-failed',
  // 14 (issue 22). EC2 not yet showing an instance its group has just launched
  instanceNotYet: 'ec2-instance-not-yet',
  // What every stack meets
  albProvisioning: 'elb-alb-provisioning',
  sgDependency: 'ec2-sg-dependency-violation',
  subnetDependency: 'ec2-subnet-dependency-violation',
  igwMappedAddresses: 'ec2-igw-mapped-addresses',
  asgForceDelete: 'asg-force-delete-terminates',
  targetGroupInUse: 'elb-target-group-in-use',
  clusterHasInstances: 'ecs-cluster-contains-instances',
  /** Not a rule: the proxy's `throttleReads` option (STRICT_THROTTLE_READS). */
  throttleReads: 'throttle-reads',
} as const;

/** The share of read calls a busy account throttles. */
export const STRICT_THROTTLE_READS = 0.05;

/** Launch failures as Auto Scaling reports them in an activity's StatusMessage. */
export const LAUNCH_FAILURE = {
  vcpuLimit:
    'You have requested more vCPU capacity than your current vCPU limit of 0 allows for the instance bucket that the specified instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit. Launching EC2 instance failed.',
  unsupported: 'The requested configuration is currently not supported. Please check the documentation for supported configurations. Launching EC2 instance failed.',
  architecture:
    "The architecture 'arm64' of the specified instance type does not match the architecture 'x86_64' of the specified AMI. Specify an instance type and an AMI that have matching architectures, and try again. You can use 'describe-instance-types' or 'describe-images' to discover the architecture of the instance type or AMI. Launching EC2 instance failed.",
  capacity:
    'We currently do not have sufficient t3.small capacity in the Availability Zone you requested (us-east-1a). Our system will be working on provisioning additional capacity. You can currently get t3.small capacity by not specifying an Availability Zone in your request or choosing us-east-1b, us-east-1c. Launching EC2 instance failed.',
} as const;

export interface StrictOptions {
  /** How many times each "right after" rule answers per resource (default 1). */
  n?: number;
  /**
   * ECS makes AWSServiceRoleForECS itself on first use, as AWS does for a caller allowed
   * iam:CreateServiceLinkedRole (default true). With false the role stays missing until someone
   * calls CreateServiceLinkedRole — an account where it was deleted, or ECS could not make it.
   */
  ecsCreatesRole?: boolean;
  /** A permanent launch failure (LAUNCH_FAILURE.*) reported while `active()` holds. */
  launchFailure?: { message: string; active: () => boolean };
  /** How many DescribeScalingActivities answers of a new group show a passing capacity shortage (default n). */
  transientLaunchFailures?: number;
}

export interface StrictProfile {
  rules: Rule[];
  /** Every behaviour name the profile can fire, throttling included. */
  names: string[];
  /** The rules with these names only. */
  only(...names: string[]): Rule[];
  /** Destroys the clients the rules use to look at moto. */
  close(): void;
}

const ECS_SLR_PATH = '/aws-service-role/ecs.amazonaws.com/';

/** The first <tag>value</tag> of an XML answer. */
const xmlValue = (body: string, tag: string): string | undefined => new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(body)?.[1];

/** Query-protocol list parameters (`Prefix.1`, `Prefix.member.1`, `IpPermissions.1.Groups.1.GroupId` …) matching a pattern. */
const paramValues = (req: AwsRequest, key: RegExp): string[] => [...req.params.entries()].filter(([k]) => key.test(k)).map(([, v]) => v);

export function strictProfile(aws: StrictAws, opts: StrictOptions = {}): StrictProfile {
  const n = opts.n ?? 1;
  const transient = opts.transientLaunchFailures ?? n;
  const ecsCreatesRole = opts.ecsCreatesRole ?? true;
  const cfg = { region: 'us-east-1', endpoint: aws.upstream, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 3 };
  const clients = { ec2: new EC2Client(cfg), asg: new AutoScalingClient(cfg), ecs: new ECSClient(cfg), elb: new ElasticLoadBalancingV2Client(cfg), iam: new IAMClient(cfg) };

  // What the proxy saw: ids a create returned, providers whose delete went through, …
  const created = new Set<string>();
  const deleting = new Map<string, { provider: CapacityProvider; describesLeft: number }>();
  const attachedTo = new Map<string, string>();
  const activities = new Map<string, string[]>();
  /** Instances of each group the proxy has listed, and those that joined a group after the proxy first saw it (just launched). */
  const members = new Map<string, Set<string>>();
  const launched = new Set<string>();
  /** Container instances whose agent lost its way to ECS: private hosts still running when their VPC's NAT gateway was deleted. */
  const disconnected = new Set<string>();
  const losingRoute: Promise<void>[] = [];
  let routeLookFailed: unknown;
  aws.observe((req, answer) => {
    if (answer.status !== 200) return;
    if (req.operation === 'DescribeAutoScalingGroups' && req.params.has('AutoScalingGroupNames.member.1') && !req.params.has('AutoScalingGroupNames.member.2')) {
      // One group asked for: every instance in the answer is one of its members.
      const group = req.params.get('AutoScalingGroupNames.member.1')!;
      const ids = [...answer.body.matchAll(/<InstanceId>([^<]+)<\/InstanceId>/g)].map((m) => m[1]!);
      const known = members.get(group);
      for (const id of ids) if (known ? !known.has(id) : created.has(group)) launched.add(id);
      members.set(group, new Set([...(known ?? []), ...ids]));
    }
    // Kept, and rethrown by the DeleteCluster rule: a broken rule must fail the test, not look like AWS.
    if (req.operation === 'DeleteNatGateway') losingRoute.push(agentsLoseRoute(req.params.get('NatGatewayId') ?? '').catch((e: unknown) => void (routeLookFailed ??= e)));
    if (req.operation === 'CreateSecurityGroup') created.add(xmlValue(answer.body, 'groupId') ?? '');
    if (req.operation === 'CreateRouteTable') created.add(xmlValue(answer.body, 'routeTableId') ?? '');
    if (req.operation === 'CreateInternetGateway') created.add(xmlValue(answer.body, 'internetGatewayId') ?? '');
    if (req.operation === 'CreateLoadBalancer') created.add(xmlValue(answer.body, 'LoadBalancerArn') ?? '');
    if (req.operation === 'CreateAutoScalingGroup') created.add(req.params.get('AutoScalingGroupName') ?? '');
    if (req.operation === 'RegisterScalableTarget') created.add(String(req.json?.ResourceId));
    if (req.operation === 'PutClusterCapacityProviders') {
      for (const p of (req.json?.capacityProviders as string[] | undefined) ?? []) attachedTo.set(p, String(req.json?.cluster));
    }
    if (req.operation === 'DeleteCapacityProvider' && !answer.headers['x-amzn-errortype']) {
      const provider = (JSON.parse(answer.body) as { capacityProvider?: CapacityProvider }).capacityProvider;
      if (provider?.name && provider.updateStatus !== 'DELETE_FAILED') deleting.set(provider.name, { provider, describesLeft: n });
    }
  });

  /**
   * A NAT gateway's delete cuts the private hosts of its VPC off from ECS at once (AWS: "deleting" stops
   * traffic), while the hosts take minutes to terminate: their agents disconnect first.
   */
  async function agentsLoseRoute(natId: string): Promise<void> {
    const nat = (await clients.ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'nat-gateway-id', Values: [natId] }] }))).NatGateways?.[0];
    if (!nat?.VpcId) return;
    for (const cluster of (await clients.ecs.send(new ListClustersCommand({}))).clusterArns ?? []) {
      const arns = (await clients.ecs.send(new ListContainerInstancesCommand({ cluster }))).containerInstanceArns ?? [];
      const cis = arns.length ? ((await clients.ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: arns }))).containerInstances ?? []) : [];
      const ids = cis.map((c) => c.ec2InstanceId!).filter(Boolean);
      if (!ids.length) continue;
      const r = await clients.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: ids }] }));
      const cutOff = new Set(
        (r.Reservations ?? [])
          .flatMap((x) => x.Instances ?? [])
          .filter((i) => i.State?.Name !== 'terminated' && i.VpcId === nat.VpcId && !i.PublicIpAddress)
          .map((i) => i.InstanceId!),
      );
      for (const c of cis) if (cutOff.has(c.ec2InstanceId ?? '')) disconnected.add(c.containerInstanceArn!);
    }
  }

  /** Counts answers per rule and resource: true while `rule` has answered fewer than `max` times for `key`. */
  const counts = new Map<string, number>();
  const budget = (rule: string, key: string, max = n): boolean => {
    const k = `${rule} ${key}`;
    const c = counts.get(k) ?? 0;
    if (c >= max) return false;
    counts.set(k, c + 1);
    return true;
  };

  const ecsRoleExists = async (): Promise<boolean> => ((await clients.iam.send(new ListRolesCommand({ PathPrefix: ECS_SLR_PATH }))).Roles ?? []).length > 0;

  /** EC2 NotFound for a fresh id, for the first n calls naming it. */
  const notYet = (name: string, operation: string, idOf: (req: AwsRequest) => string[], code: string, message: (id: string) => string): Rule => ({
    name,
    service: 'ec2',
    operation,
    respond: async (req) => {
      const id = idOf(req).find((i) => created.has(i) && budget(name, i));
      return id ? wireError('ec2', code, message(id)) : undefined;
    },
  });

  /** ECS refusing a create while its service-linked role is missing, and for the first n calls after it appears. */
  const slr = (name: string, operation: string): Rule => ({
    name,
    service: 'ecs',
    operation,
    respond: async () => {
      const exists = await ecsRoleExists();
      if (!exists && ecsCreatesRole) await clients.iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'ecs.amazonaws.com' }));
      if (exists && !budget(name, operation)) return undefined;
      return wireError('ecs', 'InvalidParameterException', 'Unable to assume the service linked role. Please verify that the ECS service linked role exists.');
    },
  });

  /** A launch activity as Auto Scaling lists it. */
  const activity = (group: string, status: 'Failed' | 'InProgress', message?: string): string => {
    const now = new Date().toISOString();
    return (
      `<member><ActivityId>${fakeRequestId()}</ActivityId><AutoScalingGroupName>${group}</AutoScalingGroupName>` +
      `<Description>Launching a new EC2 instance${status === 'Failed' ? '.  Status Reason: ' + message!.replace(/&/g, '&amp;').replace(/</g, '&lt;') : ''}</Description>` +
      `<Cause>At ${now} an instance was started in response to a difference between desired and actual capacity.</Cause>` +
      `<StartTime>${now}</StartTime>${status === 'Failed' ? `<EndTime>${now}</EndTime>` : ''}<StatusCode>${status}</StatusCode>` +
      `${message ? `<StatusMessage>${message.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</StatusMessage>` : ''}<Progress>${status === 'Failed' ? 100 : 30}</Progress></member>`
    );
  };
  const activitiesAnswer = (group: string, add: string): WireResponse => {
    // AWS keeps the history, newest first: every retry of a failed launch is one more activity.
    const list = [add, ...(activities.get(group) ?? [])];
    activities.set(group, list);
    return wireXml(
      `<DescribeScalingActivitiesResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><DescribeScalingActivitiesResult><Activities>${list.join('')}</Activities></DescribeScalingActivitiesResult><ResponseMetadata><RequestId>${fakeRequestId()}</RequestId></ResponseMetadata></DescribeScalingActivitiesResponse>`,
    );
  };
  const groupOf = (req: AwsRequest): string | undefined => req.params.get('AutoScalingGroupName') ?? req.params.get('AutoScalingGroupNames.member.1') ?? undefined;

  const rules: Rule[] = [
    notYet(RULE.sgNotYet, 'AuthorizeSecurityGroupIngress', (r) => [r.params.get('GroupId') ?? ''], 'InvalidGroup.NotFound', (id) => `The security group '${id}' does not exist`),
    notYet(RULE.sgSourceNotYet, 'AuthorizeSecurityGroupIngress', (r) => paramValues(r, /^IpPermissions\.\d+\.Groups\.\d+\.GroupId$/), 'InvalidGroup.NotFound', (id) => `The security group '${id}' does not exist`),
    notYet(RULE.routeNotYet, 'CreateRoute', (r) => [r.params.get('RouteTableId') ?? ''], 'InvalidRouteTableID.NotFound', (id) => `The routeTable ID '${id}' does not exist`),
    notYet(RULE.associationNotYet, 'AssociateRouteTable', (r) => [r.params.get('RouteTableId') ?? ''], 'InvalidRouteTableID.NotFound', (id) => `The routeTable ID '${id}' does not exist`),
    notYet(RULE.igwNotYet, 'AttachInternetGateway', (r) => [r.params.get('InternetGatewayId') ?? ''], 'InvalidInternetGatewayID.NotFound', (id) => `The internetGateway ID '${id}' does not exist`),

    slr(RULE.slrCluster, 'CreateCluster'),
    slr(RULE.slrCapacityProvider, 'CreateCapacityProvider'),
    slr(RULE.slrService, 'CreateService'),
    {
      // moto answers EntityAlreadyExists (and names the role AWSServiceRoleForecs); AWS says the name is taken.
      name: RULE.slrTaken,
      service: 'iam',
      operation: 'CreateServiceLinkedRole',
      respond: async (req) =>
        req.params.get('AWSServiceName') === 'ecs.amazonaws.com' && (await ecsRoleExists())
          ? wireError('iam', 'InvalidInput', 'Service role name AWSServiceRoleForECS has been taken in this account, please try a different suffix.')
          : undefined,
    },

    {
      name: RULE.scalableTargetNotYet,
      service: 'application-autoscaling',
      operation: 'PutScalingPolicy',
      respond: async (req) => {
        const id = String(req.json?.ResourceId);
        if (!created.has(id) || !budget(RULE.scalableTargetNotYet, id)) return undefined;
        return wireError('application-autoscaling', 'ObjectNotFoundException', `No scalable target registered for service namespace: ${String(req.json?.ServiceNamespace)}, resource ID: ${id}, scalable dimension: ${String(req.json?.ScalableDimension)}`);
      },
    },

    {
      // AWS raises no error: it answers SUCCESS with updateStatus DELETE_FAILED and keeps the provider,
      // while it is attached to a cluster — and for the first n deletes after a detach, which settles late.
      name: RULE.cpDeleteFailed,
      service: 'ecs',
      operation: 'DeleteCapacityProvider',
      respond: async (req) => {
        const name = String(req.json?.capacityProvider);
        const arns = (await clients.ecs.send(new ListClustersCommand({}))).clusterArns ?? [];
        const clusters = arns.length ? ((await clients.ecs.send(new DescribeClustersCommand({ clusters: arns }))).clusters ?? []) : [];
        const cluster = clusters.find((c) => c.status === 'ACTIVE' && c.capacityProviders?.includes(name))?.clusterName ?? (budget(RULE.cpDeleteFailed, name) ? attachedTo.get(name) : undefined);
        if (!cluster) return undefined;
        const provider = (await clients.ecs.send(new DescribeCapacityProvidersCommand({ capacityProviders: [name] }))).capacityProviders?.[0];
        if (!provider) return undefined;
        const updateStatusReason = `The capacity provider cannot be deleted because it is associated with cluster: ${cluster}. Remove the capacity provider from the cluster and try again.`;
        return wireJson('ecs', { capacityProvider: { ...provider, updateStatus: 'DELETE_FAILED', updateStatusReason } });
      },
    },
    {
      // moto forgets a deleted provider at once; AWS lists it as DELETE_IN_PROGRESS for a while.
      name: RULE.cpDeleteInProgress,
      service: 'ecs',
      operation: 'DescribeCapacityProviders',
      respond: async (req, ctx) => {
        const names = ((req.json?.capacityProviders as string[] | undefined) ?? []).filter((x) => (deleting.get(x)?.describesLeft ?? 0) > 0);
        if (!names.length) return undefined;
        const moto = JSON.parse((await ctx.forward()).body) as { capacityProviders?: CapacityProvider[]; failures?: { arn?: string }[] };
        for (const x of names) {
          const d = deleting.get(x)!;
          d.describesLeft--;
          moto.capacityProviders = [...(moto.capacityProviders ?? []).filter((p) => p.name !== x), { ...d.provider, status: 'ACTIVE', updateStatus: 'DELETE_IN_PROGRESS' }];
          moto.failures = (moto.failures ?? []).filter((f) => !f.arn?.endsWith(x));
        }
        return wireJson('ecs', moto);
      },
    },

    {
      // A new group whose launches meet a passing capacity shortage: instances pending, a failed activity.
      name: RULE.launchTransient,
      service: 'autoscaling',
      operation: /^Describe(AutoScalingGroups|ScalingActivities)$/,
      respond: async (req, ctx) => {
        const group = groupOf(req);
        if (!group || !created.has(group) || (counts.get(`${RULE.launchTransient} ${group}`) ?? 0) >= transient) return undefined;
        if (req.operation === 'DescribeScalingActivities') {
          budget(RULE.launchTransient, group, transient);
          return activitiesAnswer(group, activity(group, 'Failed', LAUNCH_FAILURE.capacity));
        }
        const moto = await ctx.forward();
        return { ...moto, body: moto.body.replace(/<LifecycleState>InService<\/LifecycleState>/g, '<LifecycleState>Pending</LifecycleState>') };
      },
    },
    {
      // A permanent failure: no instance ever launches, each retry adds a failed activity.
      name: RULE.launchFailed,
      service: 'autoscaling',
      operation: /^Describe(AutoScalingGroups|ScalingActivities)$/,
      respond: async (req, ctx) => {
        const group = groupOf(req);
        if (!group || !opts.launchFailure?.active()) return undefined;
        if (req.operation === 'DescribeScalingActivities') return activitiesAnswer(group, activity(group, 'Failed', opts.launchFailure.message));
        const moto = await ctx.forward();
        return { ...moto, body: moto.body.replace(/<Instances>[\s\S]*?<\/Instances>/g, '<Instances/>') };
      },
    },

    {
      // EC2 is eventually consistent: an instance a group has just launched is unknown to the first n
      // DescribeInstances naming it. By id, the whole call fails (one unknown id is enough); by an
      // instance-id filter, the answer leaves it out.
      name: RULE.instanceNotYet,
      service: 'ec2',
      operation: 'DescribeInstances',
      respond: async (req, ctx) => {
        const byId = paramValues(req, /^InstanceId\.\d+$/);
        const filter = [...req.params.entries()].find(([k, v]) => /^Filter\.\d+\.Name$/.test(k) && v === 'instance-id')?.[0].replace(/Name$/, 'Value.');
        const named = filter ? paramValues(req, new RegExp(`^${filter.replace(/\./g, '\\.')}\\d+$`)) : byId;
        const hidden = named.filter((id) => launched.has(id) && budget(RULE.instanceNotYet, id));
        if (!hidden.length) return undefined;
        if (!filter) {
          const quoted = hidden.join(', ');
          return wireError('ec2', 'InvalidInstanceID.NotFound', hidden.length === 1 ? `The instance ID '${quoted}' does not exist` : `The instance IDs '${quoted}' do not exist`);
        }
        // moto, asked for the other ids only (or for none: an empty answer).
        const shown = named.filter((id) => !hidden.includes(id));
        if (!shown.length) return wireXml(`<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${fakeRequestId()}</requestId><reservationSet/></DescribeInstancesResponse>`);
        const params = new URLSearchParams([...req.params].filter(([k]) => !k.startsWith(filter)));
        shown.forEach((id, k) => params.set(`${filter}${k + 1}`, id));
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'content-length' && k !== 'host'));
        const r = await fetch(`${ctx.upstream}${req.path}`, { method: 'POST', headers, body: params.toString() });
        return { status: r.status, headers: { 'content-type': r.headers.get('content-type') ?? 'text/xml' }, body: await r.text() };
      },
    },

    {
      name: RULE.albProvisioning,
      service: 'elasticloadbalancing',
      operation: 'DescribeLoadBalancers',
      respond: async (req, ctx) => {
        const arn = req.params.get('LoadBalancerArns.member.1');
        if (!arn || !created.has(arn) || !budget(RULE.albProvisioning, arn)) return undefined;
        const moto = await ctx.forward();
        return { ...moto, body: moto.body.replace(/<State>\s*<Code>active<\/Code>/g, '<State><Code>provisioning</Code>') };
      },
    },
    {
      name: RULE.sgDependency,
      service: 'ec2',
      operation: 'DeleteSecurityGroup',
      respond: async (req) => {
        const id = req.params.get('GroupId') ?? '';
        return budget(RULE.sgDependency, id) ? wireError('ec2', 'DependencyViolation', `resource ${id} has a dependent object`) : undefined;
      },
    },
    {
      name: RULE.subnetDependency,
      service: 'ec2',
      operation: 'DeleteSubnet',
      respond: async (req) => {
        const id = req.params.get('SubnetId') ?? '';
        return budget(RULE.subnetDependency, id) ? wireError('ec2', 'DependencyViolation', `The subnet '${id}' has dependencies and cannot be deleted.`) : undefined;
      },
    },
    {
      // Refused while instances with public addresses are in the VPC, and for the first n detaches (addresses unmap late).
      name: RULE.igwMappedAddresses,
      service: 'ec2',
      operation: 'DetachInternetGateway',
      respond: async (req) => {
        const vpcId = req.params.get('VpcId') ?? '';
        const r = await clients.ec2.send(
          new DescribeInstancesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }, { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'shutting-down'] }] }),
        );
        const mapped = (r.Reservations ?? []).flatMap((x) => x.Instances ?? []).some((i) => i.PublicIpAddress);
        if (!mapped && !budget(RULE.igwMappedAddresses, req.params.get('InternetGatewayId') ?? '')) return undefined;
        return wireError('ec2', 'DependencyViolation', `Network ${vpcId} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`);
      },
    },
    {
      // ForceDelete terminates every instance of the group on AWS; moto keeps those protected from scale-in.
      name: RULE.asgForceDelete,
      service: 'autoscaling',
      operation: 'DeleteAutoScalingGroup',
      respond: async (req, ctx) => {
        if (req.params.get('ForceDelete') !== 'true') return undefined;
        const group = req.params.get('AutoScalingGroupName') ?? '';
        const g = (await clients.asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] }))).AutoScalingGroups?.[0];
        const answer = await ctx.forward();
        const ids = (g?.Instances ?? []).map((i) => i.InstanceId!).filter(Boolean);
        if (answer.status === 200 && ids.length) await clients.ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }));
        return answer;
      },
    },
    {
      name: RULE.targetGroupInUse,
      service: 'elasticloadbalancing',
      operation: 'DeleteTargetGroup',
      respond: async (req) => {
        const arn = req.params.get('TargetGroupArn') ?? '';
        const tg = await clients.elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [arn] })).then((r) => r.TargetGroups?.[0], () => undefined);
        if (!tg) return undefined;
        // moto keeps the ARNs of deleted load balancers on the group: only live ones count.
        const live = new Set(((await clients.elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? []).map((lb) => lb.LoadBalancerArn));
        const inUse = (tg.LoadBalancerArns ?? []).some((lb) => live.has(lb));
        if (!inUse && !budget(RULE.targetGroupInUse, arn)) return undefined;
        return wireError('elasticloadbalancing', 'ResourceInUse', `Target group '${arn}' is currently in use by a listener or a rule`);
      },
    },
    {
      // ECS deregisters the container instance of a terminated instance by itself — unless its agent had
      // disconnected before ("instances with disconnected agents aren't automatically deregistered when
      // terminated"): that one keeps the cluster, as the live ones do, until it is deregistered with force.
      name: RULE.clusterHasInstances,
      service: 'ecs',
      operation: 'DeleteCluster',
      respond: async (req) => {
        await Promise.all(losingRoute);
        if (routeLookFailed) throw routeLookFailed;
        const cluster = String(req.json?.cluster);
        const arns = await clients.ecs.send(new ListContainerInstancesCommand({ cluster })).then((r) => r.containerInstanceArns ?? [], () => []);
        const cis = arns.length ? ((await clients.ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: arns }))).containerInstances ?? []) : [];
        const ids = cis.map((c) => c.ec2InstanceId!).filter(Boolean);
        const live = new Set<string>();
        if (ids.length) {
          const r = await clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
          for (const i of (r.Reservations ?? []).flatMap((x) => x.Instances ?? [])) if (i.State?.Name !== 'terminated') live.add(i.InstanceId!);
        }
        const stranded = cis.filter((c) => !live.has(c.ec2InstanceId ?? '') && disconnected.has(c.containerInstanceArn!));
        for (const c of cis) {
          if (!live.has(c.ec2InstanceId ?? '') && !stranded.includes(c)) await clients.ecs.send(new DeregisterContainerInstanceCommand({ cluster, containerInstance: c.containerInstanceArn, force: true }));
        }
        if (live.size === 0 && stranded.length === 0 && !budget(RULE.clusterHasInstances, cluster)) return undefined;
        return wireError('ecs', 'ClusterContainsContainerInstancesException', 'The Cluster cannot be deleted while Container Instances are active or draining.');
      },
    },
  ];
  const names = [...rules.map((r) => r.name), RULE.throttleReads];
  return {
    rules,
    names,
    only: (...wanted) => rules.filter((r) => wanted.includes(r.name)),
    close: () => Object.values(clients).forEach((c) => c.destroy()),
  };
}

/**
 * Issue 16's strict-AWS profile: NAT gateways, Elastic IPs and ACM as a real account shows them,
 * where moto is quick or lenient. Its own profile, so the headline test's "every rule fired" stays
 * about the default stack.
 *
 *   const production = productionProfile(aws, { n: 1 });
 *   aws.rules(production.rules);
 */
export const RULE_PRODUCTION = {
  /** CreateNatGateway right after AllocateAddress: the new allocation is not visible yet. */
  eipNotYet: 'ec2-eip-not-yet-create-nat',
  /** CreateRoute to a NAT gateway just created: InvalidNatGatewayID.NotFound (boto3 issue 779). */
  natNotYet: 'ec2-nat-not-yet-create-route',
  /** A new NAT gateway is pending for a while (a minute or two on AWS; moto: available at once). */
  natPending: 'ec2-nat-pending',
  /** A deleted NAT gateway is "deleting" for a while before "deleted" (moto: deleted at once). */
  natDeleting: 'ec2-nat-deleting',
  /**
   * ReleaseAddress while the NAT gateway holding the address is not deleted: AuthFailure ("You do not
   * have permission to access the specified resource": the address is on the gateway's interface, AWS's own).
   */
  eipInUse: 'ec2-eip-in-use',
  /** ReleaseAddress right after its NAT gateway reports deleted: AuthFailure, then InvalidNetworkInterfaceID.NotFound, n times each. */
  eipReleaseLag: 'ec2-eip-release-lag',
  /** DetachInternetGateway while a NAT gateway of the VPC maps its public address. */
  igwNatMapped: 'ec2-igw-nat-mapped',
  /** DeleteSubnet of the subnet holding a NAT gateway's network interface, until it is deleted. */
  natSubnetInUse: 'ec2-subnet-nat-in-use',
  /** DescribeCertificate right after RequestCertificate: DomainValidationOptions without ResourceRecord yet. */
  acmRecordLate: 'acm-validation-record-late',
  /** DeleteCertificate while a listener uses the certificate, and for the first n deletes after (ACM lags). */
  acmInUse: 'acm-certificate-in-use',
  /**
   * ListCertificates lists only RSA_1024 and RSA_2048 certificates unless Includes.keyTypes asks for
   * others (moto lists every one, and makes every one RSA_2048): a certificate requested with another
   * KeyAlgorithm is that, and listed only when asked for.
   */
  acmKeyTypes: 'acm-list-rsa-only-by-default',
  /** Opt-in (ProductionOptions.certificateNeverValidates): ACM never sees the validation record. */
  acmNeverValidates: 'acm-never-validates',
  /** CreateListener/ModifyListener with a certificate not ISSUED: UnsupportedCertificate (its misleading message included). */
  elbCertificateNotIssued: 'elb-certificate-not-issued',
  /** CreateListener right after ACM issued a certificate: ELB does not see it yet (CertificateNotFound). */
  elbCertificateNotFoundYet: 'elb-certificate-not-found-yet',
} as const;

export interface ProductionOptions {
  /** Answers per resource for the "right after" and "still going" rules (default 1). */
  n?: number;
  /** Describes of a deleted NAT gateway that still show it deleting (default 3). */
  natDeletingDescribes?: number;
  /** While this holds, every certificate stays PENDING_VALIDATION. */
  certificateNeverValidates?: () => boolean;
}

export function productionProfile(aws: StrictAws, opts: ProductionOptions = {}): StrictProfile {
  const n = opts.n ?? 1;
  const deletingDescribes = opts.natDeletingDescribes ?? 3;
  const cfg = { region: 'us-east-1', endpoint: aws.upstream, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 3 };
  const clients = { ec2: new EC2Client(cfg), elb: new ElasticLoadBalancingV2Client(cfg), acm: new ACMClient(cfg) };
  const created = new Set<string>();
  /** NAT gateway → its allocation and subnet, as the create asked, and its network interface. */
  const nats = new Map<string, { allocationId: string; subnetId: string; networkInterfaceId: string }>();
  /** Deleted NAT gateways (moto: at once) still deleting for this many describes. */
  const deletingLeft = new Map<string, number>();
  /** Certificates requested with a KeyAlgorithm (moto ignores it). */
  const keyAlgorithms = new Map<string, string>();
  aws.observe((req, answer) => {
    if (answer.status !== 200) return;
    if (req.operation === 'AllocateAddress') created.add(xmlValue(answer.body, 'allocationId') ?? '');
    if (req.operation === 'CreateNatGateway') {
      const id = xmlValue(answer.body, 'natGatewayId') ?? '';
      created.add(id);
      nats.set(id, { allocationId: req.params.get('AllocationId') ?? '', subnetId: req.params.get('SubnetId') ?? '', networkInterfaceId: xmlValue(answer.body, 'networkInterfaceId') ?? 'eni-0123456789abcdef0' });
    }
    if (req.operation === 'DeleteNatGateway') deletingLeft.set(req.params.get('NatGatewayId') ?? '', deletingDescribes);
    if (req.operation === 'RequestCertificate') {
      const arn = String((JSON.parse(answer.body) as { CertificateArn?: string }).CertificateArn);
      created.add(arn);
      if (typeof req.json?.KeyAlgorithm === 'string') keyAlgorithms.set(arn, req.json.KeyAlgorithm);
    }
  });
  const counts = new Map<string, number>();
  const budget = (rule: string, key: string, max = n): boolean => {
    const k = `${rule} ${key}`;
    const c = counts.get(k) ?? 0;
    if (c >= max) return false;
    counts.set(k, c + 1);
    return true;
  };
  /** A NAT gateway that is there on AWS: moto's state is not deleted, or the rule still shows it deleting. */
  const natHolds = async (id: string): Promise<boolean> => {
    if ((deletingLeft.get(id) ?? 0) > 0) return true;
    const r = await clients.ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'nat-gateway-id', Values: [id] }] }));
    return (r.NatGateways ?? []).some((g) => g.State !== 'deleted');
  };
  const holding = async (match: (nat: { allocationId: string; subnetId: string; networkInterfaceId: string }) => boolean): Promise<string | undefined> => {
    for (const [id, nat] of nats) if (match(nat) && (await natHolds(id))) return id;
    return undefined;
  };

  const rules: Rule[] = [
    {
      name: RULE_PRODUCTION.eipNotYet,
      service: 'ec2',
      operation: 'CreateNatGateway',
      respond: async (req) => {
        const id = req.params.get('AllocationId') ?? '';
        return created.has(id) && budget(RULE_PRODUCTION.eipNotYet, id) ? wireError('ec2', 'InvalidAllocationID.NotFound', `The allocation ID '${id}' does not exist`) : undefined;
      },
    },
    {
      name: RULE_PRODUCTION.natNotYet,
      service: 'ec2',
      operation: 'CreateRoute',
      respond: async (req) => {
        const id = req.params.get('NatGatewayId') ?? '';
        return created.has(id) && budget(RULE_PRODUCTION.natNotYet, id) ? wireError('ec2', 'InvalidNatGatewayID.NotFound', `The natGateway ID '${id}' does not exist`) : undefined;
      },
    },
    {
      name: RULE_PRODUCTION.natPending,
      service: 'ec2',
      operation: 'DescribeNatGateways',
      respond: async (req, ctx) => {
        const moto = await ctx.forward();
        const ids = [...moto.body.matchAll(/<natGatewayId>([^<]+)<\/natGatewayId>/g)].map((m) => m[1]!).filter((id) => created.has(id) && !deletingLeft.has(id));
        const pending = ids.filter((id) => budget(RULE_PRODUCTION.natPending, id, n + 1));
        if (!pending.length) return undefined;
        return { ...moto, body: rewriteNatStates(moto.body, pending, 'available', 'pending') };
      },
    },
    {
      name: RULE_PRODUCTION.natDeleting,
      service: 'ec2',
      operation: 'DescribeNatGateways',
      respond: async (req, ctx) => {
        const moto = await ctx.forward();
        const ids = [...moto.body.matchAll(/<natGatewayId>([^<]+)<\/natGatewayId>/g)].map((m) => m[1]!).filter((id) => (deletingLeft.get(id) ?? 0) > 0);
        if (!ids.length) return undefined;
        for (const id of ids) deletingLeft.set(id, deletingLeft.get(id)! - 1);
        return { ...moto, body: rewriteNatStates(moto.body, ids, 'deleted', 'deleting') };
      },
    },
    {
      name: RULE_PRODUCTION.eipInUse,
      service: 'ec2',
      operation: 'ReleaseAddress',
      respond: async (req) => {
        const id = req.params.get('AllocationId') ?? '';
        return (await holding((nat) => nat.allocationId === id)) ? wireError('ec2', 'AuthFailure', 'You do not have permission to access the specified resource.') : undefined;
      },
    },
    {
      name: RULE_PRODUCTION.eipReleaseLag,
      service: 'ec2',
      operation: 'ReleaseAddress',
      respond: async (req) => {
        const id = req.params.get('AllocationId') ?? '';
        const [natId, nat] = [...nats].find(([, x]) => x.allocationId === id) ?? [];
        // Only once the gateway that held it is deleted (before, eipInUse answers).
        if (!natId || !nat || (await natHolds(natId))) return undefined;
        if (budget(`${RULE_PRODUCTION.eipReleaseLag} AuthFailure`, id)) return wireError('ec2', 'AuthFailure', 'You do not have permission to access the specified resource.');
        if (budget(`${RULE_PRODUCTION.eipReleaseLag} eni`, id)) return wireError('ec2', 'InvalidNetworkInterfaceID.NotFound', `The networkInterface ID '${nat.networkInterfaceId}' does not exist`);
        return undefined;
      },
    },
    {
      name: RULE_PRODUCTION.igwNatMapped,
      service: 'ec2',
      operation: 'DetachInternetGateway',
      respond: async (req) => {
        const vpcId = req.params.get('VpcId') ?? '';
        const subnets = new Set(((await clients.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).Subnets ?? []).map((s) => s.SubnetId!));
        if (!(await holding((nat) => subnets.has(nat.subnetId)))) return undefined;
        return wireError('ec2', 'DependencyViolation', `Network ${vpcId} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`);
      },
    },
    {
      name: RULE_PRODUCTION.natSubnetInUse,
      service: 'ec2',
      operation: 'DeleteSubnet',
      respond: async (req) => {
        const id = req.params.get('SubnetId') ?? '';
        return (await holding((nat) => nat.subnetId === id)) ? wireError('ec2', 'DependencyViolation', `The subnet '${id}' has dependencies and cannot be deleted.`) : undefined;
      },
    },
    {
      name: RULE_PRODUCTION.acmRecordLate,
      service: 'acm',
      operation: 'DescribeCertificate',
      respond: async (req, ctx) => {
        const arn = String(req.json?.CertificateArn);
        if (!created.has(arn) || !budget(RULE_PRODUCTION.acmRecordLate, arn)) return undefined;
        const moto = await ctx.forward();
        const doc = JSON.parse(moto.body) as { Certificate?: { DomainValidationOptions?: { ResourceRecord?: unknown }[] } };
        for (const o of doc.Certificate?.DomainValidationOptions ?? []) delete o.ResourceRecord;
        return wireJson('acm', doc);
      },
    },
    {
      name: RULE_PRODUCTION.acmKeyTypes,
      service: 'acm',
      operation: 'ListCertificates',
      respond: async (req, ctx) => {
        if (keyAlgorithms.size === 0) return undefined;
        const moto = await ctx.forward();
        const doc = JSON.parse(moto.body) as { CertificateSummaryList?: { CertificateArn?: string; KeyAlgorithm?: string }[] };
        const asked = ((req.json?.Includes as { keyTypes?: string[] } | undefined)?.keyTypes ?? ['RSA_1024', 'RSA_2048']).flatMap((k) => k.split(','));
        const list = doc.CertificateSummaryList ?? [];
        if (!list.some((c) => keyAlgorithms.has(c.CertificateArn ?? ''))) return undefined;
        doc.CertificateSummaryList = list
          .map((c) => ({ ...c, KeyAlgorithm: keyAlgorithms.get(c.CertificateArn ?? '') ?? c.KeyAlgorithm }))
          .filter((c) => asked.includes(c.KeyAlgorithm ?? 'RSA_2048'));
        return wireJson('acm', doc);
      },
    },
    {
      name: RULE_PRODUCTION.acmNeverValidates,
      service: 'acm',
      operation: 'DescribeCertificate',
      respond: async (req, ctx) => {
        if (!opts.certificateNeverValidates?.()) return undefined;
        const moto = await ctx.forward();
        const doc = JSON.parse(moto.body) as { Certificate?: { Status?: string; DomainValidationOptions?: { ValidationStatus?: string }[] } };
        if (!doc.Certificate) return undefined;
        doc.Certificate.Status = 'PENDING_VALIDATION';
        for (const o of doc.Certificate.DomainValidationOptions ?? []) o.ValidationStatus = 'PENDING_VALIDATION';
        return wireJson('acm', doc);
      },
    },
    {
      name: RULE_PRODUCTION.elbCertificateNotIssued,
      service: 'elasticloadbalancing',
      operation: /^(CreateListener|ModifyListener)$/,
      respond: async (req) => {
        const arn = req.params.get('Certificates.member.1.CertificateArn');
        if (!arn) return undefined;
        const status = await clients.acm.send(new DescribeCertificateCommand({ CertificateArn: arn })).then((r) => r.Certificate?.Status, () => undefined);
        if (status === 'ISSUED' && !opts.certificateNeverValidates?.()) return undefined;
        return wireError('elasticloadbalancing', 'UnsupportedCertificate', `The certificate '${arn}' must have a fully-qualified domain name, a supported signature, and a supported key size.`);
      },
    },
    {
      name: RULE_PRODUCTION.elbCertificateNotFoundYet,
      service: 'elasticloadbalancing',
      operation: 'CreateListener',
      respond: async (req) => {
        const arn = req.params.get('Certificates.member.1.CertificateArn') ?? '';
        return created.has(arn) && budget(RULE_PRODUCTION.elbCertificateNotFoundYet, arn) ? wireError('elasticloadbalancing', 'CertificateNotFound', `Certificate '${arn}' not found`) : undefined;
      },
    },
    {
      name: RULE_PRODUCTION.acmInUse,
      service: 'acm',
      operation: 'DeleteCertificate',
      respond: async (req) => {
        const arn = String(req.json?.CertificateArn);
        const cert = await clients.acm.send(new DescribeCertificateCommand({ CertificateArn: arn })).then((r) => r.Certificate, () => undefined);
        if (!cert) return undefined;
        // moto keeps InUseBy after the listener goes: only listeners that still exist count.
        let used = false;
        for (const listener of cert.InUseBy ?? []) {
          used ||= await clients.elb.send(new DescribeListenersCommand({ ListenerArns: [listener] })).then((r) => (r.Listeners ?? []).length > 0, () => false);
        }
        if (!used && !budget(RULE_PRODUCTION.acmInUse, arn)) return undefined;
        return wireError('acm', 'ResourceInUseException', `Certificate ${arn} in account 123456789012 is in use.`);
      },
    },
  ];
  return {
    rules,
    names: rules.map((r) => r.name),
    only: (...wanted) => rules.filter((r) => wanted.includes(r.name)),
    close: () => Object.values(clients).forEach((c) => c.destroy()),
  };
}

/**
 * NAT gateways in a DescribeNatGateways answer, `from` state → `to` state, for these ids only: the
 * first <state> after each id, never past the next gateway (addresses nest their own items).
 */
function rewriteNatStates(body: string, ids: string[], from: string, to: string): string {
  return ids.reduce(
    (b, id) => b.replace(new RegExp(`(<natGatewayId>${id}</natGatewayId>(?:(?!<natGatewayId>)[\\s\\S])*?<state>)${from}(</state>)`), `$1${to}$2`),
    body,
  );
}

/**
 * The Price List Query API as AWS answers it (moto answers every call HTTP 500): GetProducts over
 * a catalogue of products in AWS's own shape (test/support/price-list.ts), filtered as the API
 * filters. Its own rule, outside the profiles: a test that wants the API's prices adds it.
 */
export const RULE_PRICES = {
  getProducts: 'pricing-get-products',
} as const;

export function priceListRule(catalogue: string[] = US_EAST_1_PRODUCTS): Rule {
  return {
    name: RULE_PRICES.getProducts,
    service: 'pricing',
    operation: 'GetProducts',
    respond: async (req) => wireJson('pricing', getProducts(catalogue, (req.json ?? {}) as Parameters<typeof getProducts>[1])),
  };
}

/**
 * ECS Service Connect and AWS Cloud Map as AWS runs them, where moto does not (issue 23,
 * `discovery: true`). moto's Cloud Map finishes every operation at once, lets a namespace with
 * services in it go, and deletes a service with instances; moto's ECS takes a service's
 * serviceConnectConfiguration and forgets it (DescribeServices never shows it), and makes no Cloud
 * Map service for a discovery name. These rules answer as AWS does:
 */
export const RULE_SERVICE_CONNECT = {
  /** A Cloud Map operation (a namespace made or deleted) is PENDING the first time it is asked for, then as moto says (SUCCESS). */
  operationPending: 'sd-operation-pending',
  /**
   * CreateService / UpdateService with Service Connect serving a discovery name: ECS makes the Cloud
   * Map service for it in the namespace (tagged AmazonECSManaged), and keeps it after the ECS service goes.
   */
  ecsMakesCloudMapService: 'ecs-service-connect-cloud-map-service',
  /** DescribeServices shows the serviceConnectConfiguration each service was created or last updated with, on its PRIMARY deployment. */
  ecsShowsConfiguration: 'ecs-service-connect-configuration',
  /** DeleteService of a Cloud Map service ECS made: ResourceInUse the first time (instances still registered while its tasks stop). */
  serviceHasInstances: 'sd-service-has-instances',
  /** DeleteNamespace while a Cloud Map service is still in the namespace: ResourceInUse. */
  namespaceInUse: 'sd-namespace-in-use',
} as const;

export function serviceConnectProfile(aws: StrictAws): StrictProfile {
  const cfg = { region: 'us-east-1', endpoint: aws.upstream, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 3 };
  const sd = new ServiceDiscoveryClient(cfg);
  /** The configuration ECS was last given per `<cluster>/<service>`. */
  const configs = new Map<string, ServiceConnectConfiguration>();
  const operationsAsked = new Set<string>();
  const refusedOnce = new Set<string>();
  const clusterName = (c: unknown): string => String(c ?? 'default').split('/').pop()!;
  aws.observe((req, answer) => {
    if (answer.status !== 200 || req.service !== 'ecs' || !['CreateService', 'UpdateService'].includes(req.operation)) return;
    const config = req.json?.serviceConnectConfiguration as ServiceConnectConfiguration | undefined;
    if (!config) return;
    const name = String(req.operation === 'CreateService' ? req.json?.serviceName : req.json?.service).split('/').pop();
    configs.set(`${clusterName(req.json?.cluster)}/${name}`, config);
  });
  const servicesIn = async (namespaceId: string): Promise<string[]> => {
    const ids: string[] = [];
    for (const s of (await sd.send(new ListServicesCommand({}))).Services ?? []) {
      const full = await sd.send(new GetServiceCommand({ Id: s.Id })).catch(() => undefined);
      if (full?.Service?.NamespaceId === namespaceId) ids.push(s.Id!);
    }
    return ids;
  };
  const rules: Rule[] = [
    {
      name: RULE_SERVICE_CONNECT.operationPending,
      service: 'servicediscovery',
      operation: 'GetOperation',
      respond: async (req, ctx) => {
        const id = String(req.json?.OperationId);
        if (operationsAsked.has(id)) return undefined;
        operationsAsked.add(id);
        const answer = await ctx.forward();
        if (answer.status !== 200) return answer;
        const body = JSON.parse(answer.body) as { Operation: { Status?: string; Targets?: unknown } };
        return wireJson('servicediscovery', { Operation: { ...body.Operation, Status: 'PENDING', Targets: undefined } });
      },
    },
    {
      name: RULE_SERVICE_CONNECT.ecsMakesCloudMapService,
      service: 'ecs',
      operation: /^(CreateService|UpdateService)$/,
      respond: async (req, ctx) => {
        const config = req.json?.serviceConnectConfiguration as ServiceConnectConfiguration | undefined;
        const serving = config?.enabled ? (config.services ?? []) : [];
        if (!serving.length) return undefined;
        const answer = await ctx.forward();
        if (answer.status !== 200) return answer;
        const namespaceId = String(config!.namespace).split('/').pop()!;
        const existing = new Set(await servicesIn(namespaceId).then((ids) => Promise.all(ids.map(async (Id) => (await sd.send(new GetServiceCommand({ Id }))).Service?.Name))));
        for (const s of serving) {
          const Name = s.discoveryName ?? s.portName;
          if (existing.has(Name)) continue;
          await sd.send(new CreateServiceCommand({ Name, NamespaceId: namespaceId, Type: 'HTTP', Tags: [{ Key: 'AmazonECSManaged', Value: 'true' }] }));
        }
        return answer;
      },
    },
    {
      name: RULE_SERVICE_CONNECT.ecsShowsConfiguration,
      service: 'ecs',
      operation: 'DescribeServices',
      respond: async (_req, ctx) => {
        if (!configs.size) return undefined;
        const answer = await ctx.forward();
        if (answer.status !== 200) return answer;
        const body = JSON.parse(answer.body) as { services?: { serviceName?: string; clusterArn?: string; deployments?: { status?: string; serviceConnectConfiguration?: unknown }[] }[] };
        let shown = false;
        for (const s of body.services ?? []) {
          const config = configs.get(`${clusterName(s.clusterArn)}/${s.serviceName}`);
          const primary = s.deployments?.find((d) => d.status === 'PRIMARY');
          if (!config || !primary) continue;
          primary.serviceConnectConfiguration = config;
          shown = true;
        }
        return shown ? wireJson('ecs', body) : answer;
      },
    },
    {
      name: RULE_SERVICE_CONNECT.serviceHasInstances,
      service: 'servicediscovery',
      operation: 'DeleteService',
      respond: async (req) => {
        const id = String(req.json?.Id);
        if (refusedOnce.has(id)) return undefined;
        const svc = await sd.send(new GetServiceCommand({ Id: id })).catch(() => undefined);
        const tags = svc?.Service?.Arn ? (await sd.send(new ListTagsForResourceCommand({ ResourceARN: svc.Service.Arn }))).Tags ?? [] : [];
        if (!tags.some((t) => t.Key === 'AmazonECSManaged')) return undefined;
        refusedOnce.add(id);
        return wireError('servicediscovery', 'ResourceInUse', 'Service contains registered instances; delete the instances before deleting the service');
      },
    },
    {
      name: RULE_SERVICE_CONNECT.namespaceInUse,
      service: 'servicediscovery',
      operation: 'DeleteNamespace',
      respond: async (req) => ((await servicesIn(String(req.json?.Id))).length ? wireError('servicediscovery', 'ResourceInUse', 'Namespace has associated services') : undefined),
    },
  ];
  return {
    rules,
    names: rules.map((r) => r.name),
    only: (...wanted) => rules.filter((r) => wanted.includes(r.name)),
    close: () => sd.destroy(),
  };
}
