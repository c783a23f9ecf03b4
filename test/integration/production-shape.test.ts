import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ACMClient, DescribeCertificateCommand, ListCertificatesCommand, RequestCertificateCommand } from '@aws-sdk/client-acm';
import { CreateHostedZoneCommand, GetHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client, type ResourceRecordSet } from '@aws-sdk/client-route-53';
import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { DescribeListenersCommand, DescribeLoadBalancersCommand, DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { STACK_TAG } from '../../src/aws/tags.js';
import { stackNames } from '../../src/steps/names.js';
import { StackCounter, leftovers } from '../support/counts.js';
import { startMoto, type Moto } from '../support/moto.js';
import { startStrictAws, type StrictAws } from '../support/strict-aws.js';
import { tempDir } from '../support/stack.js';
import { existingNetwork } from '../support/existing-network.js';
import { cliEnv, runCli, runCliWithAgents } from '../e2e/cli.js';
import { oneServiceNames } from '../support/service-steps.js';

/**
 * Issue 16 on moto through the built CLI: HTTPS on a domain, instances in private subnets behind
 * NAT gateways, Spot. Everything is read back with our own SDK clients (listeners and redirect,
 * the certificate, the records, routes, the group's subnets and instances distribution), a rerun
 * changes nothing, destroy leaves nothing but the user's hosted zone and certificate. The checks
 * before a run go through the strict-AWS proxy, which counts every request.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
let moto: Moto;
let proxy: StrictAws;
let counter: StackCounter;
let home: string;
const cfg = () => ({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
let ec2: EC2Client;
let elb: ElasticLoadBalancingV2Client;
let asg: AutoScalingClient;
let acm: ACMClient;
let route53: Route53Client;

beforeAll(async () => {
  moto = await startMoto({ serviceRunning: 2, acmValidationWait: 2 });
  proxy = await startStrictAws(moto.endpoint);
  counter = new StackCounter(moto.endpoint);
  home = tempDir('production-home-');
  ec2 = new EC2Client(cfg());
  elb = new ElasticLoadBalancingV2Client(cfg());
  asg = new AutoScalingClient(cfg());
  acm = new ACMClient(cfg());
  route53 = new Route53Client(cfg());
}, 120_000);
afterAll(async () => {
  for (const c of [ec2, elb, asg, acm, route53]) c?.destroy();
  counter?.destroy();
  await proxy?.stop();
  await moto?.stop();
});

const stateDirs = new Map<string, string>();
const stateDir = (stack: string): string => {
  if (!stateDirs.has(stack)) stateDirs.set(stack, tempDir('production-state-'));
  return stateDirs.get(stack)!;
};

interface Result {
  code: number | null;
  stderr: string;
  json: { ok: boolean; url?: string; calls?: { mutating: number; read: number }; steps?: { id: string; outcome: string; error?: string }[]; error?: { message: string; problems?: { path: string; message: string }[] } };
}

/** `ecs-wizard create` as a child process; while it runs, the fake ECS agent joins the stack's instances. */
async function create(stack: string, answers: object): Promise<Result> {
  const file = path.join(tempDir('production-answers-'), 'answers.json');
  writeFileSync(file, JSON.stringify({ stack, region: 'us-east-1', ...answers }));
  const { code, stdout, stderr } = await runCliWithAgents(
    ['create', '--answers', file, '--yes', '--endpoint-url', moto.endpoint, '--state-dir', stateDir(stack), '--output', 'json', '--wait-timeout', '120'],
    { cwd: ROOT, env: cliEnv(moto.env(), home), endpoint: moto.endpoint, stack },
  );
  return { code, stderr, json: JSON.parse(stdout) as Result['json'] };
}

async function destroy(stack: string, ...extra: string[]): Promise<Result> {
  const r = await runCli(['destroy', stack, '--yes', '--endpoint-url', moto.endpoint, '--state-dir', stateDir(stack), '--output', 'json', '--wait-timeout', '120', ...extra], { env: cliEnv(moto.env(), home), cwd: ROOT });
  return { code: r.code, stderr: r.stderr, json: JSON.parse(r.stdout) as Result['json'] };
}

/** A create through the counting proxy: its exit, its error, and every request that would have changed AWS. */
async function createChecked(answers: object): Promise<{ code: number | null; problems: { path: string; message: string }[]; mutating: string[]; stderr: string }> {
  const dir = tempDir('production-check-');
  const file = path.join(dir, 'answers.json');
  writeFileSync(file, JSON.stringify({ region: 'us-east-1', ...answers }));
  proxy.clear();
  const r = await runCli(['create', '--answers', file, '--yes', '--state-dir', dir, '--output', 'json'], { env: cliEnv(moto.env({ AWS_ENDPOINT_URL: proxy.endpoint }), home), cwd: dir });
  const json = JSON.parse(r.stdout || '{}') as Result['json'];
  return { code: r.code, problems: json.error?.problems ?? [], mutating: proxy.mutating().map((q) => `${q.service}:${q.operation}`), stderr: r.stderr };
}

async function publicZone(name: string): Promise<string> {
  const r = await route53.send(new CreateHostedZoneCommand({ Name: name, CallerReference: `${name}-${Date.now()}` }));
  return r.HostedZone!.Id!.replace('/hostedzone/', '');
}

const records = async (zoneId: string): Promise<ResourceRecordSet[]> =>
  ((await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets ?? []).filter((r) => r.Type !== 'SOA' && r.Type !== 'NS');

describe('production shape on moto (built CLI)', () => {
  it('HTTPS on a domain, private instances behind a NAT gateway per zone, Spot: built as asked, a rerun changes nothing, destroy --discover leaves only the zones', async () => {
    // GIVEN public zones example.com and shop.example.com (the longer one holds the domain), and a
    // private zone of the very name, which must be ignored
    const parentZone = await publicZone('example.com');
    const zoneId = await publicZone('shop.example.com');
    await route53.send(
      new CreateHostedZoneCommand({ Name: 'app.shop.example.com', CallerReference: `private-${Date.now()}`, HostedZoneConfig: { PrivateZone: true }, VPC: { VPCRegion: 'us-east-1', VPCId: 'vpc-12345678' } }),
    );
    const stack = 'prod-https';
    const n = oneServiceNames(stack);
    const answers = {
      loadBalancer: { domain: 'app.shop.example.com' },
      network: { instanceSubnets: 'private', natGateways: 2 },
      instances: { desiredCapacity: 2, maxSize: 4, spot: { instanceTypes: ['t3.small', 't3a.small'], onDemandBaseCapacity: 1, onDemandPercentageAboveBase: 0 } },
      service: { desiredCount: 2 },
    };

    // WHEN create runs, waits on
    const first = await create(stack, answers);

    // THEN it succeeded and serves https://<domain>
    expect(first.json.steps?.filter((s) => s.outcome === 'failed'), first.stderr).toEqual([]);
    expect(first.code).toBe(0);
    expect(first.json.url).toBe('https://app.shop.example.com');
    expect(Object.fromEntries(first.json.steps!.map((s) => [s.id, s.outcome]))).toMatchObject({ 'certificate-issued': 'waited', 'nat-gateways-available': 'waited', 'service-stable': 'waited' });

    const byTag = [{ Name: `tag:${STACK_TAG}`, Values: [stack] }];
    // The certificate: requested for the domain, DNS-validated, ISSUED, tagged
    const certs = [];
    for (const c of (await acm.send(new ListCertificatesCommand({}))).CertificateSummaryList ?? []) {
      const d = (await acm.send(new DescribeCertificateCommand({ CertificateArn: c.CertificateArn }))).Certificate!;
      if (d.DomainName === 'app.shop.example.com') certs.push(d);
    }
    expect(certs).toHaveLength(1);
    const cert = certs[0]!;
    expect(cert).toMatchObject({ Status: 'ISSUED', Type: 'AMAZON_ISSUED' });
    const validation = cert.DomainValidationOptions![0]!.ResourceRecord!;

    // The load balancer: internet-facing in the public subnets, HTTPS :443 with the certificate and a TLS 1.3 policy forwarding to the target group, HTTP :80 a 301 to HTTPS
    const lb = (await elb.send(new DescribeLoadBalancersCommand({ Names: [n.loadBalancer] }))).LoadBalancers![0]!;
    const tg = (await elb.send(new DescribeTargetGroupsCommand({ Names: [n.targetGroup] }))).TargetGroups![0]!;
    const listeners = (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners ?? [];
    expect(listeners.map((l) => l.Port).sort()).toEqual([443, 80]);
    const https = listeners.find((l) => l.Port === 443)!;
    expect(https).toMatchObject({ Protocol: 'HTTPS', SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06', Certificates: [{ CertificateArn: cert.CertificateArn }] });
    expect(https.DefaultActions).toEqual([expect.objectContaining({ Type: 'forward', TargetGroupArn: tg.TargetGroupArn })]);
    expect(listeners.find((l) => l.Port === 80)).toMatchObject({ Protocol: 'HTTP', DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }] });
    const albGroup = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: lb.SecurityGroups }))).SecurityGroups![0]!;
    expect((albGroup.IpPermissions ?? []).map((p) => `${p.FromPort}:${p.IpRanges?.map((r) => r.CidrIp).join()}`).sort()).toEqual(['443:0.0.0.0/0', '80:0.0.0.0/0']);

    // The records: in shop.example.com (the longest zone), an alias to the ALB and the validation CNAME; nothing in example.com
    const sets = await records(zoneId);
    expect(sets).toHaveLength(2);
    expect(sets.find((r) => r.Type === 'A')).toMatchObject({ Name: 'app.shop.example.com.', AliasTarget: { DNSName: lb.DNSName, HostedZoneId: lb.CanonicalHostedZoneId } });
    expect(sets.find((r) => r.Type === 'CNAME')).toMatchObject({ Name: validation.Name, ResourceRecords: [{ Value: validation.Value }] });
    expect(await records(parentZone)).toEqual([]);

    // The network: public subnets with the ALB and one NAT gateway each (with its Elastic IP), private subnets in the same zones, each routed to its zone's NAT
    const subnets = (await ec2.send(new DescribeSubnetsCommand({ Filters: byTag }))).Subnets ?? [];
    const name = (s: { Tags?: { Key?: string; Value?: string }[] }) => s.Tags?.find((t) => t.Key === 'Name')?.Value ?? '';
    const publicSubnets = subnets.filter((s) => name(s).startsWith(`${stack}-public-`)).sort((a, b) => name(a).localeCompare(name(b)));
    const privateSubnets = subnets.filter((s) => name(s).startsWith(`${stack}-private-`)).sort((a, b) => name(a).localeCompare(name(b)));
    expect(privateSubnets.map((s) => s.CidrBlock)).toEqual(['10.0.2.0/24', '10.0.3.0/24']);
    expect(privateSubnets.map((s) => s.AvailabilityZone)).toEqual(publicSubnets.map((s) => s.AvailabilityZone));
    expect(privateSubnets.every((s) => s.MapPublicIpOnLaunch !== true)).toBe(true);
    expect((lb.AvailabilityZones ?? []).map((z) => z.SubnetId).sort()).toEqual(publicSubnets.map((s) => s.SubnetId).sort());
    const nats = ((await ec2.send(new DescribeNatGatewaysCommand({ Filter: byTag }))).NatGateways ?? []).sort((a, b) => name(a).localeCompare(name(b)));
    expect(nats.map((g) => [g.State, g.SubnetId])).toEqual(publicSubnets.map((s) => ['available', s.SubnetId]));
    const addresses = (await ec2.send(new DescribeAddressesCommand({ Filters: byTag }))).Addresses ?? [];
    expect(nats.map((g) => g.NatGatewayAddresses?.[0]?.AllocationId).sort()).toEqual(addresses.map((a) => a.AllocationId).sort());
    const tables = (await ec2.send(new DescribeRouteTablesCommand({ Filters: byTag }))).RouteTables ?? [];
    for (const [i, subnet] of privateSubnets.entries()) {
      const table = tables.find((t) => t.Associations?.some((a) => a.SubnetId === subnet.SubnetId))!;
      expect(table.Routes?.find((r) => r.DestinationCidrBlock === '0.0.0.0/0')?.NatGatewayId).toBe(nats[i]!.NatGatewayId);
    }
    const publicTable = tables.find((t) => name(t) === n.routeTable)!;
    expect(publicTable.Routes?.find((r) => r.DestinationCidrBlock === '0.0.0.0/0')?.GatewayId).toMatch(/^igw-/);

    // The hosts: the group in the private subnets only, Spot above one On-Demand instance, capacity rebalancing; no public IPs, Spot draining on
    // (moto rounds a percentage above the base down, one instance short: hence 0 % here)
    const group = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [n.autoScalingGroup] }))).AutoScalingGroups![0]!;
    expect(group.VPCZoneIdentifier!.split(',').sort()).toEqual(privateSubnets.map((s) => s.SubnetId).sort());
    expect(group.CapacityRebalance).toBe(true);
    expect(group.MixedInstancesPolicy).toMatchObject({
      LaunchTemplate: { Overrides: [{ InstanceType: 't3.small' }, { InstanceType: 't3a.small' }] },
      InstancesDistribution: { OnDemandBaseCapacity: 1, OnDemandPercentageAboveBaseCapacity: 0, SpotAllocationStrategy: 'price-capacity-optimized' },
    });
    const instances = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: group.Instances!.map((i) => i.InstanceId!) }))).Reservations!.flatMap((r) => r.Instances ?? []);
    expect(instances).toHaveLength(2);
    for (const i of instances) {
      expect(privateSubnets.map((s) => s.SubnetId)).toContain(i.SubnetId);
      expect(i.PublicIpAddress).toBeUndefined();
    }
    const version = (await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: n.launchTemplate, Versions: ['$Latest'] }))).LaunchTemplateVersions![0]!.LaunchTemplateData!;
    expect(version.NetworkInterfaces).toEqual([expect.objectContaining({ DeviceIndex: 0, AssociatePublicIpAddress: false })]);
    expect(version.SecurityGroupIds ?? []).toEqual([]);
    expect(Buffer.from(version.UserData!, 'base64').toString()).toContain('ECS_ENABLE_SPOT_INSTANCE_DRAINING=true');

    const counts = await counter.count(stack, { hostedZoneId: zoneId });
    expect(counts).toMatchObject({ certificates: 1, natGateways: 2, elasticIps: 2, subnets: 4, routeTables: 3, dnsRecords: 2, listeners: 2 });

    // WHEN create runs again with the same answers
    const again = await create(stack, answers);
    // THEN nothing changes: no mutating call, no second certificate or NAT gateway
    expect(again.code, again.stderr).toBe(0);
    expect(again.json.calls?.mutating).toBe(0);
    expect(await counter.count(stack, { hostedZoneId: zoneId })).toEqual(counts);

    // WHEN its state file is lost and the stack is destroyed with --discover
    rmSync(path.join(stateDir(stack), `${stack}.json`));
    const gone = await destroy(stack, '--discover');
    // THEN discovery found it all by tag (the domain from the requested certificate): nothing of it is left — the records and the certificate with it — and the zones are untouched
    expect(gone.code, gone.stderr).toBe(0);
    expect(leftovers(await counter.count(stack, { hostedZoneId: zoneId }))).toEqual({});
    for (const id of [zoneId, parentZone]) expect((await route53.send(new GetHostedZoneCommand({ Id: id }))).HostedZone?.Id).toContain(id);
  }, 240_000);

  it('reuses private subnets that route to a NAT gateway and a given certificate: used, never deleted', async () => {
    // GIVEN an existing VPC: public subnets, and private subnets whose route table goes through the user's NAT gateway
    const { vpcId, subnetIds } = await existingNetwork(ec2, '10.40');
    const allocation = (await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }))).AllocationId!;
    const nat = (await ec2.send(new CreateNatGatewayCommand({ SubnetId: subnetIds[0], AllocationId: allocation }))).NatGateway!.NatGatewayId!;
    const table = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!.RouteTableId!;
    await ec2.send(new CreateRouteCommand({ RouteTableId: table, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: nat }));
    const privateIds: string[] = [];
    for (const [i, az] of ['us-east-1a', 'us-east-1b'].entries()) {
      const id = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.40.${10 + i}.0/24`, AvailabilityZone: az }))).Subnet!.SubnetId!;
      await ec2.send(new AssociateRouteTableCommand({ RouteTableId: table, SubnetId: id }));
      privateIds.push(id);
    }
    // … and an issued certificate of the user's for the domain, in a zone of the account
    const zoneId = await publicZone('given.example.org');
    const given = (await acm.send(new RequestCertificateCommand({ DomainName: 'www.given.example.org', ValidationMethod: 'DNS' }))).CertificateArn!;
    await waitIssued(given);
    const stack = 'prod-reuse';
    const n = oneServiceNames(stack);

    // WHEN the stack is created there
    const made = await create(stack, {
      network: { vpcId, subnetIds, instanceSubnets: 'private', privateSubnetIds: privateIds },
      loadBalancer: { certificateArn: given, domain: 'www.given.example.org', redirectHttp: false },
      service: { desiredCount: 2 },
    });

    // THEN the HTTPS listener uses the given certificate (none is requested), there is no redirect, the hosts are in the private subnets
    expect(made.code, made.stderr).toBe(0);
    expect(made.json.url).toBe('https://www.given.example.org');
    expect(made.json.steps!.map((s) => s.id)).not.toContain('certificate-validation');
    const lb = (await elb.send(new DescribeLoadBalancersCommand({ Names: [n.loadBalancer] }))).LoadBalancers![0]!;
    const listeners = (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners ?? [];
    expect(listeners.map((l) => [l.Port, l.Protocol, l.Certificates?.[0]?.CertificateArn])).toEqual([[443, 'HTTPS', given]]);
    const group = (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [n.autoScalingGroup] }))).AutoScalingGroups![0]!;
    expect(group.VPCZoneIdentifier!.split(',').sort()).toEqual([...privateIds].sort());
    expect((await records(zoneId)).map((r) => r.Type)).toEqual(['A']);
    expect(await counter.count(stack)).toMatchObject({ certificates: 0, natGateways: 0, elasticIps: 0 });

    // WHEN it is destroyed
    const gone = await destroy(stack);
    // THEN the alias goes; the given certificate, the user's NAT gateway and subnets stay
    expect(gone.code, gone.stderr).toBe(0);
    expect(await records(zoneId)).toEqual([]);
    expect((await acm.send(new DescribeCertificateCommand({ CertificateArn: given }))).Certificate?.Status).toBe('ISSUED');
    expect((await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [nat] }))).NatGateways?.[0]?.State).toBe('available');
    expect(((await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [...subnetIds, ...privateIds] }))).Subnets ?? []).length).toBe(4);
  }, 240_000);
});

async function waitIssued(arn: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await acm.send(new DescribeCertificateCommand({ CertificateArn: arn }))).Certificate?.Status === 'ISSUED') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${arn} was not issued`);
}

