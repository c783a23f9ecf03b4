import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isWaitStep } from '../../../src/engine/types.js';
import type { Template, Value } from '../../../src/export/cfn.js';
import { exportStack } from '../../../src/export/index.js';
import { architectureOfName } from '../../../src/export/parts/compute.js';
import { kindOf, TEMPLATE_PARTS } from '../../../src/export/registry.js';
import { exportServices } from '../../../src/export/services.js';
import { buildTemplate } from '../../../src/export/template.js';
import { buildPlan } from '../../../src/steps/index.js';
import { validateAnswers } from '../../../src/wizard/answers-file.js';
import type { Answers } from '../../../src/wizard/schema.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/export');
const fixture = (name: string): Answers => validateAnswers(parse(readFileSync(path.join(fixtures, name), 'utf8')));

/** Answers that, between them, switch on every optional step of the plan. */
const VARIANTS: Record<string, Answers> = {
  default: validateAnswers({ stack: 'shop-web' }),
  full: fixture('full.yaml'),
  production: fixture('production.yaml'),
  'existing network, given certificate, launch configuration, ASG CPU policy': fixture('existing-network.yaml'),
  'HTTPS with a given certificate and a domain, public hosts': validateAnswers({
    stack: 'shop-web',
    loadBalancer: { domain: 'app.example.com', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012' },
  }),
};

/** Every name a Ref, Fn::GetAtt, Fn::Sub or DependsOn names (pseudo parameters left out), and every condition a resource or Fn::If names. */
function references(v: unknown, out = { names: new Set<string>(), conditions: new Set<string>() }) {
  if (Array.isArray(v)) v.forEach((x) => references(x, out));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === 'Ref' && typeof x === 'string') out.names.add(x);
      else if (k === 'Fn::GetAtt') out.names.add((x as string[])[0]!);
      else if (k === 'Fn::Sub' && typeof x === 'string') for (const m of x.matchAll(/\$\{([^}!.]+)(\.[^}]+)?\}/g)) out.names.add(m[1]!);
      else if (k === 'Fn::If') out.conditions.add((x as string[])[0]!);
      else if (k === 'Condition' && typeof x === 'string') out.conditions.add(x);
      else if (k === 'DependsOn') for (const d of x as string[]) out.names.add(d);
      references(x, out);
    }
  }
  return out;
}

function dangling(t: Template): string[] {
  const { names, conditions } = references({ Resources: t.Resources, Outputs: t.Outputs, Conditions: t.Conditions });
  const known = new Set([...Object.keys(t.Resources), ...Object.keys(t.Parameters)]);
  return [
    ...[...names].filter((n) => !n.startsWith('AWS::') && !known.has(n)),
    ...[...conditions].filter((c) => !(c in (t.Conditions ?? {}))).map((c) => `condition ${c}`),
  ];
}

describe('export walks the plan create runs', () => {
  it('every step kind a plan can produce has its part in the template', () => {
    // GIVEN the plans of answers that switch on every optional step
    const kinds = new Set(Object.values(VARIANTS).flatMap((a) => buildPlan(a).map((s) => kindOf(s.id))));
    // THEN each kind has its part, and every part belongs to a kind the plans produce (Service Connect's
    // namespace too: the full answers' worker asks to be found, so the plan has the step)
    expect([...kinds].filter((k) => !(k in TEMPLATE_PARTS))).toEqual([]);
    expect(Object.keys(TEMPLATE_PARTS).filter((k) => !kinds.has(k)).sort()).toEqual([]);
    expect(kinds.has('service-connect-namespace')).toBe(true);
  });

  it('a plan step without a part is an error naming it, never a silent gap', () => {
    // GIVEN a registry that forgot the NAT gateways
    const { 'nat-gateways': _forgotten, ...parts } = TEMPLATE_PARTS;
    // WHEN the production answers are exported with it  THEN it fails, naming the step
    expect(() => buildTemplate(VARIANTS.production!, { parts })).toThrow(/step nat-gateways has no part/);
  });

  it('wait steps contribute nothing: CloudFormation waits for what it makes', () => {
    const env = { answers: VARIANTS.full!, services: exportServices(VARIANTS.full!), planned: new Set<string>(), recorded: {} };
    const waits = Object.values(VARIANTS).flatMap((a) => buildPlan(a).filter(isWaitStep).map((s) => s.id));
    expect(waits.length).toBeGreaterThan(4);
    for (const id of waits) expect(TEMPLATE_PARTS[kindOf(id)]!.resources(env, exportServices(VARIANTS.full!)[0]!), id).toEqual({});
  });

  it.each(Object.entries(VARIANTS))('%s: every Ref, GetAtt, Sub, DependsOn and condition names something the template has', (_name, answers) => {
    const t = buildTemplate(answers);
    expect(dangling(t)).toEqual([]);
    expect(Object.keys(t.Resources).length).toBeGreaterThan(10);
  });

  it('the check catches a reference to nothing', () => {
    const t = buildTemplate(VARIANTS.default!);
    delete t.Resources.ExecutionRole;
    expect(dangling(t)).toEqual(['ExecutionRole']);
  });
});

