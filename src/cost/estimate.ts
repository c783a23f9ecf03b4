import type { Answers } from '../wizard/schema.js';
import { PRICE_NAMES, type PriceBook, type PriceSource, type RegionPriceKey } from './prices.js';
import type { SpotQuotes } from './spot.js';
import { servicesOf } from '../steps/services.js';
import { monthlyDelta, unitUsd, usd } from './format.js';

/**
 * What a stack costs a month, from its answers (before anything is made) or from what runs
 * (`status`): one item per billed thing, each `quantity × unitPrice = monthly`, at 730 hours a
 * month. Things billed by use (GB processed, stored, ingested; load balancer capacity beyond the
 * minimum) are listed with their unit price apart from the items, never guessed. A price the book
 * lacks makes its item's `monthly` null, the total null, and a "no price for …" line.
 */

export const HOURS_PER_MONTH = 730;
/** The launch template sets no block devices: the ECS-optimized AL2023 AMI's own root volume, 30 GiB gp3. */
export const ROOT_VOLUME_GB = 30;

export interface CostItem {
  item: string;
  quantity: number;
  unit: string;
  unitPrice: number | null;
  monthly: number | null;
}

export interface UsagePrice {
  item: string;
  unit: string;
  unitPrice: number | null;
}

/** A choice and what it changes in the monthly figure at desired capacity (negative: it saves). */
export interface CostChoice {
  choice: string;
  detail: string;
  monthly?: number;
}

export interface CostChange {
  monthly: number | null;
  monthlyAtMax: number | null;
  /** What the figures are compared with. */
  against: string;
}

