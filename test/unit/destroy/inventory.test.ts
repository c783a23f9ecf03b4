import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
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
} from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand, DescribeTagsCommand, DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, DescribeLaunchConfigurationsCommand, DescribePoliciesCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeCapacityProvidersCommand, DescribeClustersCommand, DescribeServicesCommand, ECSClient, ListServicesCommand, ListTaskDefinitionsCommand } from '@aws-sdk/client-ecs';
import { GetInstanceProfileCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { DescribeRepositoriesCommand, ECRClient, ListTagsForResourceCommand } from '@aws-sdk/client-ecr';
import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand, DescribeScalingPoliciesCommand } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { ACMClient, DescribeCertificateCommand, ListCertificatesCommand, ListTagsForCertificateCommand } from '@aws-sdk/client-acm';
import { ListHostedZonesByNameCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { ListNamespacesCommand, ListTagsForResourceCommand as ListNamespaceTagsCommand, ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { AwsClients } from '../../../src/aws/clients.js';
import { alarmPrefixes, describeLeftover, listStackResources, type Leftover } from '../../../src/destroy/inventory.js';
import { stackNames } from '../../../src/steps/names.js';
import { sdkError } from '../../support/aws-wire.js';
import { oneServiceNames } from '../../support/service-steps.js';

/**
 * The inventory a destroy, discover and status share: every kind of resource of a stack, found by
 * the stack tag AND by the deterministic names, across pages and batches, and nothing else. AWS is
 * scripted answer by answer; the expected listing is written out by hand.
 */

// The SDK's own errors, made before the clients are mocked (sdkError sends through a real client).
const roleGone = await sdkError(IAMClient, GetRoleCommand, 'NoSuchEntity', 'The role cannot be found.', { status: 404 });
const profileGone = await sdkError(IAMClient, GetInstanceProfileCommand, 'NoSuchEntity', 'The instance profile cannot be found.', { status: 404 });
const clusterGone = await sdkError(ECSClient, DescribeCapacityProvidersCommand, 'ClusterNotFoundException', 'Cluster not found.');
const denied = await sdkError(ECSClient, DescribeCapacityProvidersCommand, 'AccessDeniedException', 'not authorized');
const certGone = await sdkError(ACMClient, ListTagsForCertificateCommand, 'ResourceNotFoundException', 'Could not find certificate');

const ec2 = mockClient(EC2Client);
const elb = mockClient(ElasticLoadBalancingV2Client);
const asg = mockClient(AutoScalingClient);
const ecs = mockClient(ECSClient);
const iam = mockClient(IAMClient);
const ecr = mockClient(ECRClient);
const aas = mockClient(ApplicationAutoScalingClient);
const cw = mockClient(CloudWatchClient);
const logs = mockClient(CloudWatchLogsClient);
const sd = mockClient(ServiceDiscoveryClient);
// One type for all ten, for the loops that script or reset every client alike.
const all = [ec2, elb, asg, ecs, iam, ecr, aas, cw, logs, sd] as unknown as { onAnyCommand(): { resolves(v: object): unknown }; reset(): void; restore(): void }[];
afterEach(() => all.forEach((m) => m.reset()));
afterAll(() => all.forEach((m) => m.restore()));

const names = oneServiceNames('shop');
const STACK_TAG = { Key: 'ecs-wizard:stack', Value: 'shop' };
const OTHER_TAG = { Key: 'ecs-wizard:stack', Value: 'shop-two' };
const byTag = (f: Filter[] | undefined): boolean => f?.some((x) => x.Name === 'tag:ecs-wizard:stack' && x.Values?.includes('shop')) ?? false;
const byName = (f: Filter[] | undefined, name: string): boolean => f?.some((x) => x.Name === 'tag:Name' && x.Values?.includes(name)) ?? false;
const arn = (kind: string, id: string): string => `arn:aws:elasticloadbalancing:us-east-1:123456789012:${kind}/${id}`;

const TEAM_TAG = { Key: 'team', Value: 'web' };
const inputOf = <T>(m: { commandCalls(c: unknown): { args: [{ input: T }] }[] }, c: unknown): T[] => m.commandCalls(c).map((x) => x.args[0].input);

/**
 * A whole stack as AWS would list it, with neighbours of another stack and lookalike names mixed
 * in. Each answer checks what it was asked (a wrong question gets an empty answer, with its list
 * field left out as AWS does), and each kind has something found only by the tag and something
 * found only by the name.
 */
function scriptStack(): void {
  ec2.on(DescribeVpcsCommand).callsFake(async ({ Filters }) =>
    byTag(Filters) ? { Vpcs: [{ VpcId: 'vpc-1', Tags: [STACK_TAG, { Key: 'Name', Value: names.vpc }] }] } : byName(Filters, names.vpc) ? { Vpcs: [{ VpcId: 'vpc-1' }, { VpcId: 'vpc-2' }] } : {},
  );
  ec2.on(DescribeSubnetsCommand).callsFake(async ({ Filters }) =>
    byTag(Filters) ? { Subnets: [{ SubnetId: 'subnet-1' }] } : byName(Filters, names.subnet(5)) && byName(Filters, names.subnet(0)) ? { Subnets: [{ SubnetId: 'subnet-6' }] } : {},
  );
  ec2.on(DescribeInternetGatewaysCommand).callsFake(async ({ Filters }) =>
    byTag(Filters)
      ? { InternetGateways: [{ InternetGatewayId: 'igw-1', Attachments: [{ VpcId: 'vpc-1' }, { VpcId: 'vpc-2' }] }] }
      : byName(Filters, names.internetGateway)
        ? { InternetGateways: [{ InternetGatewayId: 'igw-2' }] }
        : {},
  );
  ec2.on(DescribeRouteTablesCommand).callsFake(async ({ Filters }) =>
    byTag(Filters)
      ? {
          RouteTables: [
            // The VPC's main table goes with the VPC: never listed on its own.
            { RouteTableId: 'rtb-main', Associations: [{ Main: false, RouteTableAssociationId: 'rtbassoc-0' }, { Main: true }] },
            { RouteTableId: 'rtb-1', Associations: [{ Main: false, RouteTableAssociationId: 'rtbassoc-1' }, { RouteTableAssociationId: 'rtbassoc-2' }] },
          ],
        }
      : byName(Filters, names.routeTable)
        ? { RouteTables: [{ RouteTableId: 'rtb-2' }] }
        : {},
  );
  ec2.on(DescribeSecurityGroupsCommand).callsFake(async ({ Filters }) =>
    Filters?.some((f: Filter) => f.Name === 'group-name' && f.Values?.includes(names.albSecurityGroup) && f.Values.includes(names.instanceSecurityGroup))
      ? { SecurityGroups: [{ GroupId: 'sg-2', GroupName: names.instanceSecurityGroup, VpcId: 'vpc-1' }] }
      : byTag(Filters)
        ? { SecurityGroups: [{ GroupId: 'sg-1', GroupName: names.albSecurityGroup, VpcId: 'vpc-1' }] }
        : byName(Filters, names.albSecurityGroup) && byName(Filters, names.instanceSecurityGroup)
          ? { SecurityGroups: [{ GroupId: 'sg-3', GroupName: 'renamed' }] }
          : {},
  );
  ec2.on(DescribeInstancesCommand).callsFake(async ({ Filters }) => {
    const live = Filters?.find((f: Filter) => f.Name === 'instance-state-name')?.Values ?? [];
    if (!['pending', 'running', 'stopping', 'stopped'].every((s) => live.includes(s))) return {};
    if (byTag(Filters)) return { Reservations: [{ Instances: [{ InstanceId: 'i-1', Tags: [STACK_TAG, { Key: 'Name', Value: 'shop-ecs' }] }, { InstanceId: 'i-2' }] }, {}] };
    return byName(Filters, names.autoScalingGroup) ? { Reservations: [{ Instances: [{ InstanceId: 'i-3' }] }] } : {};
  });
  // NAT gateways: every state but deleted, across pages, and the tag checked again (one that
  // slipped through the filter with another stack's tag is not ours).
  const natStates = (f: Filter[] | undefined): boolean => ['pending', 'available', 'deleting', 'failed'].every((s) => f?.find((x) => x.Name === 'state')?.Values?.includes(s));
  ec2
    .on(DescribeNatGatewaysCommand)
    .callsFake(async ({ Filter, NextToken }) =>
      !byTag(Filter) || !natStates(Filter)
        ? {}
        : NextToken === 'n2'
          ? { NatGateways: [{ NatGatewayId: 'nat-2', State: 'deleting', Tags: [STACK_TAG] }] }
          : { NatGateways: [{ NatGatewayId: 'nat-1', State: 'available', Tags: [STACK_TAG, { Key: 'Name', Value: 'shop-nat-a' }] }, { NatGatewayId: 'nat-9', State: 'available', Tags: [OTHER_TAG] }], NextToken: 'n2' },
    );
  ec2.on(DescribeAddressesCommand).callsFake(async ({ Filters }) =>
    byTag(Filters) ? { Addresses: [{ AllocationId: 'eipalloc-1', PublicIp: '198.51.100.1', Tags: [STACK_TAG] }, { AllocationId: 'eipalloc-9', PublicIp: '198.51.100.9', Tags: [OTHER_TAG] }] } : {},
  );
  ec2
    .on(DescribeLaunchTemplatesCommand, { NextToken: undefined })
    .resolves({ LaunchTemplates: [{ LaunchTemplateId: 'lt-other', LaunchTemplateName: 'shop-two-ecs', Tags: [OTHER_TAG, TEAM_TAG] }, { LaunchTemplateId: 'lt-1', LaunchTemplateName: names.launchTemplate }], NextToken: 'p2' })
    .on(DescribeLaunchTemplatesCommand, { NextToken: 'p2' })
    .resolves({ LaunchTemplates: [{ LaunchTemplateId: 'lt-2', LaunchTemplateName: 'renamed', Tags: [TEAM_TAG, STACK_TAG] }, { LaunchTemplateId: 'lt-3', LaunchTemplateName: 'untagged' }] });

  // ELBv2: two pages of each; 40 ARNs, exactly two DescribeTags calls' worth (AWS refuses an empty one).
  const lbs = [{ LoadBalancerArn: arn('loadbalancer/app', 'shop-alb/1'), LoadBalancerName: names.loadBalancer }, ...Array.from({ length: 36 }, (_, i) => ({ LoadBalancerArn: arn('loadbalancer/app', `x${i}/1`), LoadBalancerName: `x${i}` }))];
  elb
    .on(DescribeLoadBalancersCommand, { Marker: undefined })
    .resolves({ LoadBalancers: lbs.slice(0, 15), NextMarker: 'm2' })
    .on(DescribeLoadBalancersCommand, { Marker: 'm2' })
    .resolves({ LoadBalancers: lbs.slice(15) });
  elb
    .on(DescribeTargetGroupsCommand, { Marker: undefined })
    .resolves({ TargetGroups: [{ TargetGroupArn: arn('targetgroup', 'shop-tg/1'), TargetGroupName: names.targetGroup }, { TargetGroupArn: arn('targetgroup', 'users/1'), TargetGroupName: 'users' }], NextMarker: 't2' })
    .on(DescribeTargetGroupsCommand, { Marker: 't2' })
    .resolves({ TargetGroups: [{ TargetGroupArn: arn('targetgroup', 'old/1'), TargetGroupName: 'old' }] });
  elb.on(DescribeTagsCommand).callsFake(async ({ ResourceArns }: { ResourceArns: string[] }) => {
    if (ResourceArns.length > 20 || ResourceArns.length === 0) throw new Error('DescribeTags takes 1 to 20 ARNs');
    return {
      TagDescriptions: ResourceArns.map((a) => ({
        ResourceArn: a,
        Tags: a.endsWith('x19/1') || a.endsWith('old/1') ? [TEAM_TAG, STACK_TAG] : a.endsWith('x3/1') ? [OTHER_TAG, TEAM_TAG] : a.endsWith('x4/1') ? undefined : [],
      })),
    };
  });

  // Auto Scaling: the group by name and a second by tag, over two pages; configurations by name or name-prefix.
  asg
    .on(DescribeAutoScalingGroupsCommand, { NextToken: undefined })
    .resolves({ AutoScalingGroups: [{ AutoScalingGroupName: names.autoScalingGroup, Instances: [{ InstanceId: 'i-1' }] }, { AutoScalingGroupName: 'users-group', Tags: [TEAM_TAG] }] as never, NextToken: 'g2' })
    .on(DescribeAutoScalingGroupsCommand, { NextToken: 'g2' })
    .resolves({ AutoScalingGroups: [{ AutoScalingGroupName: 'tagged-group', Tags: [TEAM_TAG, STACK_TAG] }, { AutoScalingGroupName: 'shop-two-ecs', Tags: [OTHER_TAG, TEAM_TAG] }] as never });
  asg
    .on(DescribeLaunchConfigurationsCommand, { NextToken: undefined })
    .resolves({ LaunchConfigurations: [{ LaunchConfigurationName: names.launchConfiguration }, { LaunchConfigurationName: 'shop-ecsx' }] as never, NextToken: 'c2' })
    .on(DescribeLaunchConfigurationsCommand, { NextToken: 'c2' })
    // A later version of the stack's own, and lookalikes that are not (another stack's, or no version number).
    .resolves({ LaunchConfigurations: [{ LaunchConfigurationName: `${names.launchConfiguration}-v2` }, { LaunchConfigurationName: `${names.launchConfiguration}-2` }, { LaunchConfigurationName: `${names.launchConfiguration}-v2x` }] as never });
  asg.on(DescribePoliciesCommand).callsFake(async ({ AutoScalingGroupName }) => (AutoScalingGroupName === 'tagged-group' ? { ScalingPolicies: [{ PolicyName: 'shop-cpu' }] } : {}));

  // ECS: the cluster, its services over two pages and more than one DescribeServices batch (10).
  ecs.on(DescribeClustersCommand).callsFake(async ({ clusters }) => (clusters?.length === 1 && clusters[0] === 'shop' ? { clusters: [{ clusterName: 'shop', status: 'ACTIVE', registeredContainerInstancesCount: 2 }] } : {}));
  const services = Array.from({ length: 11 }, (_, i) => `arn:aws:ecs:us-east-1:1:service/shop/s${i}`);
  ecs
    .on(ListServicesCommand, { cluster: 'shop', nextToken: undefined })
    .resolves({ serviceArns: services.slice(0, 6), nextToken: 's2' })
    .on(ListServicesCommand, { cluster: 'shop', nextToken: 's2' })
    .resolves({ serviceArns: services.slice(6) });
  ecs.on(DescribeServicesCommand).callsFake(async ({ cluster, services: asked }: { cluster: string; services: string[] }) => {
    if (asked.length > 10 || asked.length === 0 || cluster !== 'shop') throw new Error('DescribeServices takes 1 to 10 services of a cluster');
    return { services: asked.map((a) => ({ serviceName: a.split('/').pop(), status: a.endsWith('s7') ? 'INACTIVE' : 'ACTIVE' })) };
  });
  ecs.on(ListTaskDefinitionsCommand).callsFake(async ({ familyPrefix, status, nextToken }) => {
    if (familyPrefix !== 'shop' || status !== 'ACTIVE') return {};
    return nextToken === 'd2'
      ? { taskDefinitionArns: ['arn:aws:ecs:us-east-1:1:task-definition/shop:12'] }
      : { taskDefinitionArns: ['arn:aws:ecs:us-east-1:1:task-definition/shop:1', 'arn:aws:ecs:us-east-1:1:task-definition/shop-two:3', 'arn:aws:ecs:us-east-1:1:task-definition/shop:2'], nextToken: 'd2' };
  });
  ecs.on(DescribeCapacityProvidersCommand).callsFake(async ({ capacityProviders }) =>
    capacityProviders?.[0] === 'cp-shop' ? { capacityProviders: [{ name: 'cp-shop', status: 'ACTIVE' }, { name: 'cp-shop', status: 'INACTIVE' }] } : {},
  );

  // IAM: the instance role and profile exist; the execution role is gone; the stack made a task role.
  iam.on(GetRoleCommand, { RoleName: names.instanceRole }).resolves({ Role: { RoleName: names.instanceRole } as never });
  iam.on(GetRoleCommand, { RoleName: names.executionRole }).rejects(roleGone);
  iam.on(GetRoleCommand, { RoleName: names.taskRole }).resolves({ Role: { RoleName: names.taskRole, Tags: [{ Key: 'ecs-wizard:stack', Value: 'shop' }] } as never });
  iam.on(GetInstanceProfileCommand).callsFake(async ({ InstanceProfileName }) => {
    if (InstanceProfileName !== names.instanceProfile) throw profileGone;
    return { InstanceProfile: { InstanceProfileName: names.instanceProfile, Roles: [{ RoleName: names.instanceRole }, { RoleName: 'stray' }] } };
  });

  // ECR: only repositories carrying the stack tag are ours; the named one is marked.
  ecr
    .on(DescribeRepositoriesCommand, { nextToken: undefined })
    .resolves({ repositories: [{ repositoryName: 'shop-app', repositoryArn: 'arn:r/shop-app' }, { repositoryName: 'users-own', repositoryArn: 'arn:r/users-own' }], nextToken: 'r2' })
    .on(DescribeRepositoriesCommand, { nextToken: 'r2' })
    .resolves({ repositories: [{ repositoryName: 'shop-cache', repositoryArn: 'arn:r/shop-cache' }, { repositoryName: 'bare', repositoryArn: 'arn:r/bare' }] });
  ecr.on(ListTagsForResourceCommand).callsFake(async ({ resourceArn }) => (resourceArn === 'arn:r/bare' ? {} : { tags: resourceArn === 'arn:r/users-own' ? [OTHER_TAG, TEAM_TAG] : [TEAM_TAG, STACK_TAG] }));

  // Service scaling, its alarms (two pages for one prefix), the log group (a lookalike by prefix too, over two pages).
  aas.on(DescribeScalableTargetsCommand).callsFake(async ({ ServiceNamespace, ResourceIds }) =>
    ServiceNamespace === 'ecs' && ResourceIds?.[0] === 'service/shop/shop' ? { ScalableTargets: [{ ResourceId: 'service/shop/shop', ScalableDimension: 'ecs:service:DesiredCount' }] } : {},
  );
  aas.on(DescribeScalingPoliciesCommand).callsFake(async ({ ServiceNamespace, ResourceId }) =>
    ServiceNamespace === 'ecs' && ResourceId === 'service/shop/shop' ? { ScalingPolicies: [{ PolicyName: 'shop-cpu', ResourceId: 'service/shop/shop', ScalableDimension: 'ecs:service:DesiredCount' }] } : {},
  );
  cw.on(DescribeAlarmsCommand).callsFake(async ({ AlarmNamePrefix, NextToken }) => {
    if (AlarmNamePrefix !== alarmPrefixes(names)[0]) return {};
    return NextToken ? { MetricAlarms: [{ AlarmName: 'TargetTracking-service/shop/shop-AlarmLow-1' }] } : { MetricAlarms: [{ AlarmName: 'TargetTracking-service/shop/shop-AlarmHigh-1' }], NextToken: 'a2' };
  });
  logs.on(DescribeLogGroupsCommand).callsFake(async ({ logGroupNamePrefix, nextToken }) => {
    if (logGroupNamePrefix !== '/ecs/shop') return {};
    return nextToken ? { logGroups: [{ logGroupName: '/ecs/shop' }] } : { logGroups: [{ logGroupName: '/ecs/shop-two' }], nextToken: 'l2' };
  });

  // Service Connect: the namespace of the stack's name with its tag, on the second page; another stack's
  // lookalike, and one of the same name without the tag (someone else's) — neither is listed.
  const ns = (id: string, name: string) => ({ Id: id, Name: name, Arn: `arn:aws:servicediscovery:us-east-1:1:namespace/${id}`, Type: 'HTTP' as const });
  sd.on(ListNamespacesCommand, { NextToken: undefined }).resolves({ Namespaces: [ns('ns-other', 'shop-two.internal'), ns('ns-theirs', 'shop.internal')], NextToken: 'n2' });
  sd.on(ListNamespacesCommand, { NextToken: 'n2' }).resolves({ Namespaces: [ns('ns-shop', 'shop.internal')] });
  sd.on(ListNamespaceTagsCommand).callsFake(async ({ ResourceARN }) => ({ Tags: ResourceARN?.endsWith('/ns-shop') ? [STACK_TAG] : ResourceARN?.endsWith('/ns-other') ? [OTHER_TAG] : [TEAM_TAG] }));
}

const EXPECTED: Leftover[] = [
  { type: 'app-scaling-policy', id: 'shop-cpu', meta: { resourceId: 'service/shop/shop', dimension: 'ecs:service:DesiredCount' } },
  { type: 'scalable-target', id: 'service/shop/shop', meta: { dimension: 'ecs:service:DesiredCount' } },
  { type: 'alarm', id: 'TargetTracking-service/shop/shop-AlarmHigh-1' },
  { type: 'alarm', id: 'TargetTracking-service/shop/shop-AlarmLow-1' },
  { type: 'log-group', id: '/ecs/shop' },
  ...['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's8', 's9', 's10'].map((id): Leftover => ({ type: 'ecs-service', id, meta: { cluster: 'shop' } })),
  { type: 'task-definition', id: 'arn:aws:ecs:us-east-1:1:task-definition/shop:1', meta: { status: 'ACTIVE' } },
  { type: 'task-definition', id: 'arn:aws:ecs:us-east-1:1:task-definition/shop:2', meta: { status: 'ACTIVE' } },
  { type: 'task-definition', id: 'arn:aws:ecs:us-east-1:1:task-definition/shop:12', meta: { status: 'ACTIVE' } },
  { type: 'service-connect-namespace', id: 'ns-shop', name: 'shop.internal' },
  { type: 'asg-scaling-policy', id: 'shop-cpu', meta: { autoScalingGroupName: 'tagged-group' } },
  { type: 'capacity-provider', id: 'cp-shop', meta: { cluster: 'shop' } },
  { type: 'auto-scaling-group', id: 'shop-ecs', meta: { instances: '1' } },
  { type: 'auto-scaling-group', id: 'tagged-group', meta: { instances: '0' } },
  { type: 'instance', id: 'i-1', name: 'shop-ecs' },
  { type: 'instance', id: 'i-2', name: undefined },
  { type: 'instance', id: 'i-3', name: undefined },
  { type: 'launch-configuration', id: 'shop-ecs' },
  { type: 'launch-configuration', id: 'shop-ecs-v2' },
  { type: 'launch-template', id: 'lt-1', name: 'shop-ecs' },
  { type: 'launch-template', id: 'lt-2', name: 'renamed' },
  { type: 'load-balancer', id: arn('loadbalancer/app', 'shop-alb/1'), name: 'shop-alb' },
  { type: 'load-balancer', id: arn('loadbalancer/app', 'x19/1'), name: 'x19' },
  { type: 'target-group', id: arn('targetgroup', 'shop-tg/1'), name: 'shop-tg' },
  { type: 'target-group', id: arn('targetgroup', 'old/1'), name: 'old' },
  { type: 'cluster', id: 'shop', meta: { containerInstances: '2' } },
  { type: 'instance-profile', id: 'shop-ecs-instance', meta: { roles: 'shop-ecs-instance,stray' } },
  { type: 'iam-role', id: 'shop-ecs-instance' },
  { type: 'iam-role', id: 'shop-ecs-task' },
  { type: 'ecr-repository', id: 'shop-app', meta: { named: 'true' } },
  { type: 'ecr-repository', id: 'shop-cache', meta: { named: 'false' } },
  { type: 'security-group', id: 'sg-1', name: 'shop-alb', meta: { vpcId: 'vpc-1' } },
  { type: 'security-group', id: 'sg-3', name: 'renamed', meta: { vpcId: '' } },
  { type: 'security-group', id: 'sg-2', name: 'shop-instances', meta: { vpcId: 'vpc-1' } },
  { type: 'nat-gateway', id: 'nat-1', name: 'shop-nat-a', meta: { state: 'available' } },
  { type: 'nat-gateway', id: 'nat-2', name: undefined, meta: { state: 'deleting' } },
  { type: 'elastic-ip', id: 'eipalloc-1', name: undefined, meta: { publicIp: '198.51.100.1' } },
  { type: 'route-table', id: 'rtb-1', name: undefined, meta: { associationIds: 'rtbassoc-1,rtbassoc-2' } },
  { type: 'route-table', id: 'rtb-2', name: undefined, meta: { associationIds: '' } },
  { type: 'internet-gateway', id: 'igw-1', name: undefined, meta: { vpcIds: 'vpc-1,vpc-2' } },
  { type: 'internet-gateway', id: 'igw-2', name: undefined, meta: { vpcIds: '' } },
  { type: 'subnet', id: 'subnet-1', name: undefined },
  { type: 'subnet', id: 'subnet-6', name: undefined },
  { type: 'vpc', id: 'vpc-1', name: 'shop-vpc' },
  { type: 'vpc', id: 'vpc-2', name: undefined },
];

describe('listStackResources', () => {
  it('lists every resource of the stack by tag and by name, across pages and batches, once each, in cleanup order', async () => {
    // GIVEN a stack's resources among another stack's and lookalikes
    scriptStack();
    const aws = new AwsClients({ region: 'us-east-1' });
    // WHEN the inventory is taken
    const found = await listStackResources(aws, names, { ecrRepository: 'shop-app' });
    aws.destroy();
    // THEN it is exactly the stack's, in the order a cleanup deletes them
    expect(found).toEqual(EXPECTED);
    // AND the policies of every group of the stack were asked for, and of no other
    expect(inputOf<{ AutoScalingGroupName: string }>(asg as never, DescribePoliciesCommand).map((i) => i.AutoScalingGroupName).sort()).toEqual(['shop-ecs', 'tagged-group']);
  });

  it('a provisioning cluster counts, and exactly ten services take one DescribeServices call', async () => {
    for (const m of all) m.onAnyCommand().resolves({});
    ecs.on(DescribeClustersCommand).resolves({ clusters: [{ clusterName: 'shop', status: 'PROVISIONING' }] });
    ecs.on(ListServicesCommand).resolves({ serviceArns: Array.from({ length: 10 }, (_, i) => `arn:aws:ecs:us-east-1:1:service/shop/s${i}`) });
    ecs.on(DescribeServicesCommand).callsFake(async ({ services }: { services: string[] }) => {
      if (services.length === 0) throw new Error('DescribeServices needs at least one service');
      return { services: services.map((a) => ({ serviceName: a.split('/').pop(), status: 'DRAINING' })) };
    });
    iam.on(GetRoleCommand).rejects(roleGone);
    iam.on(GetInstanceProfileCommand).resolves({ InstanceProfile: { InstanceProfileName: names.instanceProfile } as never });
    const aws = new AwsClients({ region: 'us-east-1' });
    const found = await listStackResources(aws, names);
    aws.destroy();
    expect(found.filter((x) => x.type === 'cluster')).toEqual([{ type: 'cluster', id: 'shop', meta: { containerInstances: '0' } }]);
    expect(found.filter((x) => x.type === 'ecs-service')).toHaveLength(10);
    expect(found.filter((x) => x.type === 'instance-profile')).toEqual([{ type: 'instance-profile', id: 'shop-ecs-instance', meta: { roles: '' } }]);
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(1);
  });

  it('a task role of the stack\'s name that the stack did not tag is the user\'s: not listed (destroy would delete it)', async () => {
    scriptStack();
    iam.on(GetRoleCommand, { RoleName: names.taskRole }).resolves({ Role: { RoleName: names.taskRole, Tags: [{ Key: 'ecs-wizard:stack', Value: 'shop-two' }] } as never });
    const aws = new AwsClients({ region: 'us-east-1' });
    const found = await listStackResources(aws, names, { ecrRepository: 'shop-app' });
    aws.destroy();
    expect(found.filter((l) => l.type === 'iam-role').map((l) => l.id)).toEqual(['shop-ecs-instance']);
  });

  it('leaves out what it is told to (a reused VPC and its subnets)', async () => {
    scriptStack();
    const aws = new AwsClients({ region: 'us-east-1' });
    const found = await listStackResources(aws, names, { exclude: new Set(['vpc-1', 'subnet-1']), ecrRepository: 'shop-app' });
    aws.destroy();
    expect(found).toEqual(EXPECTED.filter((x) => x.id !== 'vpc-1' && x.id !== 'subnet-1'));
  });

  it('an account without the stack lists nothing; a capacity provider AWS calls unknown is nothing', async () => {
    // GIVEN an account where every list is empty, and DescribeCapacityProviders answers not-found
    for (const m of all) m.onAnyCommand().resolves({});
    ecs.on(DescribeClustersCommand).resolves({ clusters: [{ clusterName: 'shop', status: 'INACTIVE' }] });
    ecs.on(DescribeCapacityProvidersCommand).rejects(clusterGone);
    iam.on(GetRoleCommand).rejects(roleGone);
    iam.on(GetInstanceProfileCommand).rejects(profileGone);
    const aws = new AwsClients({ region: 'us-east-1' });
    // WHEN the inventory is taken  THEN it is empty, and no services were listed for an inactive cluster
    expect(await listStackResources(aws, names)).toEqual([]);
    aws.destroy();
    expect(ecs.commandCalls(ListServicesCommand)).toHaveLength(0);
  });

  it('any other error from AWS is not taken for "nothing there"', async () => {
    for (const m of all) m.onAnyCommand().resolves({});
    ecs.on(DescribeCapacityProvidersCommand).rejects(denied);
    const aws = new AwsClients({ region: 'us-east-1' });
    await expect(listStackResources(aws, names)).rejects.toBe(denied);
    aws.destroy();
  });
});

describe('inventory helpers', () => {
  it('names the alarms target tracking makes for the service and for the group', () => {
    expect(alarmPrefixes(names)).toEqual([
      'TargetTracking-service/shop/shop-AlarmHigh-',
      'TargetTracking-service/shop/shop-AlarmLow-',
      'TargetTracking-shop-ecs-AlarmHigh-',
      'TargetTracking-shop-ecs-AlarmLow-',
    ]);
  });

  it('describes a leftover in one line, with its name only when it differs from its id', () => {
    expect(describeLeftover({ type: 'vpc', id: 'vpc-1', name: 'shop-vpc' })).toBe('vpc vpc-1 (shop-vpc)');
    expect(describeLeftover({ type: 'iam-role', id: 'shop-ecs-instance', name: 'shop-ecs-instance' })).toBe('iam-role shop-ecs-instance');
    expect(describeLeftover({ type: 'subnet', id: 'subnet-1' })).toBe('subnet subnet-1');
  });
});

describe('listStackResources: certificates and DNS records (loadBalancer.domain)', () => {
  const acm = mockClient(ACMClient);
  const route53 = mockClient(Route53Client);
  afterEach(() => [acm, route53].forEach((m) => m.reset()));
  afterAll(() => [acm, route53].forEach((m) => m.restore()));

  const cert = (id: string) => `arn:aws:acm:us-east-1:123456789012:certificate/${id}`;
  const ALIAS = { Name: 'shop.example.com.', Type: 'A', AliasTarget: { HostedZoneId: 'Z35SXDOTRQ7X7K', DNSName: 'dualstack.shop-alb-1234567890.us-east-1.elb.amazonaws.com.', EvaluateTargetHealth: true } };
  const VALIDATION = { Name: '_a1.shop.example.com.', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: '_b1.acm-validations.aws.' }] };

  /**
   * An account with the stack's certificate among others (two pages), the zone example.com holding
   * the stack's alias and its certificate's validation record, and lookalikes of each.
   */
  function scriptHttps(opts: { aliasTo?: string; sharedBy?: 'alternative-name' | 'other-certificates' } = {}): void {
    for (const m of all) m.onAnyCommand().resolves({});
    iam.on(GetRoleCommand).rejects(roleGone);
    iam.on(GetInstanceProfileCommand).rejects(profileGone);
    acm
      .on(ListCertificatesCommand, { NextToken: undefined })
      .resolves({
        CertificateSummaryList: [
          { CertificateArn: cert('ours'), DomainName: 'shop.example.com' },
          // The user's own certificate, which may also cover the stack's domain.
          { CertificateArn: cert('users'), DomainName: 'www.example.com', SubjectAlternativeNameSummaries: opts.sharedBy === 'alternative-name' ? ['shop.example.com'] : ['example.com'] },
        ],
        NextToken: 'c2',
      })
      .on(ListCertificatesCommand, { NextToken: 'c2' })
      .resolves({
        CertificateSummaryList: [
          // The stack's too, for another name (only looked at when every certificate is).
          { CertificateArn: cert('ours-other'), DomainName: 'other.example.com' },
          ...(opts.sharedBy === 'other-certificates'
            ? [
                // Deleted between the listing and the look at its tags; another stack's, for the same name.
                { CertificateArn: cert('gone'), DomainName: 'shop.example.com' },
                { CertificateArn: cert('theirs'), DomainName: 'shop.example.com' },
              ]
            : []),
        ],
      });
    acm.on(ListTagsForCertificateCommand).callsFake(async ({ CertificateArn }) => {
      if (CertificateArn === cert('gone')) throw certGone;
      if (CertificateArn === cert('theirs')) return { Tags: [OTHER_TAG] };
      if (CertificateArn === cert('users')) return { Tags: [TEAM_TAG] };
      return { Tags: [TEAM_TAG, STACK_TAG] };
    });
    acm.on(DescribeCertificateCommand).callsFake(async ({ CertificateArn }) => ({
      Certificate: {
        CertificateArn,
        DomainValidationOptions: [
          { DomainName: 'shop.example.com', ResourceRecord: { Name: '_a1.shop.example.com.', Type: 'CNAME', Value: '_b1.acm-validations.aws.' } },
          // Not yet given a record; and one whose record in the zone now says something else.
          { DomainName: 'shop.example.com' },
          { DomainName: 'api.shop.example.com', ResourceRecord: { Name: '_a2.shop.example.com.', Type: 'CNAME', Value: '_b2.acm-validations.aws.' } },
        ],
      },
    }));
    route53.on(ListHostedZonesByNameCommand).callsFake(async ({ DNSName }) =>
      DNSName === 'example.com'
        ? { HostedZones: [{ Id: '/hostedzone/Z1', Name: 'example.com.', CallerReference: 'x', Config: { PrivateZone: false } }] }
        : { HostedZones: [{ Id: '/hostedzone/Z9', Name: 'zzz.example.com.', CallerReference: 'y' }] },
    );
    route53.on(ListResourceRecordSetsCommand).callsFake(async ({ HostedZoneId, StartRecordName, StartRecordType }) => {
      if (HostedZoneId !== 'Z1') return {};
      if (StartRecordName === 'shop.example.com.' && StartRecordType === 'A') {
        return { ResourceRecordSets: [opts.aliasTo ? { ...ALIAS, AliasTarget: { ...ALIAS.AliasTarget, DNSName: opts.aliasTo } } : ALIAS] };
      }
      if (StartRecordName === '_a1.shop.example.com.' && StartRecordType === 'CNAME') return { ResourceRecordSets: [VALIDATION] };
      if (StartRecordName === '_a2.shop.example.com.' && StartRecordType === 'CNAME') return { ResourceRecordSets: [{ ...VALIDATION, Name: '_a2.shop.example.com.', ResourceRecords: [{ Value: '_other.example.net.' }] }] };
      return {};
    });
  }

  const aliasRecord: Leftover = { type: 'dns-record', id: 'Z1:shop.example.com.A', name: 'A shop.example.com.', meta: { hostedZoneId: 'Z1', recordName: 'shop.example.com.', recordType: 'A' } };
  const validationRecord: Leftover = {
    type: 'dns-record',
    id: 'Z1:_a1.shop.example.com.CNAME',
    name: 'CNAME _a1.shop.example.com.',
    meta: { hostedZoneId: 'Z1', recordName: '_a1.shop.example.com.', recordType: 'CNAME' },
  };
  const ourCert: Leftover = { type: 'certificate', id: cert('ours'), name: 'shop.example.com' };

  const list = async (opts: Parameters<typeof listStackResources>[2]): Promise<Leftover[]> => {
    const aws = new AwsClients({ region: 'us-east-1' });
    try {
      return await listStackResources(aws, names, opts);
    } finally {
      aws.destroy();
    }
  };

  it("lists the stack's certificate for the domain, the alias to its load balancer, and that certificate's validation record — in cleanup order", async () => {
    scriptHttps();
    expect(await list({ domain: 'shop.example.com' })).toEqual([aliasRecord, validationRecord, ourCert]);
    // Only the certificates for the domain had their tags read; only ours was described.
    expect(inputOf<{ CertificateArn: string }>(acm as never, ListTagsForCertificateCommand).map((i) => i.CertificateArn)).toEqual([cert('ours')]);
    expect(inputOf<{ CertificateArn: string }>(acm as never, DescribeCertificateCommand).map((i) => i.CertificateArn)).toEqual([cert('ours')]);
  });

  it("an alias to another load balancer is the user's, and a validation record another certificate's alternative name shares is kept", async () => {
    scriptHttps({ aliasTo: 'shop-alb2-1234567890.us-east-1.elb.amazonaws.com.', sharedBy: 'alternative-name' });
    expect(await list({ domain: 'shop.example.com' })).toEqual([ourCert]);
    // Ours was described for the names its records validate; the user's was only listed (by every key type) and its tags read.
    expect(inputOf<{ CertificateArn: string }>(acm as never, DescribeCertificateCommand).map((i) => i.CertificateArn)).toEqual([cert('ours')]);
    expect(inputOf<{ Includes?: { keyTypes?: string[] } }>(acm as never, ListCertificatesCommand).some((i) => i.Includes?.keyTypes?.includes('EC_prime256v1'))).toBe(true);
  });

  it("another stack's certificate for the same name shares the validation record (kept); one deleted meanwhile is nobody's", async () => {
    scriptHttps({ sharedBy: 'other-certificates' });
    expect(await list({ domain: 'shop.example.com' })).toEqual([aliasRecord, ourCert]);
    // Read once to find the stack's certificates, once more (but ours) to find who shares the record.
    expect(inputOf<{ CertificateArn: string }>(acm as never, ListTagsForCertificateCommand).map((i) => i.CertificateArn)).toEqual([
      cert('ours'),
      cert('gone'),
      cert('theirs'),
      cert('gone'),
      cert('theirs'),
    ]);
  });

  it("a validation record shared with an EC certificate of us-east-1 is kept, though ListCertificates shows neither by default", async () => {
    // GIVEN the stack in eu-west-1, and in us-east-1 the user's EC_prime256v1 certificate for the same name, which
    // ListCertificates returns only when Includes.keyTypes asks for it (by default: RSA_1024 and RSA_2048 only)
    scriptHttps();
    acm.reset();
    const ec = 'arn:aws:acm:us-east-1:123456789012:certificate/ec';
    const regions: string[] = [];
    acm.on(ListCertificatesCommand).callsFake(async (input: { Includes?: { keyTypes?: string[] } }, getClient: () => ACMClient) => {
      const region = await getClient().config.region();
      regions.push(region);
      if (region === 'eu-west-1') return { CertificateSummaryList: [{ CertificateArn: cert('ours'), DomainName: 'shop.example.com', KeyAlgorithm: 'RSA_2048' }] };
      const asked = input.Includes?.keyTypes ?? ['RSA_1024', 'RSA_2048'];
      return { CertificateSummaryList: asked.includes('EC_prime256v1') ? [{ CertificateArn: ec, DomainName: 'shop.example.com', KeyAlgorithm: 'EC_prime256v1' }] : [] };
    });
    acm.on(ListTagsForCertificateCommand).callsFake(async ({ CertificateArn }) => ({ Tags: CertificateArn === ec ? [TEAM_TAG] : [TEAM_TAG, STACK_TAG] }));
    acm.on(DescribeCertificateCommand).resolves({
      Certificate: { CertificateArn: cert('ours'), DomainValidationOptions: [{ DomainName: 'shop.example.com', ResourceRecord: { Name: '_a1.shop.example.com.', Type: 'CNAME', Value: '_b1.acm-validations.aws.' } }] },
    });
    // WHEN the inventory is taken
    const aws = new AwsClients({ region: 'eu-west-1' });
    const found = await listStackResources(aws, names, { domain: 'shop.example.com', region: 'eu-west-1' }).finally(() => aws.destroy());
    // THEN the record is not the stack's to delete; both regions were asked
    expect(found).toEqual([aliasRecord, ourCert]);
    expect(new Set(regions)).toEqual(new Set(['eu-west-1', 'us-east-1']));
  });

  it('discovery looks at every certificate of the region for the stack tag, and at no zone without a domain', async () => {
    scriptHttps();
    expect(await list({ allCertificates: true })).toEqual([ourCert, { type: 'certificate', id: cert('ours-other'), name: 'other.example.com' }]);
    expect(route53.calls()).toHaveLength(0);
  });

  it('without a domain or discovery, asks neither ACM nor Route 53; a domain without a zone gives the certificate alone', async () => {
    scriptHttps();
    expect(await list({})).toEqual([]);
    expect(acm.calls()).toHaveLength(0);
    route53.on(ListHostedZonesByNameCommand).resolves({ HostedZones: [] });
    expect(await list({ domain: 'shop.example.com' })).toEqual([ourCert]);
    expect(route53.commandCalls(ListResourceRecordSetsCommand)).toHaveLength(0);
  });
});
