import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PricingClient } from '@aws-sdk/client-pricing';
import { EC2Client } from '@aws-sdk/client-ec2';
import { bundledBook, loadPriceBook, pricingRegion } from '../../../src/cost/prices.js';
import { spotQuotes } from '../../../src/cost/spot.js';
import { priceCacheDir } from '../../../src/cli/prices.js';
import { wireError, wireHandler, wireJson, wireXml, type WireResponse } from '../../support/aws-wire.js';
import { US_EAST_1_PRODUCTS, getProducts } from '../../support/price-list.js';

/** A real PricingClient answered on the wire; `calls` counts the requests. */
function pricing(answer: (input: Record<string, unknown>) => WireResponse = (input) => wireJson('pricing', getProducts(US_EAST_1_PRODUCTS, input))) {
  const state = { calls: 0 };
  const client = new PricingClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
    requestHandler: wireHandler((req) => {
      state.calls++;
      return answer(JSON.parse(req.body) as Record<string, unknown>);
    }),
  });
  return Object.assign(state, { client, get: () => client });
}

const NOW = Date.parse('2026-12-06T09:30:00Z');
const cacheDir = (): string => mkdtempSync(path.join(tmpdir(), 'ecs-wizard-prices-'));

describe('where the prices come from', () => {
  it('asks the Price List API in the nearest of its three regions', () => {
    expect(['us-east-1', 'us-west-2', 'ca-central-1', 'sa-east-1'].map(pricingRegion)).toEqual(['us-east-1', 'us-east-1', 'us-east-1', 'us-east-1']);
    expect(['eu-west-1', 'eu-central-1', 'me-central-1', 'af-south-1', 'il-central-1'].map(pricingRegion)).toEqual(Array(5).fill('eu-central-1'));
    expect(['ap-southeast-1', 'ap-northeast-1', 'ap-south-1'].map(pricingRegion)).toEqual(Array(3).fill('ap-south-1'));
  });

  it("the API's answers, dated the day they were fetched, cached for a day beside the states", async () => {
    // GIVEN the API answering as AWS does
    const api = pricing();
    const dir = cacheDir();
    // WHEN the prices of us-east-1 and two types are loaded
    const book = await loadPriceBook({ region: 'us-east-1', instanceTypes: ['t3.small', 'm7i.large'], pricing: api.get, cacheDir: dir, now: () => NOW });
    // THEN they are the API's (m7i.large is in no bundled table), dated today
    expect(book).toMatchObject({ source: 'price-list-api', asOf: '2026-12-06', fromTable: [], instanceHour: { 't3.small': 0.0208, 'm7i.large': 0.1008 }, prices: { albHour: 0.0225, natHour: 0.045, publicIpv4Hour: 0.005 } });
    const asked = api.calls;
    expect(asked).toBe(8);
    expect(JSON.parse(readFileSync(path.join(dir, 'us-east-1.json'), 'utf8'))).toMatchObject({ version: 1, region: 'us-east-1', fetchedAt: '2026-12-06T09:30:00.000Z', instanceHour: { 't3.small': 0.0208 } });
    // WHEN loaded again within the day THEN nothing is asked; a new type is asked alone
    expect(await loadPriceBook({ region: 'us-east-1', instanceTypes: ['t3.small'], pricing: api.get, cacheDir: dir, now: () => NOW + 3_600_000 })).toMatchObject({ source: 'price-list-api', asOf: '2026-12-06' });
    expect(api.calls).toBe(asked);
    expect((await loadPriceBook({ region: 'us-east-1', instanceTypes: ['t4g.small'], pricing: api.get, cacheDir: dir, now: () => NOW + 3_600_000 })).instanceHour['t4g.small']).toBe(0.0168);
    expect(api.calls).toBe(asked + 1);
    // WHEN a day has passed THEN it is asked again
    const later = await loadPriceBook({ region: 'us-east-1', instanceTypes: ['t3.small'], pricing: api.get, cacheDir: dir, now: () => NOW + 25 * 3_600_000 });
    expect(later.asOf).toBe('2026-12-07');
    expect(api.calls).toBe(asked + 1 + 7);
    api.client.destroy();
  });

  it('what the API has no single price for comes from the bundled table, and says so', async () => {
    // GIVEN an API that knows the instance types but none of the load balancer's products
    const api = pricing((input) => wireJson('pricing', input.ServiceCode === 'AWSELB' ? { FormatVersion: 'aws_v1', PriceList: [] } : getProducts(US_EAST_1_PRODUCTS, input)));
    const book = await loadPriceBook({ region: 'us-east-1', instanceTypes: ['t3.small', 't3a.small'], pricing: api.get, now: () => NOW });
    expect(book.source).toBe('price-list-api');
    expect(book.prices).toMatchObject({ albHour: 0.0225, albLcuHour: 0.008 });
    expect(book.fromTable).toEqual(['Application Load Balancer hours', 'ALB capacity units (LCU-hours)', 't3a.small']);
    api.client.destroy();
  });

  it('the bundled table when the API refuses (no permission), answers nothing, or is not asked', async () => {
    const denied = pricing(() => wireError('pricing', 'AccessDeniedException', 'User: arn:aws:iam::123456789012:user/ci is not authorized to perform: pricing:GetProducts'));
    const dir = cacheDir();
    const book = await loadPriceBook({ region: 'eu-west-1', instanceTypes: ['t3.small'], pricing: denied.get, cacheDir: dir, now: () => NOW });
    expect(book).toMatchObject({ source: 'bundled', asOf: '2026-11-01', fallback: 'AccessDeniedException', instanceHour: { 't3.small': 0.0228 } });
    // (one call was the whole cost of finding out, and a refusal is not cached)
    expect(denied.calls).toBe(1);
    expect(existsSync(path.join(dir, 'eu-west-1.json'))).toBe(false);
    // An emulator's HTML 500 (moto's answer): said by its status
    const broken = pricing(() => ({ status: 500, headers: { 'content-type': 'text/html' }, body: '<!doctype html><title>500 Internal Server Error</title>' }));
    expect(await loadPriceBook({ region: 'eu-west-1', instanceTypes: [], pricing: broken.get, now: () => NOW })).toMatchObject({ source: 'bundled', fallback: 'HTTP 500' });
    broken.client.destroy();
    // An API without a single price for the region: the table, said so
    const empty = pricing(() => wireJson('pricing', { FormatVersion: 'aws_v1', PriceList: [] }));
    expect(await loadPriceBook({ region: 'eu-west-1', instanceTypes: ['t3.small'], pricing: empty.get, now: () => NOW })).toMatchObject({ source: 'bundled', fallback: 'the Price List API had no prices for eu-west-1' });
    // China and GovCloud: not asked (it prices them in another currency, or from another partition)
    const notAsked = pricing();
    expect(await loadPriceBook({ region: 'cn-north-1', instanceTypes: ['t3.small'], pricing: notAsked.get })).toMatchObject({ source: 'bundled', fallback: 'the Price List API does not price aws-cn regions in USD', instanceHour: {} });
    expect(notAsked.calls).toBe(0);
    for (const c of [denied, empty, notAsked]) c.client.destroy();
  });

  it('a region or type the table lacks has no price, never a neighbour\'s', () => {
    expect(bundledBook('me-central-1')).toMatchObject({ prices: {}, instanceHour: {} });
    expect(bundledBook('eu-west-1').instanceHour['m7g.large']).toBeUndefined();
    expect(bundledBook('us-east-1').instanceHour['m7g.large']).toBe(0.0816);
  });

  it('caches beside a local state directory, else in the user cache directory', () => {
    const ctx = { cwd: '/work/app', env: { HOME: '/home/ci' } };
    expect(priceCacheDir({ state: { kind: 'file', dir: '.ecs-wizard' } }, ctx)).toBe('/work/app/.ecs-wizard/.prices');
    expect(priceCacheDir({ state: { kind: 's3', bucket: 'b', prefix: 'p' } }, ctx)).toBe('/home/ci/.cache/ecs-wizard/prices');
    expect(priceCacheDir({ state: { kind: 's3', bucket: 'b', prefix: 'p' } }, { ...ctx, env: { ...ctx.env, XDG_CACHE_HOME: '/var/cache/ci' } })).toBe('/var/cache/ci/ecs-wizard/prices');
  });
});

