import { GetProductsCommand, type PricingClient } from '@aws-sdk/client-pricing';
import type { PriceTable, RegionPriceKey } from './prices.js';

/**
 * The AWS Price List Query API (`pricing:GetProducts`): which products to ask for, and how to read
 * the answer. GetProducts returns `PriceList`, an array of JSON strings, one per product:
 * `{product: {productFamily, attributes: {usagetype, …}, sku}, terms: {OnDemand: {<offer>:
 * {priceDimensions: {<rate>: {unit, beginRange, endRange, pricePerUnit: {USD}}}}}, Reserved: …}}`.
 * Only On-Demand terms count, and only the first tier (beginRange "0"). A price is taken only
 * when every matching product agrees on it: several different prices, or none, is "no price" —
 * never a guess. scripts/prices.mjs uses the same code to regenerate the bundled table.
 */

export interface PriceDimension {
  unit: string;
  usd: number;
  beginRange?: string;
  description?: string;
}

export interface PriceListProduct {
  sku?: string;
  productFamily?: string;
  attributes: Record<string, string>;
  onDemand: PriceDimension[];
}

/** What to take from a GetProducts answer: the On-Demand price per `unit` of products whose usagetype matches. */
export interface PricePick {
  key: RegionPriceKey | `instance:${string}`;
  unit: string;
  usagetype: RegExp;
}

