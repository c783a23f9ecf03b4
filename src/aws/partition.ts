/**
 * AWS partitions: the second field of every ARN. China and GovCloud regions live in partitions of
 * their own, so an ARN built with a hard-coded one is refused there. Every ARN the tool builds
 * goes through here.
 */
export type Partition = 'aws' | 'aws-cn' | 'aws-us-gov' | 'aws-iso' | 'aws-iso-b';

/** The partition a region belongs to, from its name (cn-north-1 → aws-cn, us-gov-west-1 → aws-us-gov). */
export function partitionOf(region: string): Partition {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  return 'aws';
}

/** The partition an ARN names (e.g. the caller's, from GetCallerIdentity). */
export function partitionOfArn(arn: string): string | undefined {
  const [prefix, partition] = arn.split(':');
  return prefix === 'arn' && partition ? partition : undefined;
}

/** `arn:<partition>:<service>:<region>:<account>:<resource>` for the region's partition. */
export function arnFor(region: string, service: string, account: string, resource: string, arnRegion = region): string {
  return ['arn', partitionOf(region), service, arnRegion, account, resource].join(':');
}

/** An AWS-managed IAM policy (account "aws", no region) in the region's partition. */
export function awsManagedPolicyArn(region: string, path: string): string {
  return arnFor(region, 'iam', 'aws', `policy/${path}`, '');
}

/** The same ARN in the region's partition (the ARNs of a document written for one partition, put in another). */
export function inPartitionOf(region: string, arn: string): string {
  const fields = arn.split(':');
  if (fields[0] !== 'arn' || fields.length < 6) return arn;
  fields[1] = partitionOf(region);
  return fields.join(':');
}