describe('Spot prices', () => {
  it('the median of the last hour per type, across the zones asked, from DescribeSpotPriceHistory', async () => {
    const sent: URLSearchParams[] = [];
    const history = (items: [string, string, string][]) =>
      `<DescribeSpotPriceHistoryResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><spotPriceHistorySet>${items
        .map(([type, zone, price]) => `<item><instanceType>${type}</instanceType><productDescription>Linux/UNIX</productDescription><spotPrice>${price}</spotPrice><timestamp>2026-12-06T09:00:00.000Z</timestamp><availabilityZone>${zone}</availabilityZone></item>`)
        .join('')}</spotPriceHistorySet><nextToken/></DescribeSpotPriceHistoryResponse>`;
    const ec2 = new EC2Client({
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
      requestHandler: wireHandler((req) => {
        sent.push(new URLSearchParams(req.body));
        return wireXml(
          history([
            ['t3.small', 'us-east-1a', '0.007100'],
            ['t3.small', 'us-east-1b', '0.006900'],
            ['t3.small', 'us-east-1a', '0.007500'],
            ['t3a.small', 'us-east-1a', '0.006200'],
            ['t3a.small', 'us-east-1b', '0.006400'],
          ]),
        );
      }),
    });
    const quotes = await spotQuotes(ec2, ['t3.small', 't3a.small'], ['us-east-1a', 'us-east-1b'], NOW);
    expect(quotes['t3.small']).toEqual({ instanceType: 't3.small', hourly: 0.0071, zones: ['us-east-1a', 'us-east-1b'], samples: 3 });
    expect(quotes['t3a.small']!.hourly).toBeCloseTo(0.0063, 6);
    const q = sent[0]!;
    expect(q.get('Action')).toBe('DescribeSpotPriceHistory');
    expect(q.get('ProductDescription.1')).toBe('Linux/UNIX');
    expect(q.get('StartTime')).toBe('2026-12-06T08:30:00Z');
    expect(q.get('Filter.1.Name')).toBe('availability-zone');
    expect([q.get('InstanceType.1'), q.get('InstanceType.2')]).toEqual(['t3.small', 't3a.small']);
    ec2.destroy();
  });
});
