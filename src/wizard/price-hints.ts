import { HOURS_PER_MONTH, ROOT_VOLUME_GB, counterpartType } from '../cost/estimate.js';
import { unitUsd, usd } from '../cost/format.js';
import type { PriceBook } from '../cost/prices.js';
import type { QuestionContext } from './questions.js';

/**
 * The prices the wizard shows beside its choices, from the same prices the review uses (the region
 * answered so far). Each returns undefined when a price is unknown: a question is never held up
 * or cluttered by a price it cannot give.
 */

const month = (hourly: number): number => hourly * HOURS_PER_MONTH;
const typeOf = (c: QuestionContext): string => String(c.get('instances.instanceType') ?? 't3.small');

/** A NAT gateway a month with its Elastic IP, e.g. `$36.50`. */
export function natGatewayMonthly(book: PriceBook | undefined): number | undefined {
  const nat = book?.prices.natHour;
  const ip = book?.prices.publicIpv4Hour;
  return nat === undefined || ip === undefined ? undefined : month(nat + ip);
}

/** "t3.small: $15.18 a month each On-Demand; t4g.small (Graviton, arm64): $12.26" for the default type. */
export async function instanceTypeHint(c: QuestionContext): Promise<string | undefined> {
  const type = typeOf(c);
  const other = counterpartType(type);
  const book = await c.prices([type, ...(other ? [other.instanceType] : [])]);
  const od = book?.instanceHour[type];
  if (od === undefined) return undefined;
  const alt = other && book?.instanceHour[other.instanceType];
  return `${type}: ${usd(month(od))} a month each On-Demand${alt ? `; ${other.instanceType} (${other.graviton ? 'Graviton, arm64' : 'x86_64'}): ${usd(month(alt))}` : ''}`;
}

/** The public/private choice's descriptions: an address per instance, or a NAT gateway and its data. */
export async function subnetDescriptions(c: QuestionContext): Promise<{ public?: string; private?: string }> {
  const book = await c.prices([]);
  const ip = book?.prices.publicIpv4Hour;
  const nat = natGatewayMonthly(book);
  return {
    ...(ip !== undefined ? { public: `a public IPv4 address on each instance: ${usd(month(ip))} a month each` } : {}),
    ...(nat !== undefined ? { private: `no public IPs on the instances; the load balancer stays public. A NAT gateway with its address: ${usd(nat)} a month${book?.prices.natGb !== undefined ? `, plus ${unitUsd(book.prices.natGb)} per GB through it` : ''}` } : {}),
  };
}

/** "$36.50 a month" for `count` NAT gateways with their addresses. */
export async function natGatewaysDescription(c: QuestionContext, count: number): Promise<string | undefined> {
  const per = natGatewayMonthly(await c.prices([]));
  return per === undefined ? undefined : `${usd(per * count)} a month with ${count === 1 ? 'its address' : 'their addresses'}, plus data`;
}

/** "t3.small on Spot: $0.0071/h, the median of the last hour, vs $0.0208 On-Demand: 66 % less" */
export async function spotHint(c: QuestionContext): Promise<string | undefined> {
  const type = typeOf(c);
  const zones = c.get('network.availabilityZones') as string[] | undefined;
  const [book, quotes] = await Promise.all([c.prices([type]), c.spotPrices([type], zones)]);
  const od = book?.instanceHour[type];
  const q = quotes?.[type];
  if (od === undefined || !q) return undefined;
  return `${type} on Spot: ${unitUsd(q.hourly)}/h, the median of the last hour, vs ${unitUsd(od)} On-Demand: ${Math.round((1 - q.hourly / od) * 100)} % less`;
}

/** "each t3.small ≈ $23.63 a month with its root volume and public IPv4 address" */
export async function hostHint(c: QuestionContext): Promise<string | undefined> {
  const type = typeOf(c);
  const book = await c.prices([type]);
  const od = book?.instanceHour[type];
  const gp3 = book?.prices.gp3GbMonth;
  const ip = book?.prices.publicIpv4Hour;
  const isPublic = c.get('network.instanceSubnets') !== 'private';
  if (od === undefined || gp3 === undefined || (isPublic && ip === undefined)) return undefined;
  const each = month(od) + ROOT_VOLUME_GB * gp3 + (isPublic ? month(ip!) : 0);
  return `each ${type} ≈ ${usd(each)} a month On-Demand with its root volume${isPublic ? ' and public IPv4 address' : ''}`;
}
