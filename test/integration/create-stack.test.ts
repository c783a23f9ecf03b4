import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  DescribeVpcsCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { DescribeListenersCommand, DescribeLoadBalancersCommand, DescribeRulesCommand, DescribeTagsCommand, DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, DescribeLaunchConfigurationsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeClustersCommand, DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { CloudWatchLogsClient, CreateLogStreamCommand, DescribeLogGroupsCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DeletePolicyCommand, DeleteRolePermissionsBoundaryCommand, GetRoleCommand, GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { STACK_TAG } from '../../src/aws/tags.js';
import { stackNames } from '../../src/steps/names.js';
import { StackCounter } from '../support/counts.js';
import { runCli, runCliWithAgents } from '../e2e/cli.js';
import { startMoto, type Moto } from '../support/moto.js';
import { tempDir } from '../support/stack.js';
import { existingNetwork } from '../support/existing-network.js';
import { startStrictAws, type StrictAws } from '../support/strict-aws.js';
import { RULE_SERVICE_CONNECT, serviceConnectProfile, type StrictProfile } from '../support/strict-rules.js';
import { ListNamespacesCommand, ListServicesCommand, ListTagsForResourceCommand, ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { oneServiceNames } from '../support/service-steps.js';

/**
 * The acceptance test: the built CLI, as a child process, creates the whole stack on moto;
 * our own SDK reads then check every resource and every link between them, and a second run
 * changes nothing. moto runs no ECS agent, so the fake agent registers the group's instances
 * while the child waits for them (the waits run for real, not --no-wait).
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
let moto: Moto;
let counter: StackCounter;
/** The strict-AWS proxy in front of moto, for what moto does not do (Service Connect). */
let aws: StrictAws;
let connect: StrictProfile;
let cfg: { region: string; endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } };

beforeAll(async () => {
  // Every service then reports desiredCount running tasks, so the service-stable wait can pass.
  moto = await startMoto({ serviceRunning: 2 });
  cfg = { region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  counter = new StackCounter(moto.endpoint);
  aws = await startStrictAws(moto.endpoint);
  connect = serviceConnectProfile(aws);
}, 120_000);
afterAll(async () => {
  connect?.close();
  await aws?.stop();
  counter?.destroy();
  await moto?.stop();
});

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  json: { ok: boolean; calls?: { mutating: number; read: number }; steps: { id: string; outcome: string; error?: string }[] };
}

const stateDirs = new Map<string, string>();
/** One state directory per stack, kept across runs (the rerun must resume from it). */
function stateDir(stack: string): string {
  if (!stateDirs.has(stack)) stateDirs.set(stack, tempDir('ecs-wizard-state-'));
  return stateDirs.get(stack)!;
}

/** Records with ids, hashes and the ALB's DNS number replaced, as test/fixtures/previous-release/state.json holds them. */
function normalised(resources: Record<string, { status: string; outputs: object }>): Record<string, { status: string; outputs: object }> {
  const norm = (v: unknown): unknown => {
    if (typeof v === 'string') {
      return v
        .replace(/\b(vpc|subnet|igw|sg|rtb|rtbassoc|lt|ami)-[0-9a-f]{8,}\b/g, '$1-<id>')
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
        .replace(/\/[0-9a-f]{16}\b/g, '/<hex>')
        .replace(/-alb-\d+\./g, '-alb-<n>.');
    }
    if (Array.isArray(v)) return v.map(norm);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]));
    return v;
  };
  return Object.fromEntries(Object.entries(resources).map(([id, r]) => [id, { status: r.status, outputs: norm(r.outputs) as object }]));
}

/**
 * Runs `ecs-wizard create` as a child; while it runs, plays the ECS agent for the stack's instances.
 * `endpoint`: where the CLI sends its calls (moto, or a strict-AWS proxy in front of it).
 */
async function create(stack: string, answers: object, extraArgs: string[] = [], endpoint = moto.endpoint): Promise<CliRun> {
  const dir = tempDir('ecs-wizard-create-');
  const file = path.join(dir, 'answers.json');
  writeFileSync(file, JSON.stringify({ stack, region: 'us-east-1', ...answers }));
  const { code, stdout, stderr } = await runCliWithAgents(
    ['create', '--answers', file, '--yes', '--endpoint-url', endpoint, '--state-dir', stateDir(stack), '--output', 'json', '--wait-timeout', '120', ...extraArgs],
    { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...moto.env() }, endpoint: moto.endpoint, stack },
  );
  let json: CliRun['json'];
  try {
    json = JSON.parse(stdout);
  } catch {
    throw new Error(`create printed no JSON (exit ${code}):\n${stdout}\n${stderr}`);
  }
  return { code, stdout, stderr, json };
}

