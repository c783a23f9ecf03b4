import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PricingClient } from '@aws-sdk/client-pricing';
import { fetchInstancePrice, fetchRegionPrices, instanceRequest, parsePriceList, parseProduct, pickPrice, regionRequests, renderPriceTable } from '../../../src/cost/price-list.js';
import { REGION_PRICE_KEYS } from '../../../src/cost/prices.js';
import { BUNDLED_PRICES } from '../../../src/cost/table.js';
import { wireError, wireHandler, wireJson, type WireResponse } from '../../support/aws-wire.js';
import { DOCUMENTED_EXAMPLE, T3_SMALL_US_EAST_1, US_EAST_1_PRODUCTS, getProducts } from '../../support/price-list.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** A real PricingClient whose requests are answered on the wire (JSON 1.1, target AWSPriceListService.GetProducts). */
function pricingClient(answer: (input: { ServiceCode?: string; Filters?: { Type?: string; Field?: string; Value?: string }[] }) => WireResponse) {
  const seen: { target: string; input: Record<string, unknown> }[] = [];
  const client = new PricingClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
    requestHandler: wireHandler((req) => {
      const input = JSON.parse(req.body) as Record<string, unknown>;
      seen.push({ target: req.headers['x-amz-target'] ?? '', input });
      return answer(input);
    }),
  });
  return { client, seen };
}

describe('the Price List API answer', () => {
  it("reads AWS's documented example: the On-Demand USD price per unit of the one product", () => {
    const [p] = parsePriceList(DOCUMENTED_EXAMPLE.PriceList);
    expect(p).toMatchObject({ sku: '3MKHN58N7RDDVGKJ', productFamily: 'Storage', attributes: { usagetype: 'APS1-EBS:VolumeUsage.piops', volumeType: 'Provisioned IOPS' } });
    expect(p!.onDemand).toEqual([{ unit: 'GB-Mo', usd: 0.138, beginRange: '0', description: '$0.138 per GB-month of Provisioned IOPS SSD (io1)  provisioned storage - Asia Pacific (Singapore)' }]);
    // The region's billing prefix (APS1-) is allowed, the usagetype must end as asked
    expect(pickPrice([p!], { unit: 'GB-Mo', usagetype: /^([A-Z0-9]+-)?EBS:VolumeUsage\.piops$/ })).toBe(0.138);
    expect(pickPrice([p!], { unit: 'GB-Mo', usagetype: /^([A-Z0-9]+-)?EBS:VolumeUsage\.gp3$/ })).toBeUndefined();
  });

  it('takes the On-Demand term of an instance, never a Reserved one', () => {
    const p = parseProduct(T3_SMALL_US_EAST_1)!;
    expect(p.onDemand.map((d) => d.usd)).toEqual([0.0208]);
    expect(pickPrice([p], instanceRequest('us-east-1', 't3.small').picks[0]!)).toBe(0.0208);
  });

  it('gives no price when the matching products disagree or none matches, and skips what is not a product', () => {
    const [a, b] = parsePriceList([T3_SMALL_US_EAST_1, T3_SMALL_US_EAST_1.replace('"USD":"0.0208000000"', '"USD":"0.0300000000"')]);
    const pick = instanceRequest('us-east-1', 't3.small').picks[0]!;
    expect(pickPrice([a!, a!], pick)).toBe(0.0208);
    expect(pickPrice([a!, b!], pick)).toBeUndefined();
    expect(pickPrice([a!], { unit: 'Hrs', usagetype: /^BoxUsage:t3\.medium$/ })).toBeUndefined();
    expect(parsePriceList(['not json', '{"product":{"attributes":{}},"terms":{"OnDemand":{"x":{"priceDimensions":{"y":{"unit":"Hrs","pricePerUnit":{"USD":"abc"}}}}}}}'])).toEqual([{ attributes: {}, onDemand: [] }]);
  });

  it('asks GetProducts with TERM_MATCH filters and reads every region-wide price and an instance-hour from the answers', async () => {
    const { client, seen } = pricingClient((input) => wireJson('pricing', getProducts(US_EAST_1_PRODUCTS, input)));
    const prices = await fetchRegionPrices(client, 'us-east-1');
    // THEN each region-wide price is the list price (the bundled table holds the same for us-east-1)
    const table = BUNDLED_PRICES.regions['us-east-1']!;
    expect(prices).toEqual(Object.fromEntries(REGION_PRICE_KEYS.map((k) => [k, table[k]])));
    expect(await fetchInstancePrice(client, 'us-east-1', 't3.small')).toBe(0.0208);
    // (a type the table lacks, and one the API does not know)
    expect(await fetchInstancePrice(client, 'us-east-1', 'm7i.large')).toBe(0.1008);
    expect(await fetchInstancePrice(client, 'us-east-1', 'x9.huge')).toBeUndefined();
    expect(new Set(seen.map((s) => s.target))).toEqual(new Set(['AWSPriceListService.GetProducts']));
    expect(seen.length).toBe(regionRequests('us-east-1').length + 3);
    expect(seen.at(-3)!.input).toMatchObject({
      ServiceCode: 'AmazonEC2',
      FormatVersion: 'aws_v1',
      Filters: expect.arrayContaining([
        { Type: 'TERM_MATCH', Field: 'instanceType', Value: 't3.small' },
        { Type: 'TERM_MATCH', Field: 'regionCode', Value: 'us-east-1' },
        { Type: 'TERM_MATCH', Field: 'capacitystatus', Value: 'Used' },
      ]),
    });
    client.destroy();
  });

  it('follows NextToken, and a refusal is the SDK error AWS sends', async () => {
    let pages = 0;
    const paged = pricingClient((input) => {
      pages++;
      const all = getProducts(US_EAST_1_PRODUCTS, input);
      return wireJson('pricing', (input as { NextToken?: string }).NextToken ? { ...all, PriceList: all.PriceList.slice(1) } : { ...all, PriceList: all.PriceList.slice(0, 1), NextToken: 'page-2' });
    });
    expect(await fetchRegionPrices(paged.client, 'us-east-1')).toMatchObject({ albHour: 0.0225, albLcuHour: 0.008, natHour: 0.045, natGb: 0.045 });
    expect(pages).toBe(regionRequests('us-east-1').length * 2);
    const refused = pricingClient(() => wireError('pricing', 'AccessDeniedException', 'User: arn:aws:iam::123456789012:user/ci is not authorized to perform: pricing:GetProducts'));
    await expect(fetchRegionPrices(refused.client, 'us-east-1')).rejects.toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
    // (the first request goes alone: a refusal costs one call)
    expect(refused.seen).toHaveLength(1);
  });
});

