import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  S3Client,
  type BucketLocationConstraint,
  type LifecycleRule,
} from '@aws-sdk/client-s3';
import { WizardError } from '../errors.js';
import type { AwsClients } from './clients.js';
import { isBucketMissing, isBucketOwnedByYou, isBucketTaken, isNotConfigured } from './errors.js';
import type { S3ClientsFor } from './s3-state.js';

export interface StateBucketReport {
  bucket: string;
  region: string;
  created: boolean;
  /** What this run changed on the bucket (nothing when it already had all four). */
  changed: ('versioning' | 'encryption' | 'publicAccessBlock' | 'lifecycle')[];
  /** The state prefix the lifecycle rule covers (`PREFIX/`). */
  prefix: string;
}

const BLOCK_ALL = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };

/** How long a state's or lock's replaced version is kept at least, and how many of the newest are kept for ever. */
export const NONCURRENT_DAYS = 30;
export const NEWER_NONCURRENT_VERSIONS = 100;

/** The id of the state prefix's lifecycle rule: one per prefix, so several prefixes in a bucket each keep theirs. */
export const lifecycleRuleId = (prefix: string): string => `ecs-wizard ${prefix}/`;

/**
 * What keeps a versioned state prefix from growing for ever: every state write is a version, and
 * every lock a version and a delete marker. S3 lifecycle filters match a key prefix (or tags, or
 * sizes), never a suffix, so a rule cannot single out the `.lock` objects: it covers the whole
 * state prefix, and expires replaced versions only once they are both older than NONCURRENT_DAYS
 * and behind the NEWER_NONCURRENT_VERSIONS newest of their object — a month of state history, and
 * the last hundred writes of every state for ever. A delete marker with nothing left behind it
 * goes too.
 */
export function stateLifecycleRule(prefix: string): LifecycleRule {
  return {
    ID: lifecycleRuleId(prefix),
    Status: 'Enabled',
    Filter: { Prefix: `${prefix}/` },
    NoncurrentVersionExpiration: { NoncurrentDays: NONCURRENT_DAYS, NewerNoncurrentVersions: NEWER_NONCURRENT_VERSIONS },
    Expiration: { ExpiredObjectDeleteMarker: true },
  };
}

/**
 * Makes a bucket fit to hold states, or brings an existing one up to it: versioning on (every
 * earlier state stays recoverable), default encryption, all public access blocked, and a lifecycle
 * rule for the state prefix's old versions (stateLifecycleRule). Each setting is read first and
 * written only when missing, so a second run changes nothing, a bucket's own encryption (a KMS
 * key) is kept, and so are the bucket's other lifecycle rules — and ours once it exists, however
 * its owner has tuned it.
 */
export async function initStateBucket(bucket: string, clientsFor: S3ClientsFor, region: string | undefined, prefix = 'ecs-wizard'): Promise<StateBucketReport> {
  let clients: AwsClients = clientsFor(region);
  try {
    const home = (await clients.preflight(S3Client)).region;
    let s3 = clients.get(S3Client);
    let created = false;
    let where = home;
    try {
      where = (await s3.send(new HeadBucketCommand({ Bucket: bucket }))).BucketRegion ?? home;
    } catch (err) {
      if (!isBucketMissing(err)) throw bucketError(err, bucket, 'look at');
      try {
        // us-east-1 is the one region named by no location constraint.
        const CreateBucketConfiguration = home === 'us-east-1' ? undefined : { LocationConstraint: home as BucketLocationConstraint };
        await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration }));
        created = true;
      } catch (e) {
        if (isBucketTaken(e)) {
          throw new WizardError('AWS', `The bucket name "${bucket}" is taken by another AWS account (bucket names are global).`, { hint: 'Choose another name.', cause: e });
        }
        if (!isBucketOwnedByYou(e)) throw bucketError(e, bucket, 'create');
      }
    }
    if (where !== home) {
      clients.destroy();
      clients = clientsFor(where);
      s3 = clients.get(S3Client);
    }
    const changed: StateBucketReport['changed'] = [];
    const versioning = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket })).catch((e: unknown) => {
      throw bucketError(e, bucket, 'read the versioning of');
    });
    if (versioning.Status !== 'Enabled') {
      await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } })).catch((e: unknown) => {
        throw bucketError(e, bucket, 'turn on versioning of');
      });
      changed.push('versioning');
    }
    if (!(await configured(() => s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })), bucket, 'read the default encryption of'))) {
      await s3
        .send(new PutBucketEncryptionCommand({ Bucket: bucket, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: true }] } }))
        .catch((e: unknown) => {
          throw bucketError(e, bucket, 'set the default encryption of');
        });
      changed.push('encryption');
    }
    const block = await configured(() => s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket })), bucket, 'read the public access block of');
    const c = block?.PublicAccessBlockConfiguration;
    if (!(c?.BlockPublicAcls && c.IgnorePublicAcls && c.BlockPublicPolicy && c.RestrictPublicBuckets)) {
      await s3.send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: BLOCK_ALL })).catch((e: unknown) => {
        throw bucketError(e, bucket, 'block public access to');
      });
      changed.push('publicAccessBlock');
    }
    const lifecycle = await configured(() => s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket })), bucket, 'read the lifecycle rules of');
    const rules = lifecycle?.Rules ?? [];
    if (!rules.some((r) => r.ID === lifecycleRuleId(prefix))) {
      // PutBucketLifecycleConfiguration replaces the whole configuration: the bucket's own rules go back in as they were.
      await s3
        .send(
          new PutBucketLifecycleConfigurationCommand({
            Bucket: bucket,
            LifecycleConfiguration: { Rules: [...rules, stateLifecycleRule(prefix)] },
            ...(lifecycle?.TransitionDefaultMinimumObjectSize ? { TransitionDefaultMinimumObjectSize: lifecycle.TransitionDefaultMinimumObjectSize } : {}),
          }),
        )
        .catch((e: unknown) => {
          throw bucketError(e, bucket, 'add the lifecycle rule for old state versions to');
        });
      changed.push('lifecycle');
    }
    return { bucket, region: where, created, changed, prefix };
  } finally {
    clients.destroy();
  }
}

/** The setting, or undefined when the bucket has none configured (no encryption rule, public access block or lifecycle rules). */
async function configured<T>(get: () => Promise<T>, bucket: string, what: string): Promise<T | undefined> {
  try {
    return await get();
  } catch (err) {
    if (isNotConfigured(err)) return undefined;
    throw bucketError(err, bucket, what);
  }
}

function bucketError(err: unknown, bucket: string, what: string): WizardError {
  if (err instanceof WizardError) return err;
  const e = err as { name?: string; message?: string };
  return new WizardError('AWS', `Could not ${what} the bucket "${bucket}": ${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`, {
    hint: 'The credentials need the S3 actions of docs/iam-policy.json (statement StateBucketInit) on this bucket.',
    cause: err,
  });
}
