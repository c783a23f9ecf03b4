import { DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../aws/clients.js';
import { zonesOffering } from '../steps/subnets.js';

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

/** The real account, through the same client factory the steps use. */
export function awsAccount(aws: AwsClients, region: string): Account {
  const ec2 = (): EC2Client => aws.get(EC2Client);
  return {
    region,
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