describe('the bundled table', () => {
  const table = BUNDLED_PRICES;

  it('is the file scripts/prices.mjs writes, byte for byte', () => {
    expect(renderPriceTable(table)).toBe(readFileSync(path.join(root, 'src/cost/table.ts'), 'utf8'));
  });

  it('holds every region the wizard is used in, each price of each, dated', () => {
    expect(Object.keys(table.regions).sort()).toEqual(['ap-northeast-1', 'ap-southeast-1', 'eu-central-1', 'eu-west-1', 'us-east-1', 'us-east-2', 'us-west-2']);
    expect(table.asOf).toBe('2026-11-01');
    for (const [region, r] of Object.entries(table.regions)) {
      for (const k of REGION_PRICE_KEYS) expect(r[k], `${region} ${k}`).toBeGreaterThan(0);
      // Public IPv4 costs the same everywhere since February 2024
      expect(r.publicIpv4Hour).toBe(0.005);
      for (const family of ['t3', 't3a', 't4g', 'm5', 'm6i', 'm6g', 'c5', 'c6i', 'c6g', 'r5', 'r6i', 'r6g']) {
        const sizes = family.startsWith('t') ? ['small', 'medium', 'large', 'xlarge', '2xlarge'] : ['large', 'xlarge', '2xlarge'];
        for (const size of sizes) expect(r.instanceHour[`${family}.${size}`], `${region} ${family}.${size}`).toBeGreaterThan(0);
      }
    }
  });

  it('doubles each price from one size to the next, as AWS prices them (a mistyped price stands out)', () => {
    const order = ['nano', 'micro', 'small', 'medium', 'large', 'xlarge', '2xlarge'];
    for (const [region, r] of Object.entries(table.regions)) {
      for (const [type, price] of Object.entries(r.instanceHour)) {
        const [family, size] = type.split('.');
        const next = r.instanceHour[`${family}.${order[order.indexOf(size!) + 1]}`];
        if (next !== undefined) expect(next / price, `${region} ${type}`).toBeCloseTo(2, 1);
      }
    }
  });
});
