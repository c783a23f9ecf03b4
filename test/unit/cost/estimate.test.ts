import { describe, expect, it } from 'vitest';
import { validateAnswers } from '../../../src/wizard/answers-file.js';
import { costChange, counterpartType, estimateFromAnswers, estimateFromRunning, monthlyOf } from '../../../src/cost/estimate.js';
import { costHeadline, costLines } from '../../../src/cost/format.js';
import { bundledBook } from '../../../src/cost/prices.js';
import type { SpotQuotes } from '../../../src/cost/spot.js';

/** 730 hours a month; every figure below is written out as the arithmetic it is. */
const H = 730;
const item = (r: ReturnType<typeof estimateFromAnswers>, name: string) => r.items.find((i) => i.item === name);

describe('the estimate from the answers, checked by hand', () => {
  it('us-east-1, the defaults (2 × t3.small, the ALB, public subnets)', () => {
    const r = estimateFromAnswers(validateAnswers({ stack: 'shop' }), bundledBook('us-east-1'));
    const instances = 2 * H * 0.0208; // 30.368
    const ebs = 2 * 30 * 0.08; // 4.80: the AMI's 30 GiB gp3 root volume each
    const alb = H * 0.0225 + H * 0.008; // 16.425 + 5.84: the hours and the minimum of one LCU
    const ipv4 = (2 + 2) * H * 0.005; // 14.60: the two instances and the ALB's two zones
    expect(r.monthly).toBeCloseTo(instances + ebs + alb + ipv4, 2); // 72.03
    expect(r.monthly).toBe(72.03);
    // At max (4 instances): the instance-hours, volumes and addresses of 4
    expect(r.monthlyAtMax).toBeCloseTo(4 * H * 0.0208 + 4 * 30 * 0.08 + alb + (4 + 2) * H * 0.005, 2); // 114.50
    expect(r).toMatchObject({ currency: 'USD', region: 'us-east-1', source: 'bundled', pricesAsOf: '2026-11-01', missing: [] });
    expect(item(r, 'EC2 t3.small On-Demand')).toEqual({ item: 'EC2 t3.small On-Demand', quantity: 2 * H, unit: 'Hrs', unitPrice: 0.0208, monthly: 30.37 });
    expect(item(r, 'Public IPv4: load balancer (one per zone)')).toMatchObject({ quantity: 2 * H, unitPrice: 0.005, monthly: 7.3 });
    // Each item is quantity × unit price, and they add up to the figure
    for (const i of r.items) expect(i.monthly).toBeCloseTo(i.quantity * i.unitPrice!, 2);
    // What is billed by use is listed with its unit price, never counted
    expect(r.usage).toEqual([
      { item: 'ALB capacity units beyond the first', unit: 'LCU-Hrs', unitPrice: 0.008 },
      { item: 'CloudWatch Logs ingestion', unit: 'GB', unitPrice: 0.5 },
    ]);
  });

  it('eu-west-1, the defaults: the same shape at Ireland\'s prices', () => {
    const r = estimateFromAnswers(validateAnswers({ stack: 'shop', region: 'eu-west-1' }), bundledBook('eu-west-1'));
    const expected = 2 * H * 0.0228 + 2 * 30 * 0.088 + H * 0.0252 + H * 0.008 + (2 + 2) * H * 0.005; // 33.288 + 5.28 + 18.396 + 5.84 + 14.60
    expect(r.monthly).toBeCloseTo(expected, 2); // 77.40
    expect(r.monthlyAtMax).toBeCloseTo(4 * H * 0.0228 + 4 * 30 * 0.088 + H * 0.0252 + H * 0.008 + (4 + 2) * H * 0.005, 2);
    expect(costHeadline(r)).toBe('≈ $77/month at desired capacity (up to $123 at max), eu-west-1 prices as of 2026-11-01');
  });

  it('private instances with a NAT gateway per zone cost more by at least the gateways\' hours', () => {
    const book = bundledBook('us-east-1');
    const open = estimateFromAnswers(validateAnswers({ stack: 'shop' }), book);
    const shut = estimateFromAnswers(validateAnswers({ stack: 'shop', network: { instanceSubnets: 'private', natGateways: 2 } }), book);
    expect(shut.monthly! - open.monthly!).toBeGreaterThanOrEqual(2 * H * 0.045 - 0.005);
    // The gateways and their Elastic IPs are items; the instances have no public address
    expect(item(shut, 'NAT gateways')).toMatchObject({ quantity: 2 * H, unitPrice: 0.045, monthly: 65.7 });
    expect(item(shut, "Public IPv4: NAT gateways' Elastic IPs")).toMatchObject({ quantity: 2 * H, monthly: 7.3 });
    expect(item(shut, 'Public IPv4: instances')).toBeUndefined();
    expect(shut.usage).toContainEqual({ item: 'NAT gateway data processing', unit: 'GB', unitPrice: 0.045 });
    // Each choice says what the other option would change
    expect(shut.choices.find((c) => c.choice === 'private instances')).toMatchObject({ monthly: 65.7 }); // NAT hours + their addresses − the instances' addresses
    expect(shut.choices.find((c) => c.choice === '2 NAT gateways')).toMatchObject({ monthly: H * 0.045 + H * 0.005 }); // one gateway and its address: 36.50
    expect(open.choices.find((c) => c.choice === 'public instances')?.detail).toBe('private instances instead: +$29.20/month (one NAT gateway and its address; no public IPv4 on the instances)');
  });

  it('existing private subnets: the NAT gateways are the user\'s, not counted', () => {
    const a = validateAnswers({ stack: 'r', network: { vpcId: 'vpc-0abc1234', subnetIds: ['subnet-0abc1234', 'subnet-0def5678'], instanceSubnets: 'private', privateSubnetIds: ['subnet-0aaa1111', 'subnet-0bbb2222'] } });
    const r = estimateFromAnswers(a, bundledBook('us-east-1'));
    expect(r.items.map((i) => i.item)).not.toContain('NAT gateway');
    expect(r.notes).toContain('the private subnets route through NAT gateways you already have: not counted');
  });

  it('Spot: the last hour\'s median for the Spot hosts, and what all On-Demand would cost', () => {
    const a = validateAnswers({ stack: 's', instances: { desiredCapacity: 3, maxSize: 6, spot: { instanceTypes: ['t3.small', 't3a.small'], onDemandBaseCapacity: 1 } } });
    const spot: SpotQuotes = {
      't3.small': { instanceType: 't3.small', hourly: 0.0071, zones: ['us-east-1a', 'us-east-1b'], samples: 4 },
      't3a.small': { instanceType: 't3a.small', hourly: 0.0066, zones: ['us-east-1a'], samples: 2 },
    };
    const r = estimateFromAnswers(a, bundledBook('us-east-1'), spot);
    // 1 On-Demand (the base), 2 on Spot at the dearer of the two types' medians (any listed type may run)
    expect(item(r, 'EC2 t3.small On-Demand')).toMatchObject({ quantity: H, unitPrice: 0.0208 });
    expect(item(r, 'EC2 Spot (t3.small, t3a.small)')).toMatchObject({ quantity: 2 * H, unitPrice: 0.0071, monthly: 10.37 });
    const choice = r.choices.find((c) => c.choice === 'Spot')!;
    expect(choice.detail).toContain('t3.small $0.0071/h vs $0.0208 On-Demand (66 % less)');
    expect(choice.detail).toContain('the median of the last hour in us-east-1a, us-east-1b');
    expect(choice.monthly).toBeCloseTo(-2 * H * (0.0208 - 0.0071), 2); // −20.00
    // Without Spot history: counted at the On-Demand price, an upper bound, and said so
    const blind = estimateFromAnswers(a, bundledBook('us-east-1'));
    expect(item(blind, 'EC2 Spot (t3.small, t3a.small)')).toMatchObject({ unitPrice: 0.0208 });
    expect(blind.notes).toContain('no Spot price history for t3.small was read: its Spot hosts count at the On-Demand price (an upper bound)');
  });

  it('Graviton against x86 for the same size, both ways', () => {
    expect(counterpartType('t3.small')).toEqual({ instanceType: 't4g.small', graviton: true });
    expect(counterpartType('m7g.large')).toEqual({ instanceType: 'm7i.large', graviton: false });
    expect(counterpartType('x9.huge')).toBeUndefined();
    const r = estimateFromAnswers(validateAnswers({ stack: 'g' }), bundledBook('us-east-1'));
    const c = r.choices.find((x) => x.choice === 't3.small (x86_64)')!;
    expect(c.monthly).toBeCloseTo(-2 * H * (0.0168 - 0.0208), 2); // t3.small costs 5.84 more than t4g.small at 2 hosts
    expect(c.detail).toBe('t4g.small (Graviton, arm64, $12.26 a month each vs $15.18, −19 %) instead: −$5.84/month; the images must be built for arm64');
    // A counterpart without a price is no choice shown (m7i is not in the bundled table)
    expect(estimateFromAnswers(validateAnswers({ stack: 'g', instances: { instanceType: 'm7g.large' } }), bundledBook('us-east-1')).choices.map((x) => x.choice)).toEqual(['public instances']);
  });

  it('a type or region without a price says so, and there is no total rather than a guess', () => {
    const r = estimateFromAnswers(validateAnswers({ stack: 'x', instances: { instanceType: 'x2iedn.xlarge' } }), bundledBook('us-east-1'));
    expect(r.monthly).toBeNull();
    expect(r.missing).toEqual(['no price for x2iedn.xlarge in us-east-1']);
    expect(item(r, 'EC2 x2iedn.xlarge On-Demand')).toMatchObject({ unitPrice: null, monthly: null });
    // the items that have a price keep it
    expect(item(r, 'Application Load Balancer')?.monthly).toBe(16.43);
    expect(costHeadline(r)).toBe('≈ ? /month at desired capacity: no price for x2iedn.xlarge in us-east-1');
    const far = estimateFromAnswers(validateAnswers({ stack: 'x', region: 'me-central-1' }), bundledBook('me-central-1'));
    expect(far.monthly).toBeNull();
    expect(far.missing).toContain('no price for t3.small in me-central-1');
    expect(far.missing).toContain('no price for Application Load Balancer hours in me-central-1');
  });

  it('a change of capacity, type, NAT or Spot shows its delta', () => {
    const book = bundledBook('us-east-1');
    const before = estimateFromAnswers(validateAnswers({ stack: 'c' }), book);
    const bigger = estimateFromAnswers(validateAnswers({ stack: 'c', instances: { desiredCapacity: 3, maxSize: 4 } }), book);
    // one more t3.small, its root volume and its address: 15.184 + 2.40 + 3.65 = 21.234, the difference of the two figures as shown (93.27 − 72.03)
    expect(costChange(before, bigger, 'x')).toEqual({ monthly: 21.24, monthlyAtMax: 0, against: 'x' });
    expect(bigger.monthly! - before.monthly!).toBeCloseTo(H * 0.0208 + 30 * 0.08 + H * 0.005, 1);
    expect(costChange(before, before, 'x')).toBeUndefined();
    const medium = estimateFromAnswers(validateAnswers({ stack: 'c', instances: { instanceType: 't3.medium' } }), book);
    expect(costChange(before, medium, 'x')?.monthly).toBeCloseTo(2 * H * (0.0416 - 0.0208), 2);
    expect(monthlyOf(validateAnswers({ stack: 'c', network: { instanceSubnets: 'private' } }), book)! - before.monthly!).toBeCloseTo(H * 0.045 + H * 0.005 - 2 * H * 0.005, 2);
  });

  it('the block: one line per billed item, the usage prices, the choices, the source, the headline last', () => {
    const lines = costLines(estimateFromAnswers(validateAnswers({ stack: 'shop', loadBalancer: { domain: 'shop.example.com' } }), bundledBook('us-east-1')));
    expect(lines[0]).toBe('What it costs (estimates in USD, 730 hours a month; prices: bundled table as of 2026-11-01)');
    expect(lines).toContain('  EC2 t3.small On-Demand                       1460 Hrs × $0.0208     $30.37');
    expect(lines).toContain('  note: the Route 53 hosted zone holding shop.example.com is yours: not counted (AWS bills $0.50 a month per zone)');
    expect(lines.at(-1)).toBe('≈ $72/month at desired capacity (up to $115 at max), us-east-1 prices as of 2026-11-01');
    // "estimates" is said once
    expect(lines.filter((l) => /estimate/i.test(l))).toHaveLength(1);
  });
});