export interface PriceRequest {
  serviceCode: string;
  /** TERM_MATCH filters: attribute → value. */
  filters: Record<string, string>;
  picks: PricePick[];
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' ? (v as Json) : {});

/** One product of the PriceList (a JSON string, or the SDK's string wrapper around one). */
export function parseProduct(item: unknown): PriceListProduct | undefined {
  let doc: Json;
  try {
    doc = obj(JSON.parse(String(item)));
  } catch {
    return undefined;
  }
  const product = obj(doc.product);
  const attributes = Object.fromEntries(Object.entries(obj(product.attributes)).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  const onDemand: PriceDimension[] = [];
  for (const term of Object.values(obj(obj(doc.terms).OnDemand))) {
    for (const d of Object.values(obj(obj(term).priceDimensions))) {
      const dim = obj(d);
      const usd = Number(obj(dim.pricePerUnit).USD);
      if (typeof dim.unit !== 'string' || obj(dim.pricePerUnit).USD === undefined || !Number.isFinite(usd) || usd < 0) continue;
      onDemand.push({
        unit: dim.unit,
        usd,
        ...(typeof dim.beginRange === 'string' ? { beginRange: dim.beginRange } : {}),
        ...(typeof dim.description === 'string' ? { description: dim.description } : {}),
      });
    }
  }
  return {
    ...(typeof product.sku === 'string' ? { sku: product.sku } : {}),
    ...(typeof product.productFamily === 'string' ? { productFamily: product.productFamily } : {}),
    attributes,
    onDemand,
  };
}

export function parsePriceList(items: readonly unknown[]): PriceListProduct[] {
  return items.map(parseProduct).filter((p): p is PriceListProduct => p !== undefined);
}

/** The one On-Demand price the matching products agree on (first tier), else undefined. */
export function pickPrice(products: PriceListProduct[], pick: Pick<PricePick, 'unit' | 'usagetype'>): number | undefined {
  const prices = new Set<number>();
  for (const p of products) {
    if (!pick.usagetype.test(p.attributes.usagetype ?? '')) continue;
    for (const d of p.onDemand) if (d.unit === pick.unit && (d.beginRange === undefined || Number(d.beginRange) === 0)) prices.add(d.usd);
  }
  return prices.size === 1 ? [...prices][0] : undefined;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A usagetype, with or without the region's billing prefix (`USE2-`, `EUW1-`; us-east-1 has none). */
const usage = (suffix: string): RegExp => new RegExp(`^([A-Z0-9]+-)?${suffix}$`);

/** The region-wide prices, one GetProducts request per service and product family. */
export function regionRequests(region: string): PriceRequest[] {
  return [
    {
      serviceCode: 'AWSELB',
      filters: { regionCode: region, productFamily: 'Load Balancer-Application' },
      picks: [
        { key: 'albHour', unit: 'Hrs', usagetype: usage('LoadBalancerUsage') },
        { key: 'albLcuHour', unit: 'LCU-Hrs', usagetype: usage('LCUUsage') },
      ],
    },
    {
      serviceCode: 'AmazonEC2',
      filters: { regionCode: region, productFamily: 'NAT Gateway' },
      picks: [
        { key: 'natHour', unit: 'Hrs', usagetype: usage('NatGateway-Hours') },
        { key: 'natGb', unit: 'GB', usagetype: usage('NatGateway-Bytes') },
      ],
    },
    { serviceCode: 'AmazonVPC', filters: { regionCode: region, productFamily: 'VPC Public IPv4 Address' }, picks: [{ key: 'publicIpv4Hour', unit: 'Hrs', usagetype: usage('PublicIPv4:InUseAddress') }] },
    { serviceCode: 'AmazonEC2', filters: { regionCode: region, productFamily: 'Storage', volumeApiName: 'gp3' }, picks: [{ key: 'gp3GbMonth', unit: 'GB-Mo', usagetype: usage('EBS:VolumeUsage\\.gp3') }] },
    { serviceCode: 'AmazonCloudWatch', filters: { regionCode: region, productFamily: 'Data Payload' }, picks: [{ key: 'logsIngestGb', unit: 'GB', usagetype: usage('DataProcessing-Bytes') }] },
    { serviceCode: 'AmazonECR', filters: { regionCode: region }, picks: [{ key: 'ecrGbMonth', unit: 'GB-Mo', usagetype: usage('TimedStorage-ByteHrs') }] },
  ];
}

/** A Linux, shared-tenancy, On-Demand instance-hour (the capacity reservation rows are not `Used`). */
export function instanceRequest(region: string, instanceType: string): PriceRequest {
  return {
    serviceCode: 'AmazonEC2',
    filters: { regionCode: region, instanceType, operatingSystem: 'Linux', tenancy: 'Shared', preInstalledSw: 'NA', capacitystatus: 'Used', licenseModel: 'No License required' },
    picks: [{ key: `instance:${instanceType}`, unit: 'Hrs', usagetype: usage(`BoxUsage:${escape(instanceType)}`) }],
  };
}

/** At most this many pages per request: the filters leave a handful of products. */
const MAX_PAGES = 5;

export async function getProducts(client: PricingClient, req: PriceRequest): Promise<PriceListProduct[]> {
  const products: PriceListProduct[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const r = await client.send(
      new GetProductsCommand({
        ServiceCode: req.serviceCode,
        FormatVersion: 'aws_v1',
        Filters: Object.entries(req.filters).map(([Field, Value]) => ({ Type: 'TERM_MATCH', Field, Value })),
        MaxResults: 100,
        ...(token ? { NextToken: token } : {}),
      }),
    );
    products.push(...parsePriceList((r.PriceList as unknown[] | undefined) ?? []));
    token = r.NextToken;
    if (!token) break;
  }
  return products;
}

/** The region-wide prices the API agrees on (the first request goes alone: a refusal costs one call). */
export async function fetchRegionPrices(client: PricingClient, region: string): Promise<Partial<Record<RegionPriceKey, number>>> {
  const [first, ...rest] = regionRequests(region);
  const answers = [await getProducts(client, first!)];
  answers.push(...(await Promise.all(rest.map((r) => getProducts(client, r)))));
  const prices: Partial<Record<RegionPriceKey, number>> = {};
  regionRequests(region).forEach((req, k) => {
    for (const pick of req.picks) {
      const price = pickPrice(answers[k]!, pick);
      if (price !== undefined) prices[pick.key as RegionPriceKey] = price;
    }
  });
  return prices;
}

export async function fetchInstancePrice(client: PricingClient, region: string, instanceType: string): Promise<number | undefined> {
  const req = instanceRequest(region, instanceType);
  return pickPrice(await getProducts(client, req), req.picks[0]!);
}

/**
 * The bundled table as src/cost/table.ts holds it (scripts/prices.mjs writes it; a unit test checks
 * the file is exactly this for the table it holds): one line per region's region-wide prices, one
 * per instance family.
 */
export function renderPriceTable(table: PriceTable): string {
  const lines = [
    "import type { PriceTable } from './prices.js';",
    '',
    '/**',
    ' * The bundled price table: AWS list prices in USD (Linux, On-Demand, shared tenancy) for the regions',
    ' * and instance families ecs-wizard is most often used with. Used when the Price List API cannot be',
    ' * asked (no permission, no network, a local emulator), and for what it did not answer. A region or',
    ' * type missing here has no price: the estimate says so and never guesses.',
    ' *',
    ' * Written by scripts/prices.mjs from the Price List API (`npm run build && node scripts/prices.mjs`).',
    ' */',
    'export const BUNDLED_PRICES: PriceTable = {',
    `  asOf: '${table.asOf}',`,
    `  currency: '${table.currency}',`,
    `  hostedZoneMonth: ${table.hostedZoneMonth},`,
    '  regions: {',
  ];
  for (const [region, r] of Object.entries(table.regions)) {
    const { instanceHour, ...prices } = r;
    lines.push(`    '${region}': {`);
    lines.push(`      ${Object.entries(prices).map(([k, v]) => `${k}: ${v}`).join(', ')},`);
    lines.push('      instanceHour: {');
    const families = new Map<string, string[]>();
    for (const [type, price] of Object.entries(instanceHour)) {
      const family = type.split('.')[0]!;
      families.set(family, [...(families.get(family) ?? []), `'${type}': ${price}`]);
    }
    for (const entries of families.values()) lines.push(`        ${entries.join(', ')},`);
    lines.push('      },');
    lines.push('    },');
  }
  lines.push('  },', '};', '');
  return lines.join('\n');
}
