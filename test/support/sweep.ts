/**
 * An independent sweep for tests: its own SDK clients and its own idea of "belongs to the stack"
 * (tagged ecs-wizard:stack=<stack>, or named <stack>-…, or an ACTIVE cluster/service/task
 * definition/capacity provider of it). Deliberately shares no code with the tool it checks.
 */
import * as ec2 from '@aws-sdk/client-ec2';
import * as elb from '@aws-sdk/client-elastic-load-balancing-v2';
import * as asg from '@aws-sdk/client-auto-scaling';
import * as ecs from '@aws-sdk/client-ecs';
import * as iam from '@aws-sdk/client-iam';
import * as ecr from '@aws-sdk/client-ecr';
import * as aas from '@aws-sdk/client-application-auto-scaling';
import * as cw from '@aws-sdk/client-cloudwatch';
import * as logs from '@aws-sdk/client-cloudwatch-logs';

const TAG = 'ecs-wizard:stack';

export interface Found {
  kind: string;
  id: string;
}

export interface SweepOptions {
  /** Ids that may remain (a reused VPC and its subnets). */
  except?: string[];
}

export async function sweep(endpoint: string, stack: string, opts: SweepOptions = {}): Promise<Found[]> {
  const config = { region: 'us-east-1', endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 2 };
  const c = {
    ec2: new ec2.EC2Client(config),
    elb: new elb.ElasticLoadBalancingV2Client(config),
    asg: new asg.AutoScalingClient(config),
    ecs: new ecs.ECSClient(config),
    iam: new iam.IAMClient(config),
    ecr: new ecr.ECRClient(config),
    aas: new aas.ApplicationAutoScalingClient(config),
    cw: new cw.CloudWatchClient(config),
    logs: new logs.CloudWatchLogsClient(config),
  };
  const ours = (name: string | undefined): boolean => name !== undefined && (name === stack || name.startsWith(`${stack}-`) || name === `cp-${stack}`);
  const tagged = (tags: { Key?: string; Value?: string }[] | undefined): boolean => !!tags?.some((t) => t.Key === TAG && t.Value === stack);
  const named = (tags: { Key?: string; Value?: string }[] | undefined): boolean => ours(tags?.find((t) => t.Key === 'Name')?.Value);
  const found: Found[] = [];
  const add = (kind: string, id: string | undefined): void => void (id && !opts.except?.includes(id) && found.push({ kind, id }));
  try {
    // EC2
    for (const v of (await c.ec2.send(new ec2.DescribeVpcsCommand({}))).Vpcs ?? []) if (tagged(v.Tags) || named(v.Tags)) add('vpc', v.VpcId);
    for (const s of (await c.ec2.send(new ec2.DescribeSubnetsCommand({}))).Subnets ?? []) if (tagged(s.Tags) || named(s.Tags)) add('subnet', s.SubnetId);
    for (const g of (await c.ec2.send(new ec2.DescribeInternetGatewaysCommand({}))).InternetGateways ?? []) if (tagged(g.Tags) || named(g.Tags)) add('igw', g.InternetGatewayId);
    for (const t of (await c.ec2.send(new ec2.DescribeRouteTablesCommand({}))).RouteTables ?? []) if (tagged(t.Tags) || named(t.Tags)) add('route-table', t.RouteTableId);
    for (const g of (await c.ec2.send(new ec2.DescribeSecurityGroupsCommand({}))).SecurityGroups ?? []) if (tagged(g.Tags) || ours(g.GroupName)) add('security-group', g.GroupId);
    for (const t of (await c.ec2.send(new ec2.DescribeLaunchTemplatesCommand({}))).LaunchTemplates ?? []) if (tagged(t.Tags) || ours(t.LaunchTemplateName)) add('launch-template', t.LaunchTemplateId);
    const running = await c.ec2.send(new ec2.DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['pending', 'running'] }] }));
    for (const r of running.Reservations ?? []) for (const i of r.Instances ?? []) if (tagged(i.Tags) || named(i.Tags)) add('instance', i.InstanceId);
    // ELBv2
    const lbs = (await c.elb.send(new elb.DescribeLoadBalancersCommand({}))).LoadBalancers ?? [];
    const tgs = (await c.elb.send(new elb.DescribeTargetGroupsCommand({}))).TargetGroups ?? [];
    const arns = [...lbs.map((l) => l.LoadBalancerArn!), ...tgs.map((t) => t.TargetGroupArn!)];
    const elbTagged = new Set<string>();
    for (let i = 0; i < arns.length; i += 20) {
      for (const d of (await c.elb.send(new elb.DescribeTagsCommand({ ResourceArns: arns.slice(i, i + 20) }))).TagDescriptions ?? []) if (tagged(d.Tags)) elbTagged.add(d.ResourceArn!);
    }
    for (const l of lbs) if (ours(l.LoadBalancerName) || elbTagged.has(l.LoadBalancerArn!)) add('load-balancer', l.LoadBalancerArn);
    for (const t of tgs) if (ours(t.TargetGroupName) || elbTagged.has(t.TargetGroupArn!)) add('target-group', t.TargetGroupArn);
    // Auto Scaling
    for (const g of (await c.asg.send(new asg.DescribeAutoScalingGroupsCommand({}))).AutoScalingGroups ?? []) {
      if (ours(g.AutoScalingGroupName) || g.Tags?.some((t) => t.Key === TAG && t.Value === stack)) add('auto-scaling-group', g.AutoScalingGroupName);
    }
    for (const l of (await c.asg.send(new asg.DescribeLaunchConfigurationsCommand({}))).LaunchConfigurations ?? []) if (ours(l.LaunchConfigurationName)) add('launch-configuration', l.LaunchConfigurationName);
    for (const p of (await c.asg.send(new asg.DescribePoliciesCommand({}))).ScalingPolicies ?? []) if (ours(p.AutoScalingGroupName) || ours(p.PolicyName)) add('asg-policy', p.PolicyName);
    // ECS
    const clusterArns = (await c.ecs.send(new ecs.ListClustersCommand({}))).clusterArns ?? [];
    const clusters = clusterArns.length ? ((await c.ecs.send(new ecs.DescribeClustersCommand({ clusters: clusterArns, include: ['TAGS'] }))).clusters ?? []) : [];
    for (const cl of clusters) {
      if (cl.status !== 'ACTIVE') continue;
      if (ours(cl.clusterName) || cl.tags?.some((t) => t.key === TAG && t.value === stack)) add('cluster', cl.clusterArn);
      const svcArns = (await c.ecs.send(new ecs.ListServicesCommand({ cluster: cl.clusterArn }))).serviceArns ?? [];
      if (svcArns.length) {
        for (const s of (await c.ecs.send(new ecs.DescribeServicesCommand({ cluster: cl.clusterArn, services: svcArns, include: ['TAGS'] }))).services ?? []) {
          if (s.status === 'ACTIVE' && (ours(s.serviceName) || s.tags?.some((t) => t.key === TAG && t.value === stack))) add('service', s.serviceArn);
        }
      }
    }
    for (const arn of (await c.ecs.send(new ecs.ListTaskDefinitionsCommand({ status: 'ACTIVE' }))).taskDefinitionArns ?? []) {
      if (ours(arn.split('/').pop()!.replace(/:\d+$/, ''))) add('task-definition', arn);
    }
    const cps = await c.ecs.send(new ecs.DescribeCapacityProvidersCommand({ capacityProviders: [`cp-${stack}`] })).catch(() => ({ capacityProviders: [] }));
    for (const p of cps.capacityProviders ?? []) if (p.status === 'ACTIVE') add('capacity-provider', p.name);
    // IAM
    for (const r of (await c.iam.send(new iam.ListRolesCommand({ MaxItems: 1000 }))).Roles ?? []) if (ours(r.RoleName)) add('iam-role', r.RoleName);
    for (const p of (await c.iam.send(new iam.ListInstanceProfilesCommand({ MaxItems: 1000 }))).InstanceProfiles ?? []) if (ours(p.InstanceProfileName)) add('instance-profile', p.InstanceProfileName);
    // ECR
    for (const r of (await c.ecr.send(new ecr.DescribeRepositoriesCommand({}))).repositories ?? []) {
      const tags = (await c.ecr.send(new ecr.ListTagsForResourceCommand({ resourceArn: r.repositoryArn }))).tags;
      if (ours(r.repositoryName) || tags?.some((t) => t.Key === TAG && t.Value === stack)) add('ecr-repository', r.repositoryName);
    }
    // Application Auto Scaling: the stack's service is service/<stack>/<stack>
    for (const t of (await c.aas.send(new aas.DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs' }))).ScalableTargets ?? []) {
      if (t.ResourceId?.split('/')[1] === stack) add('scalable-target', t.ResourceId);
    }
    for (const p of (await c.aas.send(new aas.DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs' }))).ScalingPolicies ?? []) {
      if (p.ResourceId?.split('/')[1] === stack) add('app-scaling-policy', p.PolicyName);
    }
    // CloudWatch alarms of the stack's scaling policies
    for (const a of (await c.cw.send(new cw.DescribeAlarmsCommand({}))).MetricAlarms ?? []) {
      if (a.AlarmName?.includes(`/${stack}/`) || a.AlarmName?.includes(`-${stack}-`) || a.Dimensions?.some((d) => ours(d.Value))) add('alarm', a.AlarmName);
    }
    // CloudWatch Logs: the container's group /ecs/<stack>
    for (const g of (await c.logs.send(new logs.DescribeLogGroupsCommand({ logGroupNamePrefix: `/ecs/${stack}` }))).logGroups ?? []) {
      if (g.logGroupName === `/ecs/${stack}`) add('log-group', g.logGroupName);
    }
  } finally {
    for (const client of Object.values(c)) client.destroy();
  }
  return found;
}
