import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PricingClient } from '@aws-sdk/client-pricing';
import { awsErrorCode } from '../aws/errors.js';
import { partitionOf } from '../aws/partition.js';
import { fetchInstancePrice, fetchRegionPrices } from './price-list.js';
import type { SpotQuotes } from './spot.js';
import { BUNDLED_PRICES } from './table.js';

/**
 * Where the prices of an estimate come from: the AWS Price List Query API when the caller may use
 * it (cached for a day), else the bundled table (src/cost/table.ts). A price neither has is absent:
 * the estimate says "no price for …" and never guesses. The currency is USD.
 */

/** The region-wide prices an estimate needs (instance-hours are per type). */
export const REGION_PRICE_KEYS = ['albHour', 'albLcuHour', 'natHour', 'natGb', 'publicIpv4Hour', 'gp3GbMonth', 'logsIngestGb', 'ecrGbMonth'] as const;
export type RegionPriceKey = (typeof REGION_PRICE_KEYS)[number];

/** What each price is, in words (for "no price for …" and the table's fallbacks). */
export const PRICE_NAMES: Record<RegionPriceKey, string> = {
  albHour: 'Application Load Balancer hours',
  albLcuHour: 'ALB capacity units (LCU-hours)',
  natHour: 'NAT gateway hours',
  natGb: 'NAT gateway data processing',
  publicIpv4Hour: 'public IPv4 addresses',
  gp3GbMonth: 'EBS gp3 storage',
  logsIngestGb: 'CloudWatch Logs ingestion',
  ecrGbMonth: 'ECR storage',
};

export type RegionPrices = Record<RegionPriceKey, number> & { instanceHour: Record<string, number> };

export interface PriceTable {
  /** The day these were AWS's list prices (YYYY-MM-DD). */
  asOf: string;
  currency: 'USD';
  /** A Route 53 public hosted zone per month (global: the first 25 zones of an account). */
  hostedZoneMonth: number;
  regions: Record<string, RegionPrices>;
}

export type PriceSource = 'price-list-api' | 'bundled';

/** The prices of one region, as one estimate uses them. Plain data: it goes into JSON as it is. */
export interface PriceBook {
  region: string;
  source: PriceSource;
  /** The bundled table's date, or the day the Price List API was asked (YYYY-MM-DD). */
  asOf: string;
  prices: Partial<Record<RegionPriceKey, number>>;
  /** Per instance type, USD per hour (Linux, On-Demand, shared tenancy). */
  instanceHour: Record<string, number>;
  hostedZoneMonth: number;
  /** Why the bundled table was used instead of the Price List API (its error code, or why it was not asked). */
  fallback?: string;
  /** With the Price List API: what it gave no single answer for, taken from the bundled table (of `tableAsOf`). */
  fromTable: string[];
  tableAsOf: string;
}

/** What an estimate is made with: a region's prices and, where Spot runs or is chosen, the last hour's Spot prices. */
export interface StackPrices {
  book: PriceBook;
  spot?: SpotQuotes;
}

/** The Price List Query API is served from these three regions; each answers for every region. */
export function pricingRegion(region: string): string {
  if (/^(eu|me|af|il)-/.test(region)) return 'eu-central-1';
  if (/^ap-/.test(region)) return 'ap-south-1';
  return 'us-east-1';
}

/** The bundled table's prices for a region (empty where it has none). */
export function bundledBook(region: string, fallback?: string, table: PriceTable = BUNDLED_PRICES): PriceBook {
  const r = table.regions[region];
  const { instanceHour = {}, ...prices } = r ?? {};
  return {
    region,
    source: 'bundled',
    asOf: table.asOf,
    prices: { ...prices },
    instanceHour: { ...instanceHour },
    hostedZoneMonth: table.hostedZoneMonth,
    ...(fallback ? { fallback } : {}),
    fromTable: [],
    tableAsOf: table.asOf,
  };
}

/** The cached answers of the Price List API for one region (`<cacheDir>/<region>.json`). */
interface CacheEntry {
  version: 1;
  region: string;
  /** ISO time the region-wide prices were fetched; instance prices are added as they are asked. */
  fetchedAt: string;
  prices: Partial<Record<RegionPriceKey, number>>;
  /** null: the API had no single price for the type (cached too, so it is not asked again today). */
  instanceHour: Record<string, number | null>;
}

const DAY_MS = 86_400_000;

async function readCache(file: string, region: string, now: number): Promise<CacheEntry | undefined> {
  try {
    const entry = JSON.parse(await readFile(file, 'utf8')) as CacheEntry;
    const age = now - Date.parse(entry.fetchedAt);
    return entry.version === 1 && entry.region === region && age >= 0 && age < DAY_MS ? entry : undefined;
  } catch {
    // Missing, unreadable or corrupt: ask again.
    return undefined;
  }
}