describe('the estimate from what runs', () => {
  it('prices each instance by its type and market, the ALB\'s zones, NAT gateways and addresses', () => {
    const book = bundledBook('us-east-1');
    const spot: SpotQuotes = { 't3a.small': { instanceType: 't3a.small', hourly: 0.0062, zones: ['us-east-1b'], samples: 1 } };
    const r = estimateFromRunning(
      {
        hosts: [
          { instanceType: 't3.small', spot: false, publicIp: false },
          { instanceType: 't3a.small', spot: true, publicIp: false },
        ],
        albZones: 2,
        natGateways: 1,
        natAddresses: 1,
        maxSize: 4,
        launchType: 't3.small',
      },
      book,
      spot,
    );
    expect(r.items.map((i) => [i.item, i.quantity, i.unitPrice])).toEqual([
      ['EC2 t3.small On-Demand', H, 0.0208],
      ['EC2 t3a.small Spot', H, 0.0062],
      ['EBS gp3 root volumes (30 GiB each)', 60, 0.08],
      ['Application Load Balancer', H, 0.0225],
      ['ALB capacity units (the minimum: 1 LCU)', H, 0.008],
      ['NAT gateway', H, 0.045],
      ['Public IPv4: load balancer (one per zone)', 2 * H, 0.005],
      ["Public IPv4: NAT gateways' Elastic IPs", H, 0.005],
    ]);
    const now = H * 0.0208 + H * 0.0062 + 60 * 0.08 + H * (0.0225 + 0.008 + 0.045) + 3 * H * 0.005;
    expect(r.monthly).toBeCloseTo(now, 2);
    // At max: two more hosts of the type the group launches, On-Demand, private as these are
    expect(r.monthlyAtMax).toBeCloseTo(now + 2 * (H * 0.0208 + 30 * 0.08), 2);
    // A Spot host of a type without history: at its On-Demand price, said so
    const blind = estimateFromRunning({ hosts: [{ instanceType: 't3.small', spot: true, publicIp: true }], albZones: 2, natGateways: 0, natAddresses: 0 }, book);
    expect(blind.items[0]).toMatchObject({ item: 'EC2 t3.small Spot', unitPrice: 0.0208 });
    expect(blind.notes[0]).toMatch(/count at the On-Demand price \(an upper bound\)/);
  });
});
