import { DescribeSpotPriceHistoryCommand, type EC2Client, type _InstanceType } from '@aws-sdk/client-ec2';

/** What Spot capacity of one type cost over the last hour: the median of the prices AWS reports across the zones asked. */
export interface SpotQuote {
  instanceType: string;
  /** USD per hour. */
  hourly: number;
  zones: string[];
  samples: number;
}

export type SpotQuotes = Record<string, SpotQuote>;

const HOUR_MS = 3_600_000;
/** The history of one hour for a few types and zones fits in one page; this bounds a chatty answer. */
const MAX_PAGES = 5;

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * The last hour's median Spot price of each type (Linux/UNIX) in the given zones (every zone of
 * the region when none are given), from DescribeSpotPriceHistory. AWS also returns the price in
 * effect at the start of the hour, so a type whose price did not change still has one. A type AWS
 * reports nothing for is absent.
 */
export async function spotQuotes(ec2: EC2Client, types: string[], zones: string[] | undefined, now = Date.now()): Promise<SpotQuotes> {
  const wanted = [...new Set(types)];
  if (wanted.length === 0) return {};
  const prices = new Map<string, { values: number[]; zones: Set<string> }>();
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const r = await ec2.send(
      new DescribeSpotPriceHistoryCommand({
        InstanceTypes: wanted as _InstanceType[],
        ProductDescriptions: ['Linux/UNIX'],
        StartTime: new Date(now - HOUR_MS),
        EndTime: new Date(now),
        ...(zones?.length ? { Filters: [{ Name: 'availability-zone', Values: zones }] } : {}),
        ...(token ? { NextToken: token } : {}),
      }),
    );
    for (const h of r.SpotPriceHistory ?? []) {
      const price = Number(h.SpotPrice);
      if (!h.InstanceType || !wanted.includes(h.InstanceType) || !Number.isFinite(price)) continue;
      const entry = prices.get(h.InstanceType) ?? { values: [], zones: new Set<string>() };
      entry.values.push(price);
      if (h.AvailabilityZone) entry.zones.add(h.AvailabilityZone);
      prices.set(h.InstanceType, entry);
    }
    token = r.NextToken || undefined;
    if (!token) break;
  }
  return Object.fromEntries(
    [...prices].map(([type, p]) => [type, { instanceType: type, hourly: median(p.values), zones: [...p.zones].sort(), samples: p.values.length }]),
  );
}