/** Written through a temp file and a rename, so a reader never sees half of it; a cache that cannot be written is no error. */
async function writeCache(dir: string, file: string, entry: CacheEntry): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(entry, null, 2) + '\n', { mode: 0o600 });
    await rename(temp, file);
  } catch {
    // A read-only state directory or cache: the prices were still fetched.
  }
}

export interface LoadPricesOptions {
  region: string;
  /** The instance types the estimate prices (the answers' type, Spot types, the other architecture's counterpart). */
  instanceTypes: string[];
  /** A Price List API client in pricingRegion(region); absent: the bundled table only. */
  pricing?: () => PricingClient;
  /** Where the API's answers are cached for a day; absent: not cached. */
  cacheDir?: string;
  now?: () => number;
}

/**
 * The price book for a region: the Price List API's answers (from the cache when fresher than a
 * day), with the bundled table for what the API gave no single answer for; the bundled table alone
 * when the API cannot be used (no permission, no network, a local emulator, another partition).
 */
export async function loadPriceBook(opts: LoadPricesOptions): Promise<PriceBook> {
  const { region } = opts;
  const table = bundledBook(region);
  if (!opts.pricing) return table;
  // The Price List API answers in USD for the commercial partition only.
  if (partitionOf(region) !== 'aws') return bundledBook(region, `the Price List API does not price ${partitionOf(region)} regions in USD`);
  const now = (opts.now ?? Date.now)();
  const file = opts.cacheDir ? join(opts.cacheDir, `${region}.json`) : undefined;
  let entry = file ? await readCache(file, region, now) : undefined;
  const types = [...new Set(opts.instanceTypes)];
  const unasked = types.filter((t) => !(entry && t in entry.instanceHour));
  if (!entry || unasked.length) {
    const client = opts.pricing();
    try {
      // The region-wide prices first: a refusal (no permission, an emulator) then costs one call.
      const fresh: CacheEntry = entry ?? { version: 1, region, fetchedAt: new Date(now).toISOString(), prices: await fetchRegionPrices(client, region), instanceHour: {} };
      const asked = await Promise.all(unasked.map(async (t) => [t, (await fetchInstancePrice(client, region, t)) ?? null] as const));
      entry = { ...fresh, instanceHour: { ...fresh.instanceHour, ...Object.fromEntries(asked) } };
    } catch (err) {
      // Any failure falls back (what was cached still counts): prices are worth a look, never a failed command.
      if (!entry) return bundledBook(region, whyNot(err));
    }
    if (file && opts.cacheDir) await writeCache(opts.cacheDir, file, entry);
  }
  return fromApi(entry, table);
}

/** Why the API gave no prices, in a word: AWS's error code, else the HTTP status (an emulator's 500), else the network's code. */
function whyNot(err: unknown): string {
  const e = err as { $fault?: string; $metadata?: { httpStatusCode?: number }; code?: string; name?: string; message?: string };
  if (e?.$fault) return awsErrorCode(err) ?? 'an AWS error';
  if (e?.$metadata?.httpStatusCode) return `HTTP ${e.$metadata.httpStatusCode}`;
  return e?.code ?? (e?.name && e.name !== 'Error' ? e.name : (e?.message ?? String(err)));
}

/** The API's prices, the bundled table's where the API gave none (named in `fromTable`). */
function fromApi(entry: CacheEntry, table: PriceBook): PriceBook {
  const fromTable: string[] = [];
  const prices: PriceBook['prices'] = {};
  for (const k of REGION_PRICE_KEYS) {
    const api = entry.prices[k];
    if (api !== undefined) prices[k] = api;
    else if (table.prices[k] !== undefined) {
      prices[k] = table.prices[k];
      fromTable.push(PRICE_NAMES[k]);
    }
  }
  const instanceHour: Record<string, number> = {};
  for (const [type, api] of Object.entries(entry.instanceHour)) {
    if (api !== null) instanceHour[type] = api;
    else if (table.instanceHour[type] !== undefined) {
      instanceHour[type] = table.instanceHour[type];
      fromTable.push(type);
    }
  }
  // An answer with no price at all (a region the API does not know): the table's, said as such.
  if (Object.keys(prices).length + Object.keys(instanceHour).length === fromTable.length) return { ...table, fallback: `the Price List API had no prices for ${entry.region}` };
  return {
    region: entry.region,
    source: 'price-list-api',
    asOf: entry.fetchedAt.slice(0, 10),
    prices,
    instanceHour,
    hostedZoneMonth: table.hostedZoneMonth,
    fromTable,
    tableAsOf: table.tableAsOf,
  };
}
