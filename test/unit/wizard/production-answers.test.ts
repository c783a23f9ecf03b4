import { describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { ListHostedZonesByNameCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { ACMClient, DeleteCertificateCommand } from '@aws-sdk/client-acm';
import { AutoScalingClient, UpdateAutoScalingGroupCommand, type AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { convergePlacement } from '../../../src/steps/stack/instance-placement.js';
import { validateAnswers } from '../../../src/wizard/answers-file.js';
import { defaultPrivateSubnetCidrs } from '../../../src/wizard/schema.js';
import { buildReviewPlan } from '../../../src/wizard/plan.js';
import { renderPlan } from '../../../src/wizard/review.js';
import { checkCapacity } from '../../../src/scaling/capacity.js';
import { gatherAnswers } from '../../../src/wizard/ask.js';
import { isStackLoadBalancerHost, sameRecord, zoneCandidates } from '../../../src/steps/stack/dns.js';
import { covers, certificateStep } from '../../../src/steps/stack/certificate.js';
import { hostedZoneStep } from '../../../src/steps/stack/hosted-zone.js';
import { stackUrl } from '../../../src/steps/url.js';
import { isWizardError, type WizardError } from '../../../src/errors.js';
import type { Account } from '../../../src/wizard/account.js';
import { testStack } from '../../support/stack.js';
import { stepContext } from '../../support/step-context.js';
import { sdkError } from '../../support/aws-wire.js';
import { scriptedPrompter } from './scripted-prompter.js';

describe('production answers: the defaults that follow from other answers', () => {
  it('HTTPS (a domain or a certificate) makes the listener 443 and turns the redirect on; plain HTTP stays 80 with no redirect key', () => {
    expect(validateAnswers({ stack: 's' }).loadBalancer).toMatchObject({ listenerPort: 80 });
    expect(validateAnswers({ stack: 's' }).loadBalancer.redirectHttp).toBeUndefined();
    expect(validateAnswers({ stack: 's', loadBalancer: { domain: 'App.Example.COM.' } }).loadBalancer).toMatchObject({ domain: 'app.example.com', listenerPort: 443, redirectHttp: true });
    expect(validateAnswers({ stack: 's', loadBalancer: { domain: 'a.example.com', listenerPort: 8443, redirectHttp: false } }).loadBalancer).toMatchObject({ listenerPort: 8443, redirectHttp: false });
  });

  it('private instances in a new VPC get one NAT gateway and free /24s after the public subnets, one per zone', () => {
    const n = validateAnswers({ stack: 's', network: { instanceSubnets: 'private', subnetCidrs: ['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24'] } }).network;
    expect(n).toMatchObject({ natGateways: 1, privateSubnetCidrs: ['10.0.3.0/24', '10.0.4.0/24', '10.0.5.0/24'] });
    // A gap among the public subnets is not used: the private ones come after the highest
    expect(defaultPrivateSubnetCidrs('10.0.0.0/16', ['10.0.0.0/24', '10.0.8.0/24'])).toEqual(['10.0.9.0/24', '10.0.10.0/24']);
    // A VPC too small for /24s: blocks of the public subnets' size
    expect(defaultPrivateSubnetCidrs('192.168.0.0/24', ['192.168.0.0/26', '192.168.0.64/26'])).toEqual(['192.168.0.128/26', '192.168.0.192/26']);
    // Public instances: no private keys at all
    expect(validateAnswers({ stack: 's' }).network.privateSubnetCidrs).toBeUndefined();
  });

  it('Spot defaults to the instance type alone, all Spot above no base', () => {
    expect(validateAnswers({ stack: 's', instances: { instanceType: 'm5.large', spot: {} } }).instances.spot).toEqual({ instanceTypes: ['m5.large'], onDemandBaseCapacity: 0, onDemandPercentageAboveBase: 0 });
  });

  it('a certificate of another region than the answers\' is refused before any call, naming both regions', () => {
    const err = (() => {
      try {
        validateAnswers({ stack: 's', region: 'eu-west-1', loadBalancer: { certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/1234abcd-12ab-34cd-56ef-1234567890ab' } });
      } catch (e) {
        return e as WizardError;
      }
    })();
    expect(err?.problems).toEqual([{ path: 'loadBalancer.certificateArn', message: expect.stringContaining('us-east-1; a load balancer in eu-west-1') }]);
  });

  it('a private subnet listed among the load balancer\'s subnets is refused', () => {
    expect(() => validateAnswers({ stack: 's', network: { vpcId: 'vpc-0abc1234', subnetIds: ['subnet-0abc1234', 'subnet-0def5678'], instanceSubnets: 'private', privateSubnetIds: ['subnet-0abc1234'] } })).toThrow(
      /network\.privateSubnetIds: subnet-0abc1234 is also in network\.subnetIds/,
    );
  });
});

describe('the review: the URL it will serve and what each choice costs', () => {
  it('shows https://<domain> and the HTTPS, redirect and access lines', () => {
    const a = validateAnswers({ stack: 'shop', loadBalancer: { domain: 'shop.example.com' } });
    const text = renderPlan(buildReviewPlan(a, { region: 'us-east-1' }));
    expect(text).toContain('URL https://shop.example.com');
    expect(text).toContain('HTTPS :443');
    expect(text).toContain('ALB HTTP :80 from 0.0.0.0/0 (anyone on the internet) (answers 301 to HTTPS)');
    expect(text).toMatch(/create\s+DNS alias record\s+shop\.example\.com A → shop-alb/);
    expect(text).toMatch(/reuse\s+Hosted zone \(existing\)/);
    // Without HTTPS the URL is the load balancer's own name, known once it exists
    expect(buildReviewPlan(validateAnswers({ stack: 'shop', loadBalancer: { listenerPort: 8080 } }), { region: 'us-east-1' }).url).toBe("http://<the load balancer's DNS name>:8080");
  });

  it('ends with what it costs: the NAT gateways and addresses as items, each choice priced, the headline last', () => {
    const a = validateAnswers({ stack: 'shop', network: { instanceSubnets: 'private', natGateways: 2 }, instances: { desiredCapacity: 3, maxSize: 6, spot: { onDemandBaseCapacity: 1 } }});
    const plan = buildReviewPlan(a, { region: 'us-east-1' });
    // (no prices given: the bundled table's)
    expect(plan.cost).toMatchObject({ currency: 'USD', source: 'bundled', pricesAsOf: '2026-11-01', region: 'us-east-1' });
    expect(plan.cost.items.find((i) => i.item === 'NAT gateways')).toMatchObject({ quantity: 2 * 730, unitPrice: 0.045, monthly: 65.7 });
    expect(plan.cost.items.find((i) => i.item === "Public IPv4: NAT gateways' Elastic IPs")).toMatchObject({ monthly: 7.3 });
    const text = renderPlan(plan).trimEnd().split('\n');
    expect(text).toContain('  2 NAT gateways: one for all zones instead: −$36.50/month (a zone\'s outage then cuts the others off)');
    expect(text.find((l) => l.startsWith('  Spot: 2 of 3 instances on Spot'))).toContain('no Spot price history was read');
    expect(text.at(-1)).toMatch(/^≈ \$\d+\/month at desired capacity \(up to \$\d+ at max\), us-east-1 prices as of 2026-11-01$/);
    // A warning comes before the block, so the figure is the last thing before the question
    const warned = renderPlan(buildReviewPlan(validateAnswers({ stack: 'shop', instances: { sshCidr: '0.0.0.0/0' } }), { region: 'us-east-1' })).trimEnd().split('\n');
    expect(warned.findIndex((l) => l.startsWith('warning:'))).toBeLessThan(warned.findIndex((l) => l.startsWith('What it costs')));
  });

  it('a rerun shows what the new answers change against the answers the state recorded', () => {
    const recorded = validateAnswers({ stack: 'shop' });
    const current = { version: 1, stack: 'shop', answers: recorded, resources: {} } as never;
    const plan = buildReviewPlan(validateAnswers({ stack: 'shop', instances: { desiredCapacity: 3 } }), { region: 'us-east-1', current });
    expect(plan.cost.change).toEqual({ monthly: 21.24, monthlyAtMax: 0, against: 'the answers the state recorded' });
    expect(renderPlan(plan)).toContain('  change: +$21.24/month at desired capacity, unchanged at max against the answers the state recorded');
    // Nothing changed in what it costs: no change line
    expect(buildReviewPlan(recorded, { region: 'us-east-1', current }).cost.change).toBeUndefined();
  });
});

describe('Spot guard rails', () => {
  it('refuses a Spot type too small for one task, naming it; the instance type itself keeps its own key', () => {
    const a = validateAnswers({ stack: 's', instances: { instanceType: 't3.small', spot: { instanceTypes: ['t3.small', 't2.small', 'm5.large'] } }, service: { cpu: 1536, memory: 512 } });
    expect(checkCapacity(a).problems).toEqual([{ path: 'instances.spot.instanceTypes.1', message: expect.stringContaining('t2.small cannot hold one task: a task needs 1536 CPU units (it offers 1024)') }]);
  });

  it('warns about types it cannot size and an On-Demand base that leaves no room for Spot', () => {
    const a = validateAnswers({ stack: 's', instances: { maxSize: 2, spot: { instanceTypes: ['t3.small', 'x9.huge'], onDemandBaseCapacity: 2 } } });
    const { problems, warnings } = checkCapacity(a);
    expect(problems).toEqual([]);
    expect(warnings).toEqual(expect.arrayContaining([expect.stringContaining('x9.huge is not in ecs-wizard\'s capacity table'), expect.stringContaining('every instance is On-Demand')]));
  });
});

describe('DNS and certificates', () => {
  it('looks for the zone from the longest name down, never at the bare top-level domain', () => {
    expect(zoneCandidates('a.b.example.com')).toEqual(['a.b.example.com', 'b.example.com', 'example.com']);
  });

  it('recognises only the stack\'s own load balancer as an alias target', () => {
    expect(isStackLoadBalancerHost('shop-alb-1234567890.us-east-1.elb.amazonaws.com', 'shop-alb')).toBe(true);
    expect(isStackLoadBalancerHost('dualstack.shop-alb-1234567890.us-east-1.elb.amazonaws.com.', 'shop-alb')).toBe(true);
    expect(isStackLoadBalancerHost('shop-alb-77.cn-north-1.elb.amazonaws.com.cn', 'shop-alb')).toBe(true);
    // stack "shop-alb" has the ALB shop-alb-alb: never stack "shop"'s
    expect(isStackLoadBalancerHost('shop-alb-alb-1234567890.us-east-1.elb.amazonaws.com', 'shop-alb')).toBe(false);
    expect(isStackLoadBalancerHost('d111111abcdef8.cloudfront.net', 'shop-alb')).toBe(false);
  });

  it('compares record sets the way Route 53 stores them (trailing dots, case, dualstack)', () => {
    expect(sameRecord({ Name: 'App.Example.com.', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: '_x.acm-validations.aws.' }] }, { name: 'app.example.com', type: 'CNAME', values: ['_x.acm-validations.aws'] })).toBe(true);
    expect(sameRecord({ Name: 'app.example.com.', Type: 'A', AliasTarget: { HostedZoneId: 'Z1', DNSName: 'dualstack.x-1.us-east-1.elb.amazonaws.com.', EvaluateTargetHealth: false } }, { name: 'app.example.com', type: 'A', alias: { hostedZoneId: 'Z1', dnsName: 'x-1.us-east-1.elb.amazonaws.com' } })).toBe(true);
    expect(sameRecord({ Name: 'app.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.1' }] }, { name: 'app.example.com', type: 'A', alias: { hostedZoneId: 'Z1', dnsName: 'x' } })).toBe(false);
  });

  it('a certificate covers its names and a wildcard one label deep', () => {
    const cert = { DomainName: 'example.com', SubjectAlternativeNames: ['example.com', '*.example.com'] };
    expect(['example.com', 'app.example.com'].map((d) => covers(cert, d))).toEqual([true, true]);
    expect(['a.b.example.com', 'example.org'].map((d) => covers(cert, d))).toEqual([false, false]);
  });

  it('the URL: https on the domain, else on the ALB name; the port only when not the scheme\'s', () => {
    expect(stackUrl(validateAnswers({ stack: 's', loadBalancer: { domain: 'a.example.com', listenerPort: 8443 } }), 'alb-1.elb')).toBe('https://a.example.com:8443');
    expect(stackUrl(validateAnswers({ stack: 's', loadBalancer: { certificateArn: 'arn:aws-cn:acm:cn-north-1:123456789012:certificate/1234abcd-12ab-34cd-56ef-1234567890ab' } }), 'alb-1.elb')).toBe('https://alb-1.elb');
    expect(stackUrl(validateAnswers({ stack: 's' }), 'alb-1.elb')).toBe('http://alb-1.elb');
  });
});

describe('steps against AWS answers as the SDK raises them', () => {
  it('two public zones of the domain\'s name: exit 2 naming both, since only one is delegated', async () => {
    const r53 = mockClient(Route53Client);
    try {
      r53.on(ListHostedZonesByNameCommand).resolves({
        HostedZones: [
          { Id: '/hostedzone/Z1AAAA', Name: 'example.com.', CallerReference: 'a', Config: { PrivateZone: false } },
          { Id: '/hostedzone/Z2BBBB', Name: 'example.com.', CallerReference: 'b', Config: { PrivateZone: false } },
        ],
      });
      const t = testStack({ stack: 'dup', loadBalancer: { domain: 'example.com' } });
      const err = await hostedZoneStep.find(stepContext(t.env).ctx).catch((e: unknown) => e);
      expect(isWizardError(err, 'INPUT_INVALID')).toBe(true);
      expect((err as WizardError).problems[0]).toEqual({ path: 'loadBalancer.domain', message: expect.stringContaining('(Z1AAAA, Z2BBBB)') });
      expect(r53.commandCalls(ListResourceRecordSetsCommand)).toHaveLength(0);
    } finally {
      r53.restore();
    }
  });

  it('deleting a certificate the load balancer still holds is retried until ACM lets go, and one already gone is done', async () => {
    const acm = mockClient(ACMClient);
    try {
      const inUse = await sdkError(ACMClient, DeleteCertificateCommand, 'ResourceInUseException', 'Certificate arn:… is in use.');
      const gone = await sdkError(ACMClient, DeleteCertificateCommand, 'ResourceNotFoundException', 'Could not find certificate');
      acm.on(DeleteCertificateCommand).rejectsOnce(inUse).rejectsOnce(inUse).rejects(gone);
      const t = testStack({ stack: 'del', loadBalancer: { domain: 'a.example.com' } });
      await certificateStep.destroy!(stepContext(t.env).ctx, { certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/x', requested: true });
      expect(acm.commandCalls(DeleteCertificateCommand)).toHaveLength(3);
      // A given certificate is never deleted
      acm.resetHistory();
      await certificateStep.destroy!(stepContext(t.env).ctx, { certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/y', requested: false });
      expect(acm.commandCalls(DeleteCertificateCommand)).toHaveLength(0);
    } finally {
      acm.restore();
    }
  });
});

describe('a found group follows the answers: subnets, Spot on and off', () => {
  const outputs = {
    subnets: { subnetIds: ['subnet-0pub1', 'subnet-0pub2'], availabilityZones: ['us-east-1a', 'us-east-1b'] },
    'private-subnets': { subnetIds: ['subnet-0prv1', 'subnet-0prv2'], availabilityZones: ['us-east-1a', 'us-east-1b'] },
  };
  const publicGroup: AutoScalingGroup = {
    AutoScalingGroupName: 'g-ecs', MinSize: 1, MaxSize: 4, DesiredCapacity: 2, DefaultCooldown: 300, AvailabilityZones: [], HealthCheckType: 'EC2', CreatedTime: new Date(),
    VPCZoneIdentifier: 'subnet-0pub1,subnet-0pub2', LaunchTemplate: { LaunchTemplateId: 'lt-0abc', Version: '$Latest' },
  };

  it('moves the group to the private subnets and onto Spot in one update; changes nothing when all matches', async () => {
    const as = mockClient(AutoScalingClient);
    try {
      as.on(UpdateAutoScalingGroupCommand).resolves({});
      const t = testStack({ stack: 'g', network: { instanceSubnets: 'private' }, instances: { spot: { instanceTypes: ['t3.small', 't3a.small'] } } });
      await convergePlacement(stepContext(t.env, { outputs }).ctx, publicGroup);
      expect(as.commandCalls(UpdateAutoScalingGroupCommand).map((c) => c.args[0].input)).toEqual([
        {
          AutoScalingGroupName: 'g-ecs',
          VPCZoneIdentifier: 'subnet-0prv1,subnet-0prv2',
          CapacityRebalance: true,
          MixedInstancesPolicy: {
            LaunchTemplate: { LaunchTemplateSpecification: { LaunchTemplateId: 'lt-0abc', Version: '$Latest' }, Overrides: [{ InstanceType: 't3.small' }, { InstanceType: 't3a.small' }] },
            InstancesDistribution: { OnDemandBaseCapacity: 0, OnDemandPercentageAboveBaseCapacity: 0, SpotAllocationStrategy: 'price-capacity-optimized' },
          },
        },
      ]);
      // GIVEN the group as it now is WHEN converged again THEN no call
      const updated = as.commandCalls(UpdateAutoScalingGroupCommand)[0]!.args[0].input;
      as.resetHistory();
      await convergePlacement(stepContext(t.env, { outputs }).ctx, { ...publicGroup, ...updated, LaunchTemplate: undefined } as AutoScalingGroup);
      expect(as.commandCalls(UpdateAutoScalingGroupCommand)).toHaveLength(0);
      // WHEN Spot is dropped from the answers THEN the group goes back to its plain launch template
      const noSpot = testStack({ stack: 'g', network: { instanceSubnets: 'private' } });
      await convergePlacement(stepContext(noSpot.env, { outputs }).ctx, { ...publicGroup, ...updated, LaunchTemplate: undefined } as AutoScalingGroup);
      expect(as.commandCalls(UpdateAutoScalingGroupCommand).map((c) => c.args[0].input)).toEqual([
        { AutoScalingGroupName: 'g-ecs', LaunchTemplate: { LaunchTemplateId: 'lt-0abc', Version: '$Latest' }, CapacityRebalance: false },
      ]);
    } finally {
      as.restore();
    }
  });
});

describe('the wizard asks for HTTPS, private instances and Spot', () => {
  const account: Account = {
    region: 'us-east-1',
    listVpcs: async () => [],
    listSubnets: async () => [],
    zonesOffering: async () => ['us-east-1a', 'us-east-1b'],
  };

  it('a domain with a requested certificate, private subnets with one NAT gateway per zone, Spot on two types', async () => {
    const prompter = scriptedPrompter([
      ['Stack name', 'asked'], ['region', undefined], ['Network', undefined], ['VPC CIDR', undefined], ['subnet CIDRs', undefined],
      ['HTTPS?', 'domain'], ['Domain name', 'Shop.Example.com'], ['Redirect HTTP', undefined], ['listener port', undefined],
      ['reach the load balancer', undefined], ['Health check', undefined], ['instance type', undefined], ['Availability zones', undefined],
      ['Where do the instances run', 'private'], ['NAT gateways', 2], ['Private subnet CIDRs', undefined],
      ['launched', undefined], ['Spot capacity', true], ['Spot instance types', 't3.small, t3a.small'], ['base capacity', 1], ['On-Demand share', undefined],
      ['desired capacity', undefined], ['Minimum instances', undefined], ['Maximum instances', undefined], ['key pair', ''],
      ['Container image', undefined], ['Container port', undefined], ['CPU units', undefined], ['memory (MiB)', undefined], ['desired count', undefined],
      ['CloudWatch Logs', undefined], ['how many days', undefined], ['Container Insights', undefined], ['automatically', undefined], ['Minimum tasks', undefined],
      ['Maximum tasks', undefined], ['which metrics', undefined], ['Target average CPU', undefined], ['How instances scale', undefined], ['Target capacity', undefined],
    ]);
    const a = validateAnswers(await gatherAnswers({ file: {}, prompter, yes: false, account: async () => account, advanced: true }));
    expect(prompter.remaining()).toBe(0);
    expect(a.loadBalancer).toMatchObject({ domain: 'shop.example.com', listenerPort: 443, redirectHttp: true });
    expect(a.loadBalancer.certificateArn).toBeUndefined();
    expect(a.network).toMatchObject({ instanceSubnets: 'private', natGateways: 2, privateSubnetCidrs: ['10.0.2.0/24', '10.0.3.0/24'] });
    expect(a.instances.spot).toEqual({ instanceTypes: ['t3.small', 't3a.small'], onDemandBaseCapacity: 1, onDemandPercentageAboveBase: 0 });
  });

  it('--yes keeps the defaults: no HTTPS, public instances, no Spot', async () => {
    const a = validateAnswers(await gatherAnswers({ file: { stack: 'quiet' }, yes: true, account: async () => account }));
    expect(a.loadBalancer.domain ?? a.loadBalancer.certificateArn).toBeUndefined();
    expect(a.network.instanceSubnets).toBe('public');
    expect(a.instances.spot).toBeUndefined();
  });
});
