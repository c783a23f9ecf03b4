#!/usr/bin/env node
// Regenerates the bundled price table (src/cost/table.ts) from the AWS Price List Query API, with
// the same request and parsing code the CLI uses (dist/cost/price-list.js): every region of the
// table and every type of the families below, dated today. Needs network and pricing:GetProducts
// (any AWS credentials of the commercial partition). Run after `npm run build`:
//
//   npm run build && node scripts/prices.mjs [--regions us-east-1,eu-west-1] [--out FILE] [--endpoint-url URL]
//
// A region-wide price the API gives no single answer for stops the script (the table needs each);
// a type it has no price for is left out of that region and named, so the estimate says "no price".
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PricingClient } from '@aws-sdk/client-pricing';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(path.join(root, 'dist', p));
const { fetchInstancePrice, fetchRegionPrices, renderPriceTable } = await dist('cost/price-list.js');
const { REGION_PRICE_KEYS, pricingRegion } = await dist('cost/prices.js');
const { BUNDLED_PRICES } = await dist('cost/table.js');

/** The families the wizard offers or that ECS on EC2 commonly runs, and their sizes from small to 2xlarge. */
const FAMILIES = {
  t3: ['nano', 'micro', 'small', 'medium', 'large', 'xlarge', '2xlarge'],
  t3a: ['nano', 'micro', 'small', 'medium', 'large', 'xlarge', '2xlarge'],
  t4g: ['nano', 'micro', 'small', 'medium', 'large', 'xlarge', '2xlarge'],
  m5: ['large', 'xlarge', '2xlarge'],
  m6i: ['large', 'xlarge', '2xlarge'],
  m6g: ['medium', 'large', 'xlarge', '2xlarge'],
  m7g: ['medium', 'large', 'xlarge', '2xlarge'],
  c5: ['large', 'xlarge', '2xlarge'],
  c6i: ['large', 'xlarge', '2xlarge'],
  c6g: ['medium', 'large', 'xlarge', '2xlarge'],
  c7g: ['medium', 'large', 'xlarge', '2xlarge'],
  r5: ['large', 'xlarge', '2xlarge'],
  r6i: ['large', 'xlarge', '2xlarge'],
  r6g: ['medium', 'large', 'xlarge', '2xlarge'],
};

const { values } = parseArgs({
  options: {
    regions: { type: 'string', default: Object.keys(BUNDLED_PRICES.regions).join(',') },
    out: { type: 'string', default: path.join(root, 'src/cost/table.ts') },
    'endpoint-url': { type: 'string' },
  },
});
const regions = values.regions.split(',').filter(Boolean);
const types = Object.entries(FAMILIES).flatMap(([family, sizes]) => sizes.map((s) => `${family}.${s}`));

const clients = new Map();
const clientFor = (region) => {
  const at = pricingRegion(region);
  if (!clients.has(at)) clients.set(at, new PricingClient({ region: at, retryMode: 'adaptive', maxAttempts: 8, ...(values['endpoint-url'] ? { endpoint: values['endpoint-url'] } : {}) }));
  return clients.get(at);
};

/** At most `limit` at a time: the API throttles a burst. */
async function inBatches(items, limit, run) {
  const out = [];
  for (let i = 0; i < items.length; i += limit) out.push(...(await Promise.all(items.slice(i, i + limit).map(run))));
  return out;
}

const table = { asOf: new Date().toISOString().slice(0, 10), currency: 'USD', hostedZoneMonth: BUNDLED_PRICES.hostedZoneMonth, regions: {} };
let failed = false;
for (const region of regions) {
  const client = clientFor(region);
  const prices = await fetchRegionPrices(client, region);
  const missing = REGION_PRICE_KEYS.filter((k) => prices[k] === undefined);
  if (missing.length) {
    process.stderr.write(`${region}: no single price for ${missing.join(', ')}: not written\n`);
    failed = true;
    continue;
  }
  const found = await inBatches(types, 4, async (t) => [t, await fetchInstancePrice(client, region, t)]);
  const unpriced = found.filter(([, p]) => p === undefined).map(([t]) => t);
  if (unpriced.length) process.stderr.write(`${region}: no price for ${unpriced.join(', ')}\n`);
  table.regions[region] = { ...Object.fromEntries(REGION_PRICE_KEYS.map((k) => [k, prices[k]])), instanceHour: Object.fromEntries(found.filter(([, p]) => p !== undefined)) };
  process.stderr.write(`${region}: ${found.length - unpriced.length} instance types\n`);
}
for (const c of clients.values()) c.destroy();
if (failed) process.exit(1);
writeFileSync(values.out, renderPriceTable(table));
process.stderr.write(`wrote ${path.relative(process.cwd(), values.out)} (prices as of ${table.asOf})\n`);