export interface CostReport {
  currency: 'USD';
  region: string;
  /** At desired capacity (what runs, for status), null when an item has no price. */
  monthly: number | null;
  monthlyAtMax: number | null;
  pricesAsOf: string;
  source: PriceSource;
  /** Why the bundled table was used (the Price List API's error, or why it was not asked). */
  fallback?: string;
  /** With the Price List API: prices taken from the bundled table instead (of the table's date). */
  fromTable?: { prices: string[]; asOf: string };
  items: CostItem[];
  usage: UsagePrice[];
  choices: CostChoice[];
  notes: string[];
  /** "no price for x2iedn.xlarge in me-central-1" */
  missing: string[];
  change?: CostChange;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Hosts of one kind and price. */
interface HostGroup {
  item: string;
  count: number;
  hourly: number | null;
}

/** What is billed by the hour or the month at one capacity. */
interface Footprint {
  hosts: HostGroup[];
  rootVolumes: number;
  publicInstanceAddresses: number;
  albZones: number;
  natGateways: number;
  natAddresses: number;
}

function regionPrice(book: PriceBook, key: RegionPriceKey, missing: Set<string>): number | null {
  const p = book.prices[key];
  if (p === undefined) missing.add(`no price for ${PRICE_NAMES[key]} in ${book.region}`);
  return p ?? null;
}

export function instanceHourly(book: PriceBook, type: string, missing?: Set<string>): number | null {
  const p = book.instanceHour[type];
  if (p === undefined) missing?.add(`no price for ${type} in ${book.region}`);
  return p ?? null;
}

function footprintItems(f: Footprint, book: PriceBook, missing: Set<string>): CostItem[] {
  const items: CostItem[] = [];
  const add = (item: string, quantity: number, unit: string, unitPrice: number | null): void => {
    if (quantity > 0) items.push({ item, quantity, unit, unitPrice, monthly: unitPrice === null ? null : round2(quantity * unitPrice) });
  };
  const h = HOURS_PER_MONTH;
  for (const g of f.hosts) add(g.item, g.count * h, 'Hrs', g.hourly);
  add(`EBS gp3 root volumes (${ROOT_VOLUME_GB} GiB each)`, f.rootVolumes * ROOT_VOLUME_GB, 'GB-Mo', f.rootVolumes ? regionPrice(book, 'gp3GbMonth', missing) : null);
  if (f.albZones > 0) {
    add('Application Load Balancer', h, 'Hrs', regionPrice(book, 'albHour', missing));
    add('ALB capacity units (the minimum: 1 LCU)', h, 'LCU-Hrs', regionPrice(book, 'albLcuHour', missing));
  }
  if (f.natGateways) add(f.natGateways === 1 ? 'NAT gateway' : 'NAT gateways', f.natGateways * h, 'Hrs', regionPrice(book, 'natHour', missing));
  const ipv4 = f.publicInstanceAddresses + f.albZones + f.natAddresses ? regionPrice(book, 'publicIpv4Hour', missing) : null;
  add('Public IPv4: instances', f.publicInstanceAddresses * h, 'Hrs', ipv4);
  add('Public IPv4: load balancer (one per zone)', f.albZones * h, 'Hrs', ipv4);
  add("Public IPv4: NAT gateways' Elastic IPs", f.natAddresses * h, 'Hrs', ipv4);
  return items;
}

/** The sum of quantity × unit price, unrounded (null when an item has no price). */
function rawTotal(items: CostItem[]): number | null {
  return items.some((i) => i.unitPrice === null) ? null : items.reduce((sum, i) => sum + i.quantity * i.unitPrice!, 0);
}

function total(items: CostItem[]): number | null {
  const t = rawTotal(items);
  return t === null ? null : round2(t);
}

/** On-Demand and Spot hosts at `n` instances, as the mixed instances policy splits them (Spot rounds down). */
export function spotSplit(a: Answers, n: number): { onDemand: number; spot: number } {
  const s = a.instances.spot;
  if (!s) return { onDemand: n, spot: 0 };
  const above = Math.max(0, n - s.onDemandBaseCapacity);
  const spot = Math.floor((above * (100 - s.onDemandPercentageAboveBase)) / 100);
  return { onDemand: n - spot, spot };
}

/**
 * The hourly price of a Spot host: any listed type may run (a mixed instances policy), so the
 * dearest of their last-hour medians; a type without Spot history counts at its On-Demand price
 * (an upper bound, said in a note).
 */
function spotHourly(book: PriceBook, types: string[], spot: SpotQuotes | undefined, missing: Set<string>, notes: Set<string>): number | null {
  const each = types.map((t) => {
    const quote = spot?.[t]?.hourly;
    if (quote !== undefined) return quote;
    const od = instanceHourly(book, t, missing);
    if (od !== null) notes.add(`no Spot price history for ${t}${spot ? '' : ' was read'}: its Spot hosts count at the On-Demand price (an upper bound)`);
    return od;
  });
  return each.some((p) => p === null) ? null : Math.max(...(each as number[]));
}

const zonesOf = (a: Answers): number => (a.network.subnetIds ?? a.network.subnetCidrs).length;
const ourNatGateways = (a: Answers): number => (a.network.instanceSubnets === 'private' && a.network.vpcId === undefined ? (a.network.natGateways ?? 1) : 0);

function answersFootprint(a: Answers, n: number, book: PriceBook, spot: SpotQuotes | undefined, missing: Set<string>, notes: Set<string>): Footprint {
  const split = spotSplit(a, n);
  const type = a.instances.instanceType;
  const spotTypes = a.instances.spot?.instanceTypes ?? [type];
  const hosts: HostGroup[] = [];
  if (split.onDemand) hosts.push({ item: `EC2 ${type} On-Demand`, count: split.onDemand, hourly: instanceHourly(book, type, missing) });
  if (split.spot) hosts.push({ item: `EC2 Spot (${spotTypes.join(', ')})`, count: split.spot, hourly: spotHourly(book, spotTypes, spot, missing, notes) });
  const nats = ourNatGateways(a);
  return {
    hosts,
    rootVolumes: n,
    publicInstanceAddresses: a.network.instanceSubnets === 'private' ? 0 : n,
    albZones: zonesOf(a),
    natGateways: nats,
    natAddresses: nats,
  };
}

/** The monthly figure at desired capacity alone (for comparing choices). */
export function monthlyOf(a: Answers, book: PriceBook, spot?: SpotQuotes, capacity = a.instances.desiredCapacity): number | null {
  return total(footprintItems(answersFootprint(a, capacity, book, spot, new Set(), new Set()), book, new Set()));
}

/** The usage-priced things the stack has, with their unit prices. */
function usagePrices(a: Answers, book: PriceBook, missing: Set<string>): UsagePrice[] {
  const usage: UsagePrice[] = [{ item: 'ALB capacity units beyond the first', unit: 'LCU-Hrs', unitPrice: regionPrice(book, 'albLcuHour', missing) }];
  if (a.network.instanceSubnets === 'private') usage.push({ item: 'NAT gateway data processing', unit: 'GB', unitPrice: regionPrice(book, 'natGb', missing) });
  const services = servicesOf(a);
  if (services.some((s) => s.logs)) usage.push({ item: 'CloudWatch Logs ingestion', unit: 'GB', unitPrice: regionPrice(book, 'logsIngestGb', missing) });
  if (services.some((s) => s.ecrRepository)) usage.push({ item: 'ECR storage', unit: 'GB-Mo', unitPrice: regionPrice(book, 'ecrGbMonth', missing) });
  return usage;
}

/** Same size, the other architecture: Graviton (arm64) for x86 families and back. */
const COUNTERPART: Record<string, string> = {
  t2: 't4g', t3: 't4g', t3a: 't4g', m5: 'm6g', m5a: 'm6g', m6i: 'm6g', m6a: 'm6g', m7i: 'm7g', m7a: 'm7g',
  c5: 'c6g', c5a: 'c6g', c6i: 'c6g', c6a: 'c6g', c7i: 'c7g', r5: 'r6g', r5a: 'r6g', r6i: 'r6g', r6a: 'r6g', r7i: 'r7g',
  t4g: 't3', m6g: 'm6i', m7g: 'm7i', c6g: 'c6i', c7g: 'c7i', r6g: 'r6i', r7g: 'r7i',
};
const GRAVITON = new Set(['t4g', 'm6g', 'm7g', 'c6g', 'c7g', 'r6g', 'r7g']);

/** The same size in the other architecture's family (t3.small → t4g.small, t4g.small → t3.small), if there is one. */
export function counterpartType(type: string): { instanceType: string; graviton: boolean } | undefined {
  const [family, size] = type.split('.');
  const other = family ? COUNTERPART[family] : undefined;
  if (!other || !size) return undefined;
  return { instanceType: `${other}.${size}`, graviton: GRAVITON.has(other) };
}

export const isGraviton = (type: string): boolean => GRAVITON.has(type.split('.')[0] ?? '');

/** The instance types an estimate of these answers looks up. */
export function typesToPrice(a: Answers): string[] {
  const other = counterpartType(a.instances.instanceType)?.instanceType;
  return [...new Set([a.instances.instanceType, ...(a.instances.spot?.instanceTypes ?? []), ...(other ? [other] : [])])];
}

/** Each costly choice, with what the other option would change at desired capacity (`monthly`: what the choice as made costs against it). */
function choices(a: Answers, book: PriceBook, spot: SpotQuotes | undefined, base: number | null): CostChoice[] {
  const out: CostChoice[] = [];
  const push = (choice: string, instead: string, alt: Answers, why = ''): void => {
    const m = monthlyOf(alt, book, spot);
    const d = m === null || base === null ? undefined : round2(m - base);
    out.push({ choice, detail: `${instead} instead: ${d === undefined ? 'no price' : monthlyDelta(d)}${why}`, ...(d !== undefined ? { monthly: -d } : {}) });
  };
  const newVpc = a.network.vpcId === undefined;
  const zones = zonesOf(a);
  if (newVpc && a.network.instanceSubnets === 'private') {
    push('private instances', 'public instances', { ...a, network: { ...a.network, instanceSubnets: 'public', natGateways: undefined, privateSubnetCidrs: undefined } }, ' (no NAT gateway; a public IPv4 address on each instance)');
    const nats = a.network.natGateways ?? 1;
    if (zones > 1) {
      const other = nats === 1 ? zones : 1;
      push(plural(nats, 'NAT gateway'), other === 1 ? 'one for all zones' : `one per zone (${other})`, { ...a, network: { ...a.network, natGateways: other } }, other === 1 ? " (a zone's outage then cuts the others off)" : '');
    }
  } else if (newVpc) {
    push('public instances', 'private instances', { ...a, network: { ...a.network, instanceSubnets: 'private', natGateways: 1 } }, ' (one NAT gateway and its address; no public IPv4 on the instances)');
  }
  const type = a.instances.instanceType;
  if (a.instances.spot) {
    const types = a.instances.spot.instanceTypes ?? [type];
    const quotes = types.flatMap((t) => {
      const q = spot?.[t];
      const od = book.instanceHour[t];
      return q && od !== undefined ? [`${t} ${unitUsd(q.hourly)}/h vs ${unitUsd(od)} On-Demand (${Math.round((1 - q.hourly / od) * 100)} % less)`] : [];
    });
    const where = [...new Set(types.flatMap((t) => spot?.[t]?.zones ?? []))];
    const { spot: n } = spotSplit(a, a.instances.desiredCapacity);
    const seen = quotes.length ? `: ${quotes.join('; ')}, the median of the last hour${where.length ? ` in ${where.join(', ')}` : ''}` : ': no Spot price history was read';
    push('Spot', `${n} of ${plural(a.instances.desiredCapacity, 'instance')} on Spot${seen}; all On-Demand`, { ...a, instances: { ...a.instances, spot: undefined } });
  }
  const other = counterpartType(type);
  const od = book.instanceHour[type];
  const otherHourly = other ? book.instanceHour[other.instanceType] : undefined;
  if (other && od !== undefined && otherHourly !== undefined) {
    const arch = (g: boolean): string => (g ? 'Graviton, arm64' : 'x86_64');
    const change = Math.round(((otherHourly - od) / od) * 100);
    const alt = { ...a, instances: { ...a.instances, instanceType: other.instanceType, spot: a.instances.spot ? { ...a.instances.spot, instanceTypes: undefined } : undefined } };
    push(
      `${type} (${arch(isGraviton(type))})`,
      `${other.instanceType} (${arch(other.graviton)}, ${usd(otherHourly * HOURS_PER_MONTH)} a month each vs ${usd(od * HOURS_PER_MONTH)}, ${change < 0 ? '−' : '+'}${Math.abs(change)} %)`,
      alt,
      `; the images must be built for ${other.graviton ? 'arm64' : 'x86_64'}`,
    );
  }
  return out;
}

function bookFields(book: PriceBook): Pick<CostReport, 'region' | 'pricesAsOf' | 'source' | 'fallback' | 'fromTable'> {
  return {
    region: book.region,
    pricesAsOf: book.asOf,
    source: book.source,
    ...(book.fallback ? { fallback: book.fallback } : {}),
    ...(book.fromTable.length ? { fromTable: { prices: book.fromTable, asOf: book.tableAsOf } } : {}),
  };
}

/** The estimate the review shows before anything is made (and `scale` after a change). */
export function estimateFromAnswers(a: Answers, book: PriceBook, spot?: SpotQuotes): CostReport {
  const missing = new Set<string>();
  const notes = new Set<string>();
  const items = footprintItems(answersFootprint(a, a.instances.desiredCapacity, book, spot, missing, notes), book, missing);
  const atMax = footprintItems(answersFootprint(a, a.instances.maxSize, book, spot, missing, notes), book, missing);
  const monthly = total(items);
  if (a.network.instanceSubnets === 'private' && a.network.vpcId !== undefined) notes.add('the private subnets route through NAT gateways you already have: not counted');
  if (a.loadBalancer.domain) notes.add(`the Route 53 hosted zone holding ${a.loadBalancer.domain} is yours: not counted (AWS bills $${book.hostedZoneMonth.toFixed(2)} a month per zone)`);
  if (a.loadBalancer.certificateArn || a.loadBalancer.domain) notes.add('ACM public certificates are free');
  if (a.cluster.containerInsights) notes.add('Container Insights: billed per metric by CloudWatch, not counted');
  if (a.instances.amiId) notes.add(`the pinned AMI's root volume is taken as ${ROOT_VOLUME_GB} GiB gp3, the ECS-optimized Amazon Linux 2023 default`);
  notes.add('data transferred out to the internet is billed per GB and not counted');
  return {
    currency: 'USD',
    ...bookFields(book),
    monthly,
    monthlyAtMax: total(atMax),
    items,
    usage: usagePrices(a, book, missing),
    choices: choices(a, book, spot, monthly),
    notes: [...notes],
    missing: [...missing],
  };
}

/** What a change of answers does to the figures (a rerun of create against the recorded answers, scale). */
export function costChange(before: CostReport, after: CostReport, against: string): CostChange | undefined {
  const d = (x: number | null, y: number | null): number | null => (x === null || y === null ? null : round2(y - x));
  const change = { monthly: d(before.monthly, after.monthly), monthlyAtMax: d(before.monthlyAtMax, after.monthlyAtMax), against };
  return change.monthly === 0 && change.monthlyAtMax === 0 ? undefined : change;
}

/** One running instance as `status` sees it. */
export interface RunningHost {
  instanceType?: string;
  spot: boolean;
  publicIp: boolean;
}

export interface RunningFacts {
  hosts: RunningHost[];
  /** Zones of the load balancer (each has a public address); 0 without one. */
  albZones: number;
  /** NAT gateways that bill (pending or available). */
  natGateways: number;
  /** The stack's Elastic IPs (the NAT gateways'). */
  natAddresses: number;
  /** The group's maximum and what it launches, for the figure at max. */
  maxSize?: number;
  launchType?: string;
}

/** What the stack costs now, from what runs: each instance's type and market, the NAT gateways and addresses. */
export function estimateFromRunning(f: RunningFacts, book: PriceBook, spot?: SpotQuotes): CostReport {
  const missing = new Set<string>();
  const notes = new Set<string>();
  const groups = new Map<string, { type: string; spot: boolean; count: number }>();
  for (const h of f.hosts) {
    const type = h.instanceType ?? 'unknown';
    const key = `${type} ${h.spot}`;
    groups.set(key, { type, spot: h.spot, count: (groups.get(key)?.count ?? 0) + 1 });
  }
  const hosts: HostGroup[] = [...groups.values()].map((g) => ({
    item: `EC2 ${g.type} ${g.spot ? 'Spot' : 'On-Demand'}`,
    count: g.count,
    hourly: g.spot ? spotHourly(book, [g.type], spot, missing, notes) : instanceHourly(book, g.type, missing),
  }));
  const publicIps = f.hosts.filter((h) => h.publicIp).length;
  const footprint: Footprint = { hosts, rootVolumes: f.hosts.length, publicInstanceAddresses: publicIps, albZones: f.albZones, natGateways: f.natGateways, natAddresses: f.natAddresses };
  const items = footprintItems(footprint, book, missing);
  // At max: the hosts still to come are of the type the group launches, On-Demand, addressed as the running ones are.
  const more = Math.max(0, (f.maxSize ?? f.hosts.length) - f.hosts.length);
  let atMax = rawTotal(items);
  if (more > 0) {
    const type = f.launchType ?? f.hosts[0]?.instanceType;
    const extra = footprintItems(
      {
        hosts: [{ item: `EC2 ${type} On-Demand`, count: more, hourly: type ? instanceHourly(book, type, missing) : null }],
        rootVolumes: more,
        publicInstanceAddresses: f.hosts.length === 0 || publicIps > 0 ? more : 0,
        albZones: 0,
        natGateways: 0,
        natAddresses: 0,
      },
      book,
      missing,
    );
    const t = rawTotal(extra);
    atMax = atMax === null || t === null ? null : atMax + t;
  }
  notes.add('data transferred out to the internet is billed per GB and not counted');
  return {
    currency: 'USD',
    ...bookFields(book),
    monthly: total(items),
    monthlyAtMax: atMax === null ? null : round2(atMax),
    items,
    usage: [{ item: 'ALB capacity units beyond the first', unit: 'LCU-Hrs', unitPrice: book.prices.albLcuHour ?? null }, ...(f.natGateways ? [{ item: 'NAT gateway data processing', unit: 'GB', unitPrice: book.prices.natGb ?? null }] : [])],
    choices: [],
    notes: [...notes],
    missing: [...missing],
  };
}