describe('the template builds the same shape', () => {
  it('the full answers: each plan step made it into the template', () => {
    // GIVEN every key  WHEN exported
    const t = buildTemplate(VARIANTS.full!);
    const types = (type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type).map(([id]) => id);
    // THEN the network: three public and three private subnets, a NAT gateway with its address and route table per zone
    expect(types('AWS::EC2::Subnet')).toEqual(['PublicSubnet1', 'PublicSubnet2', 'PublicSubnet3', 'PrivateSubnet1', 'PrivateSubnet2', 'PrivateSubnet3']);
    expect(types('AWS::EC2::NatGateway')).toHaveLength(3);
    expect(types('AWS::EC2::EIP')).toHaveLength(3);
    expect(t.Resources.PrivateSubnet3RouteTableAssociation!.Properties.RouteTableId).toEqual({ Ref: 'PrivateRouteTable3' });
    // AND HTTPS: the requested certificate, the TLS 1.3 listener, the :80 redirect, the alias (optional)
    expect(t.Resources.Certificate!.Properties.DomainValidationOptions).toEqual([{ DomainName: { Ref: 'Domain' }, HostedZoneId: { Ref: 'HostedZoneId' } }]);
    expect(t.Resources.HttpsListener!.Properties).toMatchObject({ Protocol: 'HTTPS', Port: 443, SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06' });
    expect(t.Resources.RedirectListener!.Properties.DefaultActions).toEqual([{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }]);
    expect(t.Resources.AliasRecord!.Condition).toBe('CreateAliasRecord');
    // AND Spot on Graviton: a mixed instances policy over the types, arm64's AMI parameter, the agent draining Spot hosts
    expect(t.Resources.AutoScalingGroup!.Properties.MixedInstancesPolicy).toMatchObject({
      LaunchTemplate: { Overrides: [{ InstanceType: 'm7g.large' }, { InstanceType: 'm6g.large' }] },
      InstancesDistribution: { OnDemandBaseCapacity: 1, OnDemandPercentageAboveBaseCapacity: 25, SpotAllocationStrategy: 'price-capacity-optimized' },
    });
    expect(t.Parameters.EcsAmi).toMatchObject({ Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>', Default: '/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id' });
    expect(JSON.stringify(t.Resources.LaunchTemplate)).toContain('ECS_ENABLE_SPOT_INSTANCE_DRAINING=true');
    // AND the capacity provider with its association, which the service waits for
    expect(t.Resources.ClusterCapacityProviders!.Properties.DefaultCapacityProviderStrategy).toEqual([{ CapacityProvider: { Ref: 'CapacityProvider' }, Weight: 1, Base: 0 }]);
    expect(t.Resources.ShopWebService!.DependsOn).toEqual(['HttpsListener', 'ClusterCapacityProviders', 'ShopWebSecretsPolicy']);
    // AND the roles under the boundary parameter (default: the account's ecs-wizard-boundary, built at deploy time)
    for (const role of types('AWS::IAM::Role')) expect(t.Resources[role]!.Properties.PermissionsBoundary, role).toEqual(expect.objectContaining({ 'Fn::If': expect.any(Array) }));
    expect(JSON.stringify(t.Resources.InstanceRole)).toContain('arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/ecs-wizard-boundary');
    expect(types('AWS::IAM::Role')).toEqual(['InstanceRole', 'ExecutionRole', 'ShopWebTaskRole', 'ApiTaskRole']);
    // AND the secrets policy on exactly the named secrets (the SSM name as its ARN in the deploying account)
    expect(t.Resources.ShopWebSecretsPolicy!.Properties.PolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'ssm:GetParameters', Resource: [{ 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/shop/other' }, 'arn:aws:ssm:eu-west-1:123456789012:parameter/shop/db'] },
        { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: ['arn:aws:secretsmanager:eu-west-1:123456789012:secret:stripe-??????'] },
      ],
    });
    // AND service scaling on each metric each service names (its own scaling, else the stack's)
    expect(types('AWS::ApplicationAutoScaling::ScalingPolicy')).toEqual(['ShopWebCpuScaling', 'ShopWebMemoryScaling', 'ShopWebRequestScaling', 'ApiCpuScaling', 'AdminCpuScaling', 'WorkerCpuScaling']);
    expect(t.Resources.ApiScalableTarget!.Properties).toMatchObject({ MinCapacity: 2, MaxCapacity: 6 });
    expect(t.Resources.WorkerScalableTarget!.Properties).toMatchObject({ MinCapacity: 1, MaxCapacity: 4 });
    // AND the image from the stack's repository, at a tag parameter
    expect((t.Resources.ShopWebTaskDefinition!.Properties.ContainerDefinitions as { Image: Value }[])[0]!.Image).toEqual({ 'Fn::Sub': '${ShopWebRepository.RepositoryUri}:${ShopWebImageTag}' });
  });

  it('several services: one load balancer, a target group and a rule per routed service, a worker without either', () => {
    // GIVEN the stack's own service (default route), api on /api/*, admin on a host name, a worker found by Service Connect
    const t = buildTemplate(VARIANTS.full!);
    const r = t.Resources;
    const types = (type: string) => Object.entries(r).filter(([, x]) => x.Type === type).map(([id]) => id);
    // THEN one load balancer, one group of hosts, one cluster; three target groups, two rules, four services and families
    expect([types('AWS::ElasticLoadBalancingV2::LoadBalancer'), types('AWS::AutoScaling::AutoScalingGroup'), types('AWS::ECS::Cluster')]).toEqual([['LoadBalancer'], ['AutoScalingGroup'], ['Cluster']]);
    expect(types('AWS::ElasticLoadBalancingV2::TargetGroup')).toEqual(['ShopWebTargetGroup', 'ApiTargetGroup', 'AdminTargetGroup']);
    expect(types('AWS::ECS::Service')).toEqual(['ShopWebService', 'ApiService', 'AdminService', 'WorkerService']);
    expect(types('AWS::ECS::TaskDefinition')).toHaveLength(4);
    // AND the listener forwards by default to the stack's own service; the routes are rules on the HTTPS listener (the :80 redirect keeps redirecting)
    expect(r.HttpsListener!.Properties.DefaultActions).toEqual([{ Type: 'forward', TargetGroupArn: { Ref: 'ShopWebTargetGroup' } }]);
    expect(r.ApiListenerRule!.Properties).toEqual({
      ListenerArn: { Ref: 'HttpsListener' },
      Priority: 100,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } }],
      Actions: [{ Type: 'forward', TargetGroupArn: { Ref: 'ApiTargetGroup' } }],
    });
    expect(r.AdminListenerRule!.Properties).toMatchObject({ Priority: 5, Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['admin.shop.example.com'] } }] });
    // AND a routed service waits for its rule (ECS refuses a target group no listener uses)
    expect(r.ApiService!.DependsOn).toEqual(['ApiListenerRule', 'ClusterCapacityProviders', 'ApiSecretsPolicy']);
    expect(r.ApiTargetGroup!.Properties).toMatchObject({ Port: 8080, HealthCheckPath: '/api/health' });
    // AND the worker: no target group, no load balancer, its command, found as worker:9000 in the stack's namespace
    expect(r.WorkerService!.Properties.LoadBalancers).toBeUndefined();
    expect(r.WorkerService!.Properties.ServiceConnectConfiguration).toEqual({
      Enabled: true,
      Namespace: { 'Fn::GetAtt': ['ServiceConnectNamespace', 'Arn'] },
      Services: [{ PortName: 'worker', DiscoveryName: 'worker', ClientAliases: [{ Port: 9000, DnsName: 'worker' }] }],
    });
    expect(r.ApiService!.Properties.ServiceConnectConfiguration).toEqual({ Enabled: true, Namespace: { 'Fn::GetAtt': ['ServiceConnectNamespace', 'Arn'] } });
    // AND the namespace is the plan's own step's part (one, not also the cluster's), and the hosts reach each other's proxies
    expect(types('AWS::ServiceDiscovery::HttpNamespace')).toEqual(['ServiceConnectNamespace']);
    expect(r.InstanceSecurityGroupHostToHost).toEqual({
      Type: 'AWS::EC2::SecurityGroupIngress',
      Properties: expect.objectContaining({ GroupId: { 'Fn::GetAtt': ['InstanceSecurityGroup', 'GroupId'] }, SourceSecurityGroupId: { 'Fn::GetAtt': ['InstanceSecurityGroup', 'GroupId'] }, FromPort: 32768, ToPort: 65535 }),
    });
    const containers = (id: string) => (r[id]!.Properties.ContainerDefinitions as Record<string, Value>[])[0]!;
    expect(containers('WorkerTaskDefinition')).toMatchObject({ Command: ['node', 'worker.js'], PortMappings: [{ ContainerPort: 9000, HostPort: 0, Protocol: 'tcp', Name: 'worker', AppProtocol: 'http' }] });
    // AND each service logs under its own stream prefix (the stack's own under "ecs", as before); admin does not log
    expect((containers('ShopWebTaskDefinition').LogConfiguration as { Options: Record<string, Value> }).Options['awslogs-stream-prefix']).toBe('ecs');
    expect((containers('ApiTaskDefinition').LogConfiguration as { Options: Record<string, Value> }).Options['awslogs-stream-prefix']).toBe('api');
    expect(containers('AdminTaskDefinition').LogConfiguration).toBeUndefined();
    // AND ECS Exec on api: enabled on the service, a task role carrying the Session Manager channel
    expect(r.ApiService!.Properties.EnableExecuteCommand).toBe(true);
    expect(r.ApiTaskDefinition!.Properties.TaskRoleArn).toEqual({ 'Fn::GetAtt': ['ApiTaskRole', 'Arn'] });
    expect(JSON.stringify(r.ApiTaskRole!.Properties.Policies)).toContain('ssmmessages:OpenDataChannel');
    // AND each service's image and desired count are its own parameters
    expect(Object.keys(t.Parameters).filter((p) => /(Image|ImageTag|DesiredCount)$/.test(p))).toEqual([
      'ShopWebImageTag', 'ShopWebDesiredCount', 'ApiImage', 'ApiDesiredCount', 'AdminImage', 'AdminDesiredCount', 'WorkerImage', 'WorkerDesiredCount',
    ]);
  });

  it('images, desired counts and the domain are parameters with the answers as defaults', () => {
    const t = buildTemplate(VARIANTS.production!);
    expect(t.Parameters.ShopWebImage).toMatchObject({ Type: 'String', Default: 'nginx:latest' });
    expect(t.Parameters.ShopWebDesiredCount).toMatchObject({ Type: 'Number', Default: 2 });
    expect(t.Parameters.Domain).toMatchObject({ Type: 'String', Default: 'app.example.com' });
    // (the zone an answers file cannot name has no default; a state's recorded zone is the default)
    expect(t.Parameters.HostedZoneId!.Default).toBeUndefined();
    expect(buildTemplate(VARIANTS.production!, { hostedZoneId: 'Z0123456789ABC' }).Parameters.HostedZoneId!.Default).toBe('Z0123456789ABC');
  });

  it('a secret-looking environment value never goes into the template: it is a NoEcho parameter', () => {
    // GIVEN API_TOKEN=abc123 in the answers (and "***" where a state redacted one)
    const redacted = validateAnswers({ stack: 'shop-web', service: { environment: { SESSION: '***', MODE: 'live' } } });
    const text = exportStack(VARIANTS.full!, 'cloudformation').text;
    // THEN the value is nowhere, the parameter has no default
    expect(text).not.toContain('abc123');
    expect(buildTemplate(VARIANTS.full!).Parameters.ShopWebEnvApiToken).toEqual({ Type: 'String', NoEcho: true, Description: expect.stringContaining('API_TOKEN') });
    const t = buildTemplate(redacted);
    expect(t.Parameters.ShopWebEnvSession).toMatchObject({ NoEcho: true });
    expect((t.Resources.ShopWebTaskDefinition!.Properties.ContainerDefinitions as { Environment: Value[] }[])[0]!.Environment).toEqual([
      { Name: 'MODE', Value: 'live' },
      { Name: 'SESSION', Value: { Ref: 'ShopWebEnvSession' } },
    ]);
  });

  it("nothing carries ecs-wizard's stack tag or names: destroy of the old stack never finds the new one", () => {
    for (const [name, a] of Object.entries(VARIANTS)) {
      const text = exportStack(a, 'cloudformation').text;
      expect(text, name).not.toMatch(/ecs-wizard:stack/);
      // (no resource is named: CloudFormation names them after its own stack)
      expect(text, name).not.toMatch(/^ {6}(RoleName|ClusterName|ServiceName|Family|LoadBalancerName|GroupName|LogGroupName|RepositoryName|LaunchTemplateName|AutoScalingGroupName): \S/m);
    }
  });

  it('ARNs the template builds take the partition and account of where it is deployed', () => {
    // GIVEN answers that name no ARN  THEN the template writes none with a literal partition
    expect(exportStack(VARIANTS.production!, 'cloudformation').text).not.toContain('arn:aws:');
  });

  it('the same answers give the same bytes, whatever order the file wrote them in', () => {
    const a = { stack: 'shop-web', tags: { b: '2', a: '1' }, service: { environment: { Z: '1', A: '2' } }, loadBalancer: { domain: 'app.example.com' } };
    const b = { loadBalancer: { domain: 'app.example.com' }, service: { environment: { A: '2', Z: '1' } }, tags: { a: '1', b: '2' }, stack: 'shop-web' };
    const one = exportStack(validateAnswers(a), 'cloudformation').text;
    expect(exportStack(validateAnswers(b), 'cloudformation').text).toBe(one);
    expect(exportStack(validateAnswers(a), 'cloudformation').text).toBe(one);
    // (and it is YAML that reads back as the template, with the version a string)
    expect(parse(one)).toMatchObject({ AWSTemplateFormatVersion: '2010-09-09' });
  });
});

describe('the hosts architecture from the instance type, without asking EC2', () => {
  it.each([
    ['t4g.small', 'arm64'],
    ['m7g.large', 'arm64'],
    ['c6gn.xlarge', 'arm64'],
    ['r8gd.large', 'arm64'],
    ['im4gn.large', 'arm64'],
    ['x2gd.medium', 'arm64'],
    ['g5g.xlarge', 'arm64'],
    ['a1.medium', 'arm64'],
    ['t3.small', 'x86_64'],
    ['m5.large', 'x86_64'],
    ['g4dn.xlarge', 'x86_64'],
    ['m7i-flex.large', 'x86_64'],
    ['inf2.xlarge', 'x86_64'],
  ])('%s runs %s', (type, arch) => {
    expect(architectureOfName(type)).toBe(arch);
  });
});