describe('ecs-wizard create on moto (built CLI)', () => {
  it('builds every resource with every link, and a second run changes nothing', async () => {
    const stack = 'accept-lt';
    const n = oneServiceNames(stack);
    const secretArn = 'arn:aws:ssm:us-east-1:123456789012:parameter/accept/api-key';
    const answers = {
      instances: { desiredCapacity: 2, maxSize: 4 },
      service: { desiredCount: 2, containerPort: 80, logRetentionDays: 30, environment: { DB_PASSWORD: 'hunter2-plain' }, secrets: { API_KEY: secretArn } },
      cluster: { containerInsights: true },
    };

    // (the parameter the secret names exists: create checks that before anything is made)
    const ssm = new SSMClient(cfg);
    await ssm.send(new PutParameterCommand({ Name: '/accept/api-key', Type: 'SecureString', Value: 'k3y' }));
    ssm.destroy();

    // WHEN create runs (waits on, the fake agent joining the instances)
    const first = await create(stack, answers);

    // THEN it succeeded, every wait ran, and exit code is 0
    expect(first.json.steps.filter((s) => s.outcome === 'failed'), first.stderr).toEqual([]);
    expect(first.code).toBe(0);
    const outcome = Object.fromEntries(first.json.steps.map((s) => [s.id, s.outcome]));
    expect(outcome).toMatchObject({ 'instances-in-service': 'waited', 'service-stable': 'waited' });

    const ec2 = new EC2Client(cfg);
    const elb = new ElasticLoadBalancingV2Client(cfg);
    const as = new AutoScalingClient(cfg);
    const ecs = new ECSClient(cfg);
    try {
      const byTag = [{ Name: `tag:${STACK_TAG}`, Values: [stack] }];
      // Subnets in distinct AZs, routed to the internet gateway
      const subnets = (await ec2.send(new DescribeSubnetsCommand({ Filters: byTag }))).Subnets ?? [];
      expect(subnets).toHaveLength(2);
      expect(new Set(subnets.map((s) => s.AvailabilityZone)).size).toBe(2);
      const [rt] = (await ec2.send(new DescribeRouteTablesCommand({ Filters: byTag }))).RouteTables ?? [];
      expect(rt!.Routes).toContainEqual(expect.objectContaining({ DestinationCidrBlock: '0.0.0.0/0', GatewayId: expect.stringMatching(/^igw-/) }));
      expect(new Set((rt!.Associations ?? []).map((a) => a.SubnetId))).toEqual(new Set(subnets.map((s) => s.SubnetId)));

      // Instance SG admits only the ALB SG
      const sgs = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: byTag }))).SecurityGroups ?? [];
      const albSg = sgs.find((g) => g.GroupName === n.albSecurityGroup)!;
      const instanceSg = sgs.find((g) => g.GroupName === n.instanceSecurityGroup)!;
      const fromAlb = (instanceSg.IpPermissions ?? []).flatMap((p) => p.UserIdGroupPairs ?? []).map((p) => p.GroupId);
      expect(fromAlb).toContain(albSg.GroupId);

      // Listener forwards to the target group
      const [lb] = (await elb.send(new DescribeLoadBalancersCommand({ Names: [n.loadBalancer] }))).LoadBalancers ?? [];
      const [tg] = (await elb.send(new DescribeTargetGroupsCommand({ Names: [n.targetGroup] }))).TargetGroups ?? [];
      const listeners = (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb!.LoadBalancerArn }))).Listeners ?? [];
      expect(listeners).toHaveLength(1);
      const forwardTo = listeners[0]!.DefaultActions?.[0]?.TargetGroupArn ?? listeners[0]!.DefaultActions?.[0]?.ForwardConfig?.TargetGroups?.[0]?.TargetGroupArn;
      expect(forwardTo).toBe(tg!.TargetGroupArn);

      // ASG → launch template ($Latest), both subnets, the TG, propagated tags
      const [group] = (await as.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [n.autoScalingGroup] }))).AutoScalingGroups ?? [];
      expect(group!.LaunchTemplate?.LaunchTemplateName).toBe(n.launchTemplate);
      // Not attached to the target group: ECS registers the tasks on their dynamic ports.
      expect(group!.TargetGroupARNs ?? []).toEqual([]);
      expect(tg!.TargetGroupArn).toBeDefined();
      expect(new Set(group!.VPCZoneIdentifier!.split(','))).toEqual(new Set(subnets.map((s) => s.SubnetId)));
      expect(group!.Instances).toHaveLength(2);
      expect(group!.Tags).toContainEqual(expect.objectContaining({ Key: STACK_TAG, Value: stack, PropagateAtLaunch: true }));

      // Launch template: IMDSv2 with hop limit 2, user data naming the cluster
      const [version] = (await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: group!.LaunchTemplate!.LaunchTemplateId, Versions: ['$Latest'] }))).LaunchTemplateVersions ?? [];
      const data = version!.LaunchTemplateData!;
      expect(data.MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpPutResponseHopLimit: 2 });
      expect(Buffer.from(data.UserData!, 'base64').toString()).toContain(`ECS_CLUSTER=${n.cluster}`);
      expect(data.SecurityGroupIds).toEqual([instanceSg.GroupId]);
      expect(data.ImageId).toMatch(/^ami-/);

      // The group's two instances are in service for their agents to join; the service runs the
      // bridge-mode task definition behind the TG
      expect(group!.Instances?.filter((i) => i.LifecycleState === 'InService')).toHaveLength(2);
      const [service] = (await ecs.send(new DescribeServicesCommand({ cluster: n.cluster, services: [n.service] }))).services ?? [];
      expect(service!.status).toBe('ACTIVE');
      expect(service!.loadBalancers).toEqual([{ targetGroupArn: tg!.TargetGroupArn, containerName: n.container, containerPort: 80 }]);
      expect(service!.runningCount).toBe(2);
      const td = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: service!.taskDefinition! }))).taskDefinition!;
      expect(td.networkMode).toBe('bridge');
      expect(td.containerDefinitions![0]!.portMappings).toEqual([expect.objectContaining({ containerPort: 80, hostPort: 0 })]);

      // Logs: the group exists with the asked retention, and the container writes to it
      const logs = new CloudWatchLogsClient(cfg);
      const groups = (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: n.logGroup }))).logGroups ?? [];
      logs.destroy();
      expect(groups.map((g) => [g.logGroupName, g.retentionInDays])).toEqual([[n.logGroup, 30]]);
      expect(td.containerDefinitions![0]!.logConfiguration).toEqual({ logDriver: 'awslogs', options: { 'awslogs-group': n.logGroup, 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'ecs' } });
      // Secrets by reference, readable by the execution role; Container Insights on
      expect(td.containerDefinitions![0]!.secrets).toEqual([{ name: 'API_KEY', valueFrom: secretArn }]);
      const iam = new IAMClient(cfg);
      const policy = await iam.send(new GetRolePolicyCommand({ RoleName: n.executionRole, PolicyName: `${stack}-secrets` }));
      iam.destroy();
      expect(decodeURIComponent(policy.PolicyDocument!)).toContain(secretArn);
      const [cluster] = (await ecs.send(new DescribeClustersCommand({ clusters: [n.cluster], include: ['SETTINGS'] }))).clusters ?? [];
      expect(cluster!.settings).toContainEqual({ name: 'containerInsights', value: 'enabled' });
      // The secret-looking plain value is redacted in the state file and the JSON output, with a warning
      const stateText = readdirSync(stateDir(stack)).filter((f) => f.endsWith('.json')).map((f) => readFileSync(path.join(stateDir(stack), f), 'utf8')).join('\n');
      expect(stateText).toMatch(/"DB_PASSWORD":\s*"\*\*\*"/);
      expect(stateText).not.toContain('hunter2-plain');
      expect(first.stdout).not.toContain('hunter2-plain');
      expect(first.stderr).toContain('service.secrets');
    } finally {
      ec2.destroy();
      elb.destroy();
      as.destroy();
      ecs.destroy();
    }
    const before = await counter.count(stack);
    expect(before).toMatchObject({ vpcs: 1, subnets: 2, loadBalancers: 1, targetGroups: 1, launchTemplates: 1, autoScalingGroups: 1, clusters: 1, services: 1, taskDefinitions: 1 });

    // WHEN create runs again with the same answers
    const second = await create(stack, answers);

    // THEN nothing is created and not one mutating call is made
    expect(second.code, second.stderr).toBe(0);
    expect(second.json.calls?.mutating).toBe(0);
    expect(second.json.steps.filter((s) => !['exists', 'waited'].includes(s.outcome))).toEqual([]);
    expect(await counter.count(stack)).toEqual(before);

    // AND every role carries the account's permissions boundary, which the first create made (GetRole shows it)
    const iam = new IAMClient(cfg);
    const boundary = 'arn:aws:iam::123456789012:policy/ecs-wizard-boundary';
    const boundaries = async () =>
      Promise.all([n.instanceRole, n.executionRole].map(async (RoleName) => (await iam.send(new GetRoleCommand({ RoleName }))).Role?.PermissionsBoundary?.PermissionsBoundaryArn));
    try {
      expect(await boundaries()).toEqual([boundary, boundary]);

      // GIVEN the stack as the release before boundaries left it: roles without one, and no boundary policy in the account
      // (this release's stack with the boundary taken off is what the previous release leaves: the same roles, state and resources)
      for (const RoleName of [n.instanceRole, n.executionRole]) await iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName }));
      await iam.send(new DeletePolicyCommand({ PolicyArn: boundary }));
      // WHEN create runs THEN it changes nothing — the boundary is not made while no role needs creating — and says once what to do
      const previous = await create(stack, answers, ['--no-wait']);
      expect(previous.code, previous.stderr).toBe(0);
      expect(previous.json.calls?.mutating).toBe(0);
      expect(previous.stderr.match(/carry no permissions boundary: run `ecs-wizard iam bootstrap`/g)).toHaveLength(1);
      expect(await boundaries()).toEqual([undefined, undefined]);

      // GIVEN an administrator ran `iam bootstrap` WHEN create runs THEN both roles get the boundary: two mutating calls, nothing else
      const boot = await runCli(['iam', 'bootstrap', '--endpoint-url', moto.endpoint, '--output', 'json'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...moto.env() } });
      expect(JSON.parse(boot.stdout).boundary.status, boot.stderr).toBe('created');
      const bounded = await create(stack, answers, ['--no-wait']);
      expect(bounded.code, bounded.stderr).toBe(0);
      expect(bounded.json.calls?.mutating).toBe(2);
      expect(await boundaries()).toEqual([boundary, boundary]);
      // WHEN create runs once more THEN not one mutating call
      const third = await create(stack, answers, ['--no-wait']);
      expect(third.json.calls?.mutating, third.stderr).toBe(0);
      expect(await counter.count(stack)).toEqual(before);
    } finally {
      iam.destroy();
    }
  }, 240_000);

  it('legacy launch-configuration mode: the group uses one launch configuration, and a rerun adds none', async () => {
    const stack = 'accept-lc';
    const n = oneServiceNames(stack);
    const answers = { network: { vpcCidr: '10.9.0.0/16', subnetCidrs: ['10.9.0.0/24', '10.9.1.0/24'] }, instances: { launch: 'configuration', desiredCapacity: 1, minSize: 1 }, service: { desiredCount: 2 } };

    const first = await create(stack, answers);
    expect(first.code, first.stderr).toBe(0);

    const as = new AutoScalingClient(cfg);
    try {
      const [group] = (await as.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [n.autoScalingGroup] }))).AutoScalingGroups ?? [];
      expect(group!.LaunchConfigurationName).toBe(n.launchConfiguration);
      expect(group!.LaunchTemplate).toBeUndefined();
      const lcs = (await as.send(new DescribeLaunchConfigurationsCommand({ LaunchConfigurationNames: [n.launchConfiguration] }))).LaunchConfigurations ?? [];
      expect(lcs).toHaveLength(1);
      expect(Buffer.from(lcs[0]!.UserData!, 'base64').toString()).toContain(`ECS_CLUSTER=${n.cluster}`);
    } finally {
      as.destroy();
    }
    const before = await counter.count(stack);
    expect(before).toMatchObject({ launchConfigurations: 1, launchTemplates: 0, autoScalingGroups: 1 });

    const second = await create(stack, answers);
    expect(second.code, second.stderr).toBe(0);
    expect(second.json.calls?.mutating).toBe(0);
    expect(await counter.count(stack)).toEqual(before);
  }, 180_000);

  it('reuse mode: an existing VPC and subnets are used and nothing network-wide is created; bad ids exit 2 with nothing made', async () => {
    // GIVEN a VPC with two subnets in two zones, made by someone else (internet route, public IPs)
    const ec2 = new EC2Client(cfg);
    try {
      const { vpcId, subnetIds } = await existingNetwork(ec2, '10.77');
      const stack = 'accept-reuse';
      const n = oneServiceNames(stack);

      // WHEN the stack is created in it
      const run = await create(stack, { network: { vpcId, subnetIds }, service: { desiredCount: 2 }, instances: { desiredCapacity: 1 } });

      // THEN it succeeds, the group runs in those subnets, and no VPC, subnet, gateway or route table carries the stack's tag
      expect(run.code, run.stderr).toBe(0);
      const as = new AutoScalingClient(cfg);
      const [group] = (await as.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [n.autoScalingGroup] }))).AutoScalingGroups ?? [];
      as.destroy();
      expect(group!.VPCZoneIdentifier!.split(',').sort()).toEqual([...subnetIds].sort());
      expect(await counter.count(stack)).toMatchObject({ vpcs: 0, subnets: 0, internetGateways: 0, routeTables: 0, securityGroups: 2 });
      expect((await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))).Vpcs).toHaveLength(1);

      // WHEN another stack names a VPC that does not exist
      const bad = await create('accept-badvpc', { network: { vpcId: 'vpc-0123456789abcdef0', subnetIds } });
      // THEN exit 2 naming the field, and nothing of that stack exists — not even the independent branches
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('network.vpcId');
      const left = Object.entries(await counter.count('accept-badvpc')).filter(([, v]) => v > 0);
      expect(left).toEqual([]);
    } finally {
      ec2.destroy();
    }
  }, 180_000);

  it('--dry-run on a new stack reports the full plan, makes zero mutating calls and creates nothing', async () => {
    const stack = 'accept-dry';
    const run = await create(stack, { network: { vpcCidr: '10.55.0.0/16', subnetCidrs: ['10.55.0.0/24', '10.55.1.0/24'] } }, ['--dry-run']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.calls?.mutating).toBe(0);
    const outcomes = new Set(run.json.steps.map((x) => x.outcome));
    // every resource would be created; waits are skipped
    expect([...outcomes].sort()).toEqual(['skipped', 'would-create']);
    expect(run.json.steps.filter((x) => x.outcome === 'would-create').length).toBeGreaterThanOrEqual(20);
    expect(Object.entries(await counter.count(stack)).filter(([, v]) => v > 0)).toEqual([]);
    expect(readdirSync(stateDir(stack)).filter((f) => f.endsWith('.json'))).toEqual([]);
  }, 120_000);
  it('a stack the previous release made reruns with 0 mutating calls, its state untouched', async () => {
    // GIVEN the state the previous release (main at 97ce00e, built and run on moto with these answers)
    // wrote, ids and hashes normalised: test/fixtures/previous-release/state.json
    const fixture = JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/previous-release/state.json'), 'utf8')) as { answers: object; resources: Record<string, { status: string; outputs: object }> };
    const { stack, ...answers } = JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/previous-release/answers.json'), 'utf8')) as { stack: string };
    // WHEN this release creates the same stack from the same answers
    const first = await create(stack, answers, ['--no-wait']);
    expect(first.code, first.stderr).toBe(0);
    // THEN it records exactly what the previous release recorded: the same step ids and records (names,
    // families, target group, policies …) and the answers in the `service:` shape, byte for byte — so
    // the previous release's stack is this one, found by the same ids and names
    const file = path.join(stateDir(stack), `${stack}.json`);
    const state = JSON.parse(readFileSync(file, 'utf8')) as { answers: object; resources: Record<string, { status: string; outputs: object }> };
    expect(JSON.stringify(state.answers)).toBe(JSON.stringify(fixture.answers));
    expect(normalised(state.resources)).toEqual(fixture.resources);
    // WHEN it runs again THEN not one mutating call, and the state's answers and records are as they were
    const before = readFileSync(file, 'utf8');
    const again = await create(stack, answers, ['--no-wait']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json.calls?.mutating).toBe(0);
    const after = JSON.parse(readFileSync(file, 'utf8')) as typeof state;
    expect(JSON.stringify(after.answers)).toBe(JSON.stringify(JSON.parse(before).answers));
    expect(after.resources).toEqual(JSON.parse(before).resources);
  }, 120_000);

  it('three services on one ALB, one ASG, one cluster: web by default, api on /api/*, a worker, api and worker found by Service Connect; removing the worker deletes it alone; destroy leaves nothing', async () => {
    const stack = 'multi';
    const services = {
      web: { image: 'nginx:1.27', containerPort: 80, desiredCount: 2 },
      api: { image: 'nginx:1.27', containerPort: 8080, path: '/api/*', desiredCount: 2, healthCheckPath: '/api/health', discovery: true },
      worker: { image: 'busybox:1.36', command: ['sleep', '3600'], loadBalanced: false, desiredCount: 2, containerPort: 9000, discovery: true },
    };
    const answers = { instances: { desiredCapacity: 2, maxSize: 4 }, services };
    // (through the strict-AWS proxy: Cloud Map's operations take a while, ECS shows the Service Connect
    // configuration a service runs and makes the Cloud Map services of discovery names, which moto does not)
    aws.rules(connect.rules);
    const sd = new ServiceDiscoveryClient(cfg);
    // WHEN create runs
    const first = await create(stack, answers, ['--no-wait'], aws.endpoint);
    // THEN one ALB, one group, one cluster; 2 target groups (no worker's), 1 rule (api's), 3 services, 3 families; one namespace
    expect(first.code, first.stderr).toBe(0);
    expect(await counter.count(stack)).toMatchObject({ loadBalancers: 1, listeners: 1, listenerRules: 1, autoScalingGroups: 1, clusters: 1, targetGroups: 2, services: 3, taskDefinitions: 3, namespaces: 1 });
    expect(aws.fired(RULE_SERVICE_CONNECT.operationPending)).toBe(1);
    const ids = first.json.steps.map((x) => x.id);
    expect(ids).toEqual(expect.arrayContaining(['target-group:web', 'target-group:api', 'listener-rule:api', 'service:web', 'service:api', 'service:worker', 'task-definition:worker']));
    expect(ids.filter((id) => id.startsWith('target-group') || id.startsWith('listener-rule'))).toEqual(['target-group:web', 'target-group:api', 'listener-rule:api']);

    const elb = new ElasticLoadBalancingV2Client(cfg);
    const ecs = new ECSClient(cfg);
    try {
      // AND the listener forwards by default to web's target group, api's rule /api/* to api's; each tagged with its service
      const [lb] = (await elb.send(new DescribeLoadBalancersCommand({ Names: [`${stack}-alb`] }))).LoadBalancers ?? [];
      const [listener] = (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb!.LoadBalancerArn }))).Listeners ?? [];
      const recorded = JSON.parse(readFileSync(path.join(stateDir(stack), `${stack}.json`), 'utf8')) as { resources: Record<string, { outputs: { targetGroupName?: string } }> };
      const tgName = (svc: string): string => recorded.resources[`target-group:${svc}`]!.outputs.targetGroupName!;
      expect([tgName('web'), tgName('api')]).toEqual([expect.stringMatching(/^multi-web-[0-9a-f]{4}$/), expect.stringMatching(/^multi-api-[0-9a-f]{4}$/)]);
      const byTg = Object.fromEntries(((await elb.send(new DescribeTargetGroupsCommand({ Names: [tgName('web'), tgName('api')] }))).TargetGroups ?? []).map((t) => [t.TargetGroupName, t]));
      const tgs = { [`${stack}--web`]: byTg[tgName('web')], [`${stack}--api`]: byTg[tgName('api')] };
      expect(listener!.DefaultActions![0]!.TargetGroupArn).toBe(tgs[`${stack}--web`]!.TargetGroupArn);
      expect(tgs[`${stack}--api`]!.HealthCheckPath).toBe('/api/health');
      const rules = ((await elb.send(new DescribeRulesCommand({ ListenerArn: listener!.ListenerArn }))).Rules ?? []).filter((r) => !r.IsDefault);
      expect(rules.map((r) => [r.Priority, r.Conditions?.[0]?.Field, r.Conditions?.[0]?.PathPatternConfig?.Values ?? r.Conditions?.[0]?.Values, r.Actions?.[0]?.TargetGroupArn])).toEqual([
        ['100', 'path-pattern', ['/api/*'], tgs[`${stack}--api`]!.TargetGroupArn],
      ]);
      const ruleTags = (await elb.send(new DescribeTagsCommand({ ResourceArns: [rules[0]!.RuleArn!] }))).TagDescriptions?.[0]?.Tags ?? [];
      expect(ruleTags).toEqual(expect.arrayContaining([{ Key: STACK_TAG, Value: stack }, { Key: 'ecs-wizard:service', Value: 'api' }]));
      // AND the worker has no load balancer, runs its command, and has no port mapping
      const described = (await ecs.send(new DescribeServicesCommand({ cluster: stack, services: [`${stack}--web`, `${stack}--api`, `${stack}--worker`], include: ['TAGS'] }))).services ?? [];
      const byName = Object.fromEntries(described.map((x) => [x.serviceName, x]));
      expect(byName[`${stack}--api`]!.loadBalancers).toEqual([{ targetGroupArn: tgs[`${stack}--api`]!.TargetGroupArn, containerName: 'app', containerPort: 8080 }]);
      expect(byName[`${stack}--worker`]!.loadBalancers ?? []).toEqual([]);
      expect(byName[`${stack}--worker`]!.tags).toEqual(expect.arrayContaining([{ key: 'ecs-wizard:service', value: 'worker' }]));
      const worker = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: byName[`${stack}--worker`]!.taskDefinition! }))).taskDefinition!;
      expect(worker.family).toBe(`${stack}--worker`);
      expect(worker.containerDefinitions![0]!.command).toEqual(['sleep', '3600']);
      expect(worker.containerDefinitions![0]!.logConfiguration?.options?.['awslogs-stream-prefix']).toBe('worker');
      // AND Service Connect: the namespace multi.internal, tagged; api and worker serve by their names on named
      // HTTP port mappings, web is a client only (as ECS shows them, on the proxy: moto forgets the configuration)
      const namespaces = ((await sd.send(new ListNamespacesCommand({}))).Namespaces ?? []).filter((x) => x.Name === `${stack}.internal`);
      expect(namespaces.map((x) => x.Type)).toEqual(['HTTP']);
      expect((await sd.send(new ListTagsForResourceCommand({ ResourceARN: namespaces[0]!.Arn }))).Tags).toEqual(expect.arrayContaining([{ Key: STACK_TAG, Value: stack }]));
      expect(worker.containerDefinitions![0]!.portMappings).toEqual([{ containerPort: 9000, hostPort: 0, protocol: 'tcp', name: 'worker', appProtocol: 'http' }]);
      const web = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: byName[`${stack}--web`]!.taskDefinition! }))).taskDefinition!;
      expect(web.containerDefinitions![0]!.portMappings).toEqual([{ containerPort: 80, hostPort: 0, protocol: 'tcp' }]);
      const viaProxy = new ECSClient({ ...cfg, endpoint: aws.endpoint });
      const shown = (await viaProxy.send(new DescribeServicesCommand({ cluster: stack, services: [`${stack}--web`, `${stack}--api`, `${stack}--worker`] }))).services ?? [];
      viaProxy.destroy();
      const config = Object.fromEntries(shown.map((x) => [x.serviceName, x.deployments?.find((d) => d.status === 'PRIMARY')?.serviceConnectConfiguration]));
      expect(config).toEqual({
        [`${stack}--web`]: { enabled: true, namespace: namespaces[0]!.Arn },
        [`${stack}--api`]: { enabled: true, namespace: namespaces[0]!.Arn, services: [{ portName: 'api', discoveryName: 'api', clientAliases: [{ port: 8080, dnsName: 'api' }] }] },
        [`${stack}--worker`]: { enabled: true, namespace: namespaces[0]!.Arn, services: [{ portName: 'worker', discoveryName: 'worker', clientAliases: [{ port: 9000, dnsName: 'worker' }] }] },
      });
      expect(aws.fired(RULE_SERVICE_CONNECT.ecsMakesCloudMapService)).toBe(2);
      // AND the hosts reach each other's proxies on the dynamic host ports
      const ec2 = new EC2Client(cfg);
      const [hostsGroup] = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [`${stack}-instances`] }] }))).SecurityGroups ?? [];
      ec2.destroy();
      expect(hostsGroup!.IpPermissions!.filter((p) => p.UserIdGroupPairs?.some((g) => g.GroupId === hostsGroup!.GroupId)).map((p) => [p.FromPort, p.ToPort])).toEqual([[32768, 65535]]);
      // AND status says how the others call them
      const status = await runCli(['status', stack, '--endpoint-url', aws.endpoint, '--state-dir', stateDir(stack), '--output', 'json'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...moto.env() } });
      const byService = Object.fromEntries((JSON.parse(status.stdout) as { services: { name: string; discovery?: string }[] }).services.map((x) => [x.name, x.discovery]));
      expect(byService).toEqual({ web: undefined, api: 'http://api:8080', worker: 'http://worker:9000' });
    } finally {
      elb.destroy();
      ecs.destroy();
    }

    // WHEN create runs again THEN nothing changes (ECS shows each service running the configuration it was given)
    let before = await counter.count(stack);
    const again = await create(stack, answers, ['--no-wait'], aws.endpoint);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json.calls?.mutating).toBe(0);
    expect(aws.fired(RULE_SERVICE_CONNECT.ecsShowsConfiguration)).toBeGreaterThan(0);

    // Day 2 on the three services (the CLI as a user runs it; ECS read back with our own client)
    const env = { PATH: process.env.PATH ?? '', ...moto.env() };
    const day2 = (args: string[]) => runCli([...args, '--endpoint-url', aws.endpoint, '--state-dir', stateDir(stack), '--output', 'json'], { cwd: ROOT, env });
    const ecsRead = new ECSClient(cfg);
    const running = async (): Promise<Record<string, { taskDefinition?: string; deployments: string[] }>> => {
      const found = (await ecsRead.send(new DescribeServicesCommand({ cluster: stack, services: [`${stack}--web`, `${stack}--api`, `${stack}--worker`] }))).services ?? [];
      return Object.fromEntries(found.map((x) => [x.serviceName, { taskDefinition: x.taskDefinition, deployments: (x.deployments ?? []).map((d) => d.id!).sort() }]));
    };
    try {
      const beforeDeploy = await running();
      // WHEN deploy names no service on a stack of three THEN exit 2 naming them, and nothing changed
      const unnamed = await day2(['deploy', stack, '--image', 'nginx:1.28']);
      expect(unnamed.code).toBe(2);
      expect(unnamed.stderr).toContain('has 3 services (web, api, worker): say which one with --service');
      expect(await running()).toEqual(beforeDeploy);
      // WHEN deploy --service api ships a new image
      const ecsWrites: string[][] = [];
      aws.observe((req) => {
        if (req.service === 'ecs' && !req.read) ecsWrites.push([req.operation, String(req.json?.service ?? req.json?.family)]);
      });
      const deployed = await day2(['deploy', stack, '--service', 'api', '--image', 'nginx:1.28', '--no-wait']);
      expect(deployed.code, deployed.stderr).toBe(0);
      // THEN the only changes ECS was asked for are api's: a revision of its own family, its service moved to it
      expect(ecsWrites).toEqual([['RegisterTaskDefinition', `${stack}--api`], ['UpdateService', `${stack}--api`]]);
      // AND api runs that revision with the new image; web and the worker keep their revisions and deployments
      const afterDeploy = await running();
      expect(afterDeploy[`${stack}--api`]!.taskDefinition).toMatch(new RegExp(`:task-definition/${stack}--api:2$`));
      const apiTd = (await ecsRead.send(new DescribeTaskDefinitionCommand({ taskDefinition: afterDeploy[`${stack}--api`]!.taskDefinition! }))).taskDefinition!;
      expect(apiTd.containerDefinitions![0]!.image).toBe('nginx:1.28');
      expect(afterDeploy[`${stack}--web`]).toEqual(beforeDeploy[`${stack}--web`]);
      expect(afterDeploy[`${stack}--worker`]).toEqual(beforeDeploy[`${stack}--worker`]);
      // AND the release is api's: releases --service api lists it, web's history has only its first
      const releasesOf = async (svc: string) => (JSON.parse((await day2(['releases', stack, '--service', svc])).stdout) as { releases: { service?: string; image?: string }[] }).releases;
      expect((await releasesOf('api')).map((r) => [r.service, r.image])).toEqual([['api', 'nginx:1.28'], ['api', 'nginx:1.27']]);
      expect((await releasesOf('web')).map((r) => r.image)).toEqual(['nginx:1.27']);
      // AND rollback --service api goes back to the revision create started (its first release), api alone
      ecsWrites.length = 0;
      const back = await day2(['rollback', stack, '--service', 'api', '--no-wait']);
      expect(back.code, back.stderr).toBe(0);
      expect(ecsWrites).toEqual([['UpdateService', `${stack}--api`]]);
      expect((await running())[`${stack}--api`]!.taskDefinition).toMatch(new RegExp(`:task-definition/${stack}--api:1$`));
      // AND status lists the three, each with its route
      const status = JSON.parse((await day2(['status', stack])).stdout) as { services: { name: string; route: string }[] };
      expect(status.services.map((x) => [x.name, x.route])).toEqual([
        ['web', 'default → web:80'],
        ['api', '/api/* → api:8080; http://api:8080 inside the stack'],
        ['worker', 'worker: no load balancer; http://worker:9000 inside the stack'],
      ]);
      // AND logs without --service interleave the services' lines in time order, each naming its service
      const logs = new CloudWatchLogsClient(cfg);
      try {
        const group = `/ecs/${stack}`;
        const now = Date.now();
        for (const [svc, task, ago, message] of [['api', 'a1', 3000, 'GET /api/orders 200'], ['worker', 'w1', 2000, 'job 7 done'], ['api', 'a1', 1000, 'GET /api/users 200']] as const) {
          const stream = `${svc}/app/${task}`;
          await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream })).catch(() => undefined);
          await logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: [{ timestamp: now - ago, message }] }));
        }
      } finally {
        logs.destroy();
      }
      const read = await day2(['logs', stack, '--since', '10m']);
      expect(read.code, read.stderr).toBe(0);
      const lines = read.stdout.trim().split('\n').map((l) => JSON.parse(l) as { service?: string; message: string });
      expect(lines.map((l) => [l.service, l.message])).toEqual([['api', 'GET /api/orders 200'], ['worker', 'job 7 done'], ['api', 'GET /api/users 200']]);
      const apiOnly = await day2(['logs', stack, '--service', 'api', '--since', '10m']);
      expect(apiOnly.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { message: string }).message)).toEqual(['GET /api/orders 200', 'GET /api/users 200']);
    } finally {
      ecsRead.destroy();
    }
    // (api is back on the answers' image: the answers file asks for what runs)
    before = await counter.count(stack);

    // WHEN the worker leaves the answers and a dry run looks
    const { worker: _gone, ...kept } = services;
    const dry = await create(stack, { ...answers, services: kept }, ['--dry-run'], aws.endpoint);
    // THEN it shows the worker's deletion, resource by resource, and changes nothing
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json.calls?.mutating).toBe(0);
    const plan = (dry.json as unknown as { plan: { removed?: { name: string; resources: string[] }[]; services: { route: string }[] } }).plan;
    expect(plan.removed).toEqual([{ name: 'worker', resources: expect.arrayContaining([`ECS service ${stack}--worker`, `Task definition ${stack}--worker`]) }]);
    expect(plan.services.map((x) => x.route)).toEqual(['default → web:80', '/api/* → api:8080; http://api:8080 inside the stack']);
    expect(await counter.count(stack)).toEqual(before);
    // WHEN create runs (--yes accepts the deletion)
    const removed = await create(stack, { ...answers, services: kept }, ['--no-wait'], aws.endpoint);
    // THEN the worker's service and task definitions are gone and nothing shared moved: every step of the
    // plan found its resource (no create, no update), the rest counts as before
    expect(removed.code, removed.stderr).toBe(0);
    const json = removed.json as CliRun['json'] & { removed?: string[]; removedSteps?: { id: string; outcome: string }[] };
    expect(json.removed).toEqual(['worker']);
    expect(json.steps.filter((x) => !['exists', 'skipped'].includes(x.outcome))).toEqual([]);
    expect(Object.fromEntries(json.removedSteps!.map((x) => [x.id, x.outcome]))).toMatchObject({ 'service:worker': 'destroyed', 'task-definition:worker': 'destroyed', 'service-scaling:worker': 'destroyed' });
    // (its CPU policy's two alarms went with it: the count's alarm prefix covers every service of the stack)
    expect(await counter.count(stack)).toEqual({ ...before, services: 2, taskDefinitions: before.taskDefinitions - 1, alarms: before.alarms - 2 });
    // AND its records left the state
    const state = JSON.parse(readFileSync(path.join(stateDir(stack), `${stack}.json`), 'utf8')) as { resources: Record<string, unknown> };
    expect(Object.keys(state.resources).filter((id) => id.endsWith(':worker'))).toEqual([]);

    // WHEN the stack is destroyed THEN nothing of it is left: the namespace went after the services, with the
    // Cloud Map services ECS left in it (worker's too), through Cloud Map's ResourceInUse while they had instances
    const destroyed = await runCli(['destroy', stack, '--yes', '--endpoint-url', aws.endpoint, '--state-dir', stateDir(stack), '--output', 'json'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...moto.env() } });
    expect(destroyed.code, destroyed.stderr).toBe(0);
    expect(Object.entries(await counter.count(stack)).filter(([, v]) => v > 0)).toEqual([]);
    expect((await sd.send(new ListServicesCommand({}))).Services ?? []).toEqual([]);
    expect(aws.fired(RULE_SERVICE_CONNECT.serviceHasInstances)).toBeGreaterThan(0);
    expect(aws.fired(RULE_SERVICE_CONNECT.namespaceInUse)).toBeGreaterThan(0);
    expect(aws.fired(RULE_SERVICE_CONNECT.operationPending)).toBe(2);
    sd.destroy();
  }, 240_000);
});
