import {
  DescribeAvailabilityZonesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { AwsClients } from '../aws/clients.js';

/**
 * What the wizard reads from the account to offer sensible defaults. Read-only, and small on
 * purpose, so unit tests hand the wizard a fake instead of an SDK mock.
 */
export interface Account {
  /** Region the lookups go to. */
  readonly region: string;
  listVpcs(): Promise<VpcChoice[]>;
  listSubnets(vpcId: string): Promise<SubnetChoice[]>;
  /** Availability zones (names) of the region that offer this instance type, sorted. */
  zonesOffering(instanceType: string): Promise<string[]>;
  /** The current ECS-optimized AMI id for this instance type's architecture, if known. */
  ecsAmi(instanceType: string): Promise<string | undefined>;
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

/** Graviton families (m7g, t4g, c6gn, …) run arm64 images. */
export function isArm(instanceType: string): boolean {
  return /^[a-z]+\d+g[a-z]*\./.test(instanceType);
}

/** The SSM public parameter holding the recommended Amazon Linux 2023 ECS-optimized AMI id (a plain string). */
export function ecsAmiParameter(instanceType: string): string {
  return `/aws/service/ecs/optimized-ami/amazon-linux-2023/${isArm(instanceType) ? 'arm64/' : ''}recommended/image_id`;
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
    async zonesOffering(instanceType) {
      const [offerings, zones] = await Promise.all([
        ec2().send(
          new DescribeInstanceTypeOfferingsCommand({
            LocationType: 'availability-zone',
            Filters: [{ Name: 'instance-type', Values: [instanceType] }],
          }),
        ),
        ec2().send(new DescribeAvailabilityZonesCommand({ Filters: [{ Name: 'state', Values: ['available'] }] })),
      ]);
      const offered = new Set((offerings.InstanceTypeOfferings ?? []).map((o) => o.Location));
      return (zones.AvailabilityZones ?? [])
        .filter((z) => z.ZoneName && z.ZoneType !== 'local-zone' && z.ZoneType !== 'wavelength-zone' && offered.has(z.ZoneName))
        .map((z) => z.ZoneName!)
        .sort();
    },
    async ecsAmi(instanceType) {
      try {
        const r = await aws.get(SSMClient).send(new GetParameterCommand({ Name: ecsAmiParameter(instanceType) }));
        const v = r.Parameter?.Value;
        return v && /^ami-[0-9a-f]+$/.test(v) ? v : undefined;
      } catch {
        // Only shown in the review; the launch step resolves the AMI itself and reports errors there.
        return undefined;
      }
    },
  };
}
