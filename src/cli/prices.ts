import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { PricingClient } from '@aws-sdk/client-pricing';
import type { AwsClients, AwsTarget } from '../aws/clients.js';
import { loadPriceBook, pricingRegion, type StackPrices } from '../cost/prices.js';
import { spotQuotes, type SpotQuotes } from '../cost/spot.js';
import { costChange, estimateFromAnswers, typesToPrice, type CostReport } from '../cost/estimate.js';
import type { Answers } from '../wizard/schema.js';
import type { CliContext } from './context.js';
import type { CommonOptions } from './options.js';

/**
 * The prices a command's estimate uses, read through the command's own AWS target: the Price List
 * API in its nearest region (one attempt, short timeouts: a price is never worth a stuck or slower
 * command, and the table is there when it fails),
 * cached for a day, the bundled table otherwise; and the last hour's Spot prices where Spot runs
 * or is asked for. Nothing here fails a command: what cannot be read is said in the estimate.
 */
export type { StackPrices };
/**
 * Where the Price List API's answers are kept for a day: beside the states of a local state
 * directory (`.prices/`, which `list` skips as hidden), else — the state in S3 — in the user's
 * cache directory ($XDG_CACHE_HOME/ecs-wizard/prices, ~/.cache/ecs-wizard/prices).
 */
export function priceCacheDir(opts: Pick<CommonOptions, 'state'>, ctx: Pick<CliContext, 'env' | 'cwd'>): string {
  if (opts.state.kind === 'file') return join(resolve(ctx.cwd, opts.state.dir), '.prices');
  return join(ctx.env.XDG_CACHE_HOME || join(ctx.env.HOME || homedir(), '.cache'), 'ecs-wizard', 'prices');
}

export async function loadPrices(
  opts: Pick<CommonOptions, 'state'>,
  ctx: CliContext,
  target: AwsTarget,
  region: string,
  want: { instanceTypes: string[]; spot?: { aws: AwsClients; instanceTypes: string[]; zones?: string[] } },
): Promise<StackPrices> {
  const pricing = ctx.makeClients({
    ...target,
    region: pricingRegion(region),
    maxAttempts: 1,
    clientConfig: { requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 } },
  });
  try {
    const [book, spot] = await Promise.all([
      loadPriceBook({ region, instanceTypes: want.instanceTypes, pricing: () => pricing.get(PricingClient), cacheDir: priceCacheDir(opts, ctx) }),
      want.spot?.instanceTypes.length ? readSpot(want.spot.aws, want.spot.instanceTypes, want.spot.zones) : undefined,
    ]);
    return { book, ...(spot ? { spot } : {}) };
  } finally {
    pricing.destroy();
  }
}

/** The Spot history, or none when it cannot be read (no ec2:DescribeSpotPriceHistory): Spot hosts then count at On-Demand prices. */
async function readSpot(aws: AwsClients, types: string[], zones: string[] | undefined): Promise<SpotQuotes | undefined> {
  try {
    return await spotQuotes(aws.get(EC2Client), types, zones);
  } catch {
    return undefined;
  }
}

/** The estimate for a stack's answers, and what they change against `before` (scale: the answers it started from). */
export async function answersCost(
  opts: Pick<CommonOptions, 'state'>,
  ctx: CliContext,
  aws: AwsClients,
  target: AwsTarget,
  region: string,
  answers: Answers,
  before?: { answers: Answers; against: string },
): Promise<CostReport> {
  const spot = answers.instances.spot;
  const prices = await loadPrices(opts, ctx, target, region, {
    instanceTypes: [...new Set([...typesToPrice(answers), ...(before ? typesToPrice(before.answers) : [])])],
    ...(spot ? { spot: { aws, instanceTypes: spot.instanceTypes ?? [answers.instances.instanceType], zones: answers.network.availabilityZones } } : {}),
  });
  const cost = estimateFromAnswers(answers, prices.book, prices.spot);
  const change = before ? costChange(estimateFromAnswers(before.answers, prices.book, prices.spot), cost, before.against) : undefined;
  return change ? { ...cost, change } : cost;
}