describe('checks before a run: exit 2, the field named, no request that changes anything', () => {
  it('a domain no public zone holds names the domain and the zones looked for', async () => {
    const r = await createChecked({ stack: 'nozone', loadBalancer: { domain: 'app.nowhere.example.net' } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.problems).toEqual([expect.objectContaining({ path: 'loadBalancer.domain', message: expect.stringContaining('app.nowhere.example.net') })]);
    expect(r.problems[0]!.message).toContain('app.nowhere.example.net., nowhere.example.net., example.net.');
    expect(r.mutating).toEqual([]);
  });

  it('Spot types of two architectures: the arm64 one is named (DescribeInstanceTypes read, nothing changed)', async () => {
    const r = await createChecked({ stack: 'mixed', instances: { instanceType: 't3.small', spot: { instanceTypes: ['t3.small', 't4g.small'] } } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.problems).toEqual([{ path: 'instances.spot.instanceTypes.1', message: expect.stringMatching(/t4g\.small runs arm64.*t3\.small runs x86_64/) }]);
    expect(r.mutating).toEqual([]);
  });

  it('a reused private subnet without a route to a NAT gateway, and a given certificate that does not cover the domain', async () => {
    const { vpcId, subnetIds } = await existingNetwork(ec2, '10.50');
    // The VPC's main table goes to the internet gateway: a subnet without a table of its own is not private.
    const lonely = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.50.20.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
    await publicZone('checks.example.org');
    const other = (await acm.send(new RequestCertificateCommand({ DomainName: 'other.checks.example.org', ValidationMethod: 'DNS' }))).CertificateArn!;
    await waitIssued(other);
    const r = await createChecked({
      stack: 'badreuse',
      network: { vpcId, subnetIds, instanceSubnets: 'private', privateSubnetIds: [lonely] },
      loadBalancer: { certificateArn: other, domain: 'app.checks.example.org' },
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.problems).toEqual(
      expect.arrayContaining([
        { path: 'network.privateSubnetIds.0', message: expect.stringContaining('no route to a NAT gateway') },
        { path: 'loadBalancer.certificateArn', message: expect.stringContaining('not loadBalancer.domain app.checks.example.org') },
      ]),
    );
    expect(r.mutating).toEqual([]);
  });
});
