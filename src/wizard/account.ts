import { DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../aws/clients.js';
import { zonesOffering } from '../steps/stack/subnets.js';
import type { PriceBook } from '../cost/prices.js';
import { spotQuotes, type SpotQuotes } from '../cost/spot.js';

/**
 * What the wizard reads from the account to offer sensible defaults. Read-only, and small on
 * purpose, so unit tests hand the wizard a fake instead of an SDK mock.
 */
export interface Account {
  /** Region the lookups go to. */
  readonly region: string;
  listVpcs(): Promise<VpcChoice[]>;
  listSubnets(vpcId: string): Promise<SubnetChoice[]>;
  /** Availability zones (names; never Local or Wavelength Zones) of the region that offer this instance type, sorted. */
  zonesOffering(instanceType: string): Promise<string[]>;
  /** The region's prices for these instance types (absent: the bundled table's). */
  prices?(instanceTypes: string[]): Promise<PriceBook>;
  /** The last hour's Spot prices (absent, or undefined: none known). */
  spotPrices?(instanceTypes: string[], zones?: string[]): Promise<SpotQuotes | undefined>;
}

export interface VpcChoice {
  vpcId: string;
  cidr: string;
  name?: string;
  isDefault: boolean;
}

export interface SubnetChoice {
  subnetId: string;
  cidr: string;
  availabilityZone: string;
  name?: string;
}

const nameTag = (tags: { Key?: string; Value?: string }[] | undefined): string | undefined => tags?.find((t) => t.Key === 'Name')?.Value;

/** The real account, through the same client factory the steps use; `prices` reads the region's prices (the CLI's Price List API and cache). */
export function awsAccount(aws: AwsClients, region: string, prices?: (instanceTypes: string[]) => Promise<PriceBook>): Account {
  const ec2 = (): EC2Client => aws.get(EC2Client);
  const books = new Map<string, Promise<PriceBook>>();
  return {
    region,
    ...(prices
      ? {
          prices: (types: string[]) => {
            const key = [...new Set(types)].sort().join(' ');
            if (!books.has(key)) books.set(key, prices(types));
            return books.get(key)!;
          },
        }
      : {}),
    spotPrices: (types, zones) => spotQuotes(ec2(), types, zones).catch(() => undefined),
    async listVpcs() {
      const r = await ec2().send(new DescribeVpcsCommand({}));
      return (r.Vpcs ?? [])
        .filter((v) => v.VpcId && v.CidrBlock)
        .map((v) => ({ vpcId: v.VpcId!, cidr: v.CidrBlock!, name: nameTag(v.Tags), isDefault: v.IsDefault ?? false }));
    },
    async listSubnets(vpcId) {
      const r = await ec2().send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
      return (r.Subnets ?? [])
        .filter((s) => s.SubnetId && s.AvailabilityZone)
        .map((s) => ({ subnetId: s.SubnetId!, cidr: s.CidrBlock ?? '', availabilityZone: s.AvailabilityZone!, name: nameTag(s.Tags) }))
        .sort((a, b) => a.availabilityZone.localeCompare(b.availabilityZone));
    },
    zonesOffering: (instanceType) => zonesOffering(ec2(), instanceType),
  };
}
