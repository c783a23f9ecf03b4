import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ACMClient, RequestCertificateCommand } from '@aws-sdk/client-acm';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand, ListStackResourcesCommand, type Parameter } from '@aws-sdk/client-cloudformation';
import { DescribeNatGatewaysCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { DescribeListenersCommand, DescribeLoadBalancersCommand, DescribeRulesCommand, DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import type { Template } from '../../src/export/cfn.js';
import { redactAnswers } from '../../src/wizard/redact.js';
import { validateAnswers } from '../../src/wizard/answers-file.js';
import { cfnLint } from '../support/cfn-lint.js';
import { startMoto, TEST_AWS_ENV, type Moto } from '../support/moto.js';
import { tempDir } from '../support/stack.js';
import { cliEnv, runCli } from '../e2e/cli.js';

/**
 * `ecs-wizard export` end to end: the built CLI writes the templates, cfn-lint judges them, and
 * moto's CloudFormation deploys one — read back with the SDK. Run `npm run build` first.
 */

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/export');
let moto: Moto;
let dir: string;

beforeAll(async () => {
  moto = await startMoto();
  dir = tempDir('ecs-wizard-export-');
});
afterAll(async () => {
  await moto?.stop();
});

/** The CLI with no way to reach AWS: any call it made would fail the command (nothing listens there). */
const offline = () => cliEnv({ ...TEST_AWS_ENV, AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_MAX_ATTEMPTS: '1' }, dir);

describe('export --format cloudformation', () => {
  it('writes templates cfn-lint finds no error in, the same bytes every time, without any AWS call', { timeout: 120_000 }, async () => {
    // GIVEN every key (full.yaml), the README's production shape, and everything brought by the user
    const names = ['full', 'production', 'existing-network'];
    const exported = async (name: string, out: string): Promise<string> => {
      const r = await runCli(['export', '--answers', path.join(fixtures, `${name}.yaml`), '--format', 'cloudformation', '--out', out], { env: offline(), cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`Wrote ${out}`);
      return readFileSync(out, 'utf8');
    };
    // WHEN each is exported (full.yaml twice)
    const files = names.map((name) => path.join(dir, `${name}.yaml`));
    const texts = await Promise.all(names.map((name, i) => exported(name, files[i]!)));
    // THEN the two runs wrote the same bytes
    expect(await exported('full', path.join(dir, 'full-again.yaml'))).toBe(texts[0]);
    // AND cfn-lint finds no error in any of them — while it does find the one put into a copy (it is a real judge)
    const broken = path.join(dir, 'broken.yaml');
    writeFileSync(broken, texts[1]!.replaceAll('Ref: ShopWebTargetGroup', 'Ref: NoSuchTargetGroup'));
    const findings = cfnLint([...files, broken]);
    expect(findings.filter((m) => m.level === 'Error' && m.file !== broken)).toEqual([]);
    expect(findings.filter((m) => m.file === broken && m.level === 'Error').map((m) => m.rule)).toContain('E1020');
    const warnings = findings.filter((m) => m.file !== broken);
    console.log(`export: cfn-lint on ${names.join(', ')}: ${warnings.length} warnings (${[...new Set(warnings.map((m) => m.rule))].join(', ') || 'none'})`);
  });

  it('bad input is exit 2 naming each problem, before anything is read', async () => {
    const r = await runCli(['export', '--format', 'terraform', '--output', 'json'], { env: offline(), cwd: dir });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.problems).toEqual([
      { path: '--format', message: 'must be one of: cloudformation; got "terraform"' },
      { path: 'STACK', message: expect.stringContaining('--answers FILE') },
    ]);
    const none = await runCli(['export', 'shop-wbe', '--format', 'cloudformation', '--state-dir', path.join(dir, 'empty')], { env: offline(), cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no stack shop-wbe');
  });

  it("from a stack's recorded answers it deploys on moto's CloudFormation to CREATE_COMPLETE: the wizard's resource kinds, read back", { timeout: 180_000 }, async () => {
    // GIVEN the state a create left: HTTPS on a domain with the user's certificate, private hosts behind a NAT gateway
    // per zone, Spot, logs; the stack's own service (a secret, a task role, scaling on CPU and requests), api on
    // /api/*, a worker (moto's CloudFormation names an
    // unnamed ECR repository with capitals, which ECR refuses — AWS lowercases it — so this stack has none)
    const stateDir = path.join(dir, 'states');
    mkdirSync(stateDir, { recursive: true });
    const answers = validateAnswers({
      stack: 'shop-web',
      region: 'us-east-1',
      network: { availabilityZones: ['us-east-1a', 'us-east-1b'], instanceSubnets: 'private', natGateways: 2 },
      loadBalancer: { domain: 'app.example.com', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012' },
      instances: { spot: { instanceTypes: ['t3.small', 't3a.small'], onDemandBaseCapacity: 1 } },
      services: {
        'shop-web': { environment: { LOG_LEVEL: 'info', API_TOKEN: 'hunter2' }, secrets: { DB_PASSWORD: '/shop/db' }, taskRolePolicies: ['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess'], scaling: { minCount: 1, maxCount: 6, targetCpuPercent: 55, requestsPerTarget: 400 } },
        api: { image: 'ghcr.io/acme/api:4.2', containerPort: 8080, path: '/api/*' },
        worker: { image: 'ghcr.io/acme/worker:4.2', command: ['node', 'worker.js'], loadBalanced: false, desiredCount: 1 },
      },
      scaling: { service: { enabled: false } },
    });
    const now = '2026-12-06T10:00:00.000Z';
    const state = {
      version: 1,
      stack: 'shop-web',
      region: 'us-east-1',
      createdAt: now,
      updatedAt: now,
      answers: redactAnswers(answers),
      resources: { 'hosted-zone': { stepId: 'hosted-zone', status: 'created', external: true, outputs: { hostedZoneId: 'Z0RECORDED0ZONE', zoneName: 'example.com.' }, updatedAt: now } },
    };
    writeFileSync(path.join(stateDir, 'shop-web.json'), JSON.stringify(state));

    // WHEN it is exported from the state (no AWS call: nothing answers at the endpoint)
    const file = path.join(dir, 'from-state.yaml');
    const r = await runCli(['export', 'shop-web', '--format', 'cloudformation', '--out', file, '--state-dir', stateDir, '--output', 'json'], { env: offline(), cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ stack: 'shop-web', from: 'state', out: file, calls: { mutating: 0, read: 0 } });
    const text = readFileSync(file, 'utf8');
    const template = parse(text) as Template;
    // THEN the recorded zone is the default, the redacted value a NoEcho parameter
    expect(template.Parameters.HostedZoneId!.Default).toBe('Z0RECORDED0ZONE');
    expect(template.Parameters.ShopWebEnvApiToken).toMatchObject({ NoEcho: true });
    expect(text).not.toContain('hunter2');

    // AND deployed on moto under a new stack name, with the certificate and zone of this account
    const aws = { endpoint: moto.endpoint, region: 'us-east-1' };
    const certificateArn = (await new ACMClient(aws).send(new RequestCertificateCommand({ DomainName: 'app.example.com', ValidationMethod: 'DNS' }))).CertificateArn!;
    const zone = (await new Route53Client(aws).send(new CreateHostedZoneCommand({ Name: 'example.com', CallerReference: `export-${Date.now()}` }))).HostedZone!.Id!.replace('/hostedzone/', '');
    const p = (ParameterKey: string, ParameterValue: string): Parameter => ({ ParameterKey, ParameterValue });
    const cfn = new CloudFormationClient({ ...aws, maxAttempts: 1 });
    await cfn.send(
      new CreateStackCommand({
        StackName: 'shop-web-cfn',
        TemplateBody: text,
        Capabilities: ['CAPABILITY_IAM'],
        // (moto applies a List parameter's default unsplit, so the zones are passed as AWS would read the default)
        Parameters: [p('CertificateArn', certificateArn), p('HostedZoneId', zone), p('ShopWebEnvApiToken', 'from-a-vault'), p('AvailabilityZones', 'us-east-1a,us-east-1b')],
      }),
    );
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'shop-web-cfn' }))).Stacks![0]!;
    expect(stack.StackStatus, stack.StackStatusReason).toBe('CREATE_COMPLETE');

    // THEN moto made every resource but the kinds its CloudFormation skips (with a warning), which the test names
    const made = new Map(((await cfn.send(new ListStackResourcesCommand({ StackName: 'shop-web-cfn' }))).StackResourceSummaries ?? []).filter((x) => x.LogicalResourceId).map((x) => [x.LogicalResourceId!, x]));
    const skipped = Object.entries(template.Resources).filter(([id]) => !made.has(id)).map(([id, res]) => `${id} ${res.Type}`);
    expect(skipped).toEqual([
      'CapacityProvider AWS::ECS::CapacityProvider',
      'ClusterCapacityProviders AWS::ECS::ClusterCapacityProviderAssociations',
      'ShopWebScalableTarget AWS::ApplicationAutoScaling::ScalableTarget',
      'ShopWebCpuScaling AWS::ApplicationAutoScaling::ScalingPolicy',
      'ShopWebRequestScaling AWS::ApplicationAutoScaling::ScalingPolicy',
    ]);
    expect(made.has('ApiListenerRule') && made.has('WorkerTaskDefinition')).toBe(true);
    for (const x of made.values()) expect(x.ResourceStatus, x.LogicalResourceId).toBe('CREATE_COMPLETE');
    const id = (logical: string): string => made.get(logical)!.PhysicalResourceId!;

    // AND read back with the SDK, the shape is the wizard's: the VPC and its NAT gateways
    const ec2 = new EC2Client(aws);
    expect((await ec2.send(new DescribeVpcsCommand({ VpcIds: [id('Vpc')] }))).Vpcs![0]!.CidrBlock).toBe('10.0.0.0/16');
    const nats = (await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [id('NatGateway1'), id('NatGateway2')] }))).NatGateways!;
    expect(nats.map((n) => n.SubnetId).sort()).toEqual([id('PublicSubnet1'), id('PublicSubnet2')].sort());
    // AND the load balancer with its HTTPS listener and the :80 redirect, the target group
    const elb = new ElasticLoadBalancingV2Client(aws);
    const lb = (await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [id('LoadBalancer')] }))).LoadBalancers![0]!;
    expect(lb).toMatchObject({ Scheme: 'internet-facing', Type: 'application' });
    const listeners = (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners!;
    expect(listeners.map((l) => `${l.Protocol}:${l.Port}`).sort()).toEqual(['HTTP:80', 'HTTPS:443']);
    const tg = (await elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [id('ShopWebTargetGroup')] }))).TargetGroups![0]!;
    expect(tg).toMatchObject({ Protocol: 'HTTP', TargetType: 'instance', HealthCheckPath: '/', VpcId: id('Vpc') });
    const https = listeners.find((l) => l.Protocol === 'HTTPS')!;
    const rules = (await elb.send(new DescribeRulesCommand({ ListenerArn: https.ListenerArn }))).Rules!.filter((x) => !x.IsDefault);
    expect(rules.map((x) => [x.Priority, x.Conditions?.[0]?.Values ?? x.Conditions?.[0]?.PathPatternConfig?.Values, x.Actions?.[0]?.TargetGroupArn])).toEqual([['100', ['/api/*'], id('ApiTargetGroup')]]);
    // AND the Auto Scaling group over the private subnets, Spot
    const asg = (await new AutoScalingClient(aws).send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [id('AutoScalingGroup')] }))).AutoScalingGroups![0]!;
    expect(asg.VPCZoneIdentifier!.split(',').sort()).toEqual([id('PrivateSubnet1'), id('PrivateSubnet2')].sort());
    expect(asg.MixedInstancesPolicy?.LaunchTemplate?.Overrides?.map((o) => o.InstanceType)).toEqual(['t3.small', 't3a.small']);
    // AND the cluster, the task definition and the service on it
    const ecs = new ECSClient(aws);
    const services = (await ecs.send(new DescribeServicesCommand({ cluster: id('Cluster'), services: [id('ShopWebService'), id('ApiService'), id('WorkerService')] }))).services!;
    expect(services.map((x) => x.status)).toEqual(['ACTIVE', 'ACTIVE', 'ACTIVE']);
    const service = services[0]!;
    const td = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: service.taskDefinition }))).taskDefinition!;
    expect(td.containerDefinitions![0]).toMatchObject({
      name: 'app',
      image: 'nginx:latest',
      environment: expect.arrayContaining([{ name: 'API_TOKEN', value: 'from-a-vault' }]),
    });
  });
});
