import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
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
  type LifecycleRule,
} from '@aws-sdk/client-s3';
import { AwsClients } from '../../../src/aws/clients.js';
import { initStateBucket } from '../../../src/aws/state-bucket.js';
import { isWizardError } from '../../../src/errors.js';
import { sdkError } from '../../support/aws-wire.js';

/**
 * `ecs-wizard state init`'s bucket, with S3 scripted call by call: each setting is read first and
 * written only when missing, in the bucket's own region; each S3 answer (as the SDK raises it from
 * the wire) means what it says.
 */

// The SDK's own errors, made before S3 is mocked.
const missing = await sdkError(S3Client, HeadBucketCommand, 'NotFound', 'Not Found', { status: 404 });
const forbidden = await sdkError(S3Client, HeadBucketCommand, 'Forbidden', 'Forbidden', { status: 403 });
const taken = await sdkError(S3Client, CreateBucketCommand, 'BucketAlreadyExists', 'The requested bucket name is not available.', { status: 409 });
const ownedByYou = await sdkError(S3Client, CreateBucketCommand, 'BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', { status: 409 });
const noEncryption = await sdkError(S3Client, GetBucketEncryptionCommand, 'ServerSideEncryptionConfigurationNotFoundError', 'The server side encryption configuration was not found', { status: 404 });
const noBlock = await sdkError(S3Client, GetPublicAccessBlockCommand, 'NoSuchPublicAccessBlockConfiguration', 'The public access block configuration was not found', { status: 404 });
const denied = await sdkError(S3Client, PutBucketVersioningCommand, 'AccessDenied', 'Access Denied', { status: 403 });
const noLifecycle = await sdkError(S3Client, GetBucketLifecycleConfigurationCommand, 'NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist', { status: 404 });

const s3 = mockClient(S3Client);
afterEach(() => s3.reset());
afterAll(() => s3.restore());

const BLOCK_ALL = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };
const ENCRYPTION = { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: true }] };

/** A clients factory that records the region of each set of clients it makes. */
function factory() {
  const regions: (string | undefined)[] = [];
  return { regions, clientsFor: (r: string | undefined) => (regions.push(r), new AwsClients({ region: r })) };
}

/** Our rule for the default prefix, as state init writes it. */
const OUR_RULE: LifecycleRule = {
  ID: 'ecs-wizard ecs-wizard/',
  Status: 'Enabled',
  Filter: { Prefix: 'ecs-wizard/' },
  NoncurrentVersionExpiration: { NoncurrentDays: 30, NewerNoncurrentVersions: 100 },
  Expiration: { ExpiredObjectDeleteMarker: true },
};

/** A bucket that has every setting already (and accepts any it lacks). */
function scriptConfigured(): void {
  for (const put of [CreateBucketCommand, PutBucketVersioningCommand, PutBucketEncryptionCommand, PutPublicAccessBlockCommand, PutBucketLifecycleConfigurationCommand]) s3.on(put as never).resolves({});
  s3.on(GetBucketLifecycleConfigurationCommand).resolves({ Rules: [OUR_RULE] });
  s3.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
  s3.on(GetBucketEncryptionCommand).resolves({ ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'k' } }] } });
  s3.on(GetPublicAccessBlockCommand).resolves({ PublicAccessBlockConfiguration: BLOCK_ALL });
}

const writes = () =>
  [PutBucketVersioningCommand, PutBucketEncryptionCommand, PutPublicAccessBlockCommand, PutBucketLifecycleConfigurationCommand].map((c) => s3.commandCalls(c as never).length);

describe('state init: the state bucket', () => {
  it('a new bucket is created in the region asked for, then versioned, encrypted, closed to the public and given the lifecycle rule of the state prefix', async () => {
    // GIVEN no such bucket, in eu-west-1
    s3.on(HeadBucketCommand).rejects(missing);
    scriptConfigured();
    s3.on(GetBucketVersioningCommand).resolves({});
    s3.on(GetBucketEncryptionCommand).rejects(noEncryption);
    s3.on(GetPublicAccessBlockCommand).rejects(noBlock);
    s3.on(GetBucketLifecycleConfigurationCommand).rejects(noLifecycle);
    const f = factory();
    // WHEN it is initialised
    const report = await initStateBucket('team-state', f.clientsFor, 'eu-west-1');
    // THEN it was created there and given all four settings, in that one region
    expect(report).toEqual({ bucket: 'team-state', region: 'eu-west-1', created: true, changed: ['versioning', 'encryption', 'publicAccessBlock', 'lifecycle'], prefix: 'ecs-wizard' });
    expect(f.regions).toEqual(['eu-west-1']);
    expect(s3.commandCalls(CreateBucketCommand)[0]!.args[0].input).toEqual({ Bucket: 'team-state', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } });
    expect(s3.commandCalls(PutBucketVersioningCommand)[0]!.args[0].input).toEqual({ Bucket: 'team-state', VersioningConfiguration: { Status: 'Enabled' } });
    expect(s3.commandCalls(PutBucketEncryptionCommand)[0]!.args[0].input).toEqual({ Bucket: 'team-state', ServerSideEncryptionConfiguration: ENCRYPTION });
    expect(s3.commandCalls(PutPublicAccessBlockCommand)[0]!.args[0].input).toEqual({ Bucket: 'team-state', PublicAccessBlockConfiguration: BLOCK_ALL });
    expect(s3.commandCalls(PutBucketLifecycleConfigurationCommand)[0]!.args[0].input).toEqual({ Bucket: 'team-state', LifecycleConfiguration: { Rules: [OUR_RULE] } });
  });

  it('in us-east-1, the bucket is created with no location constraint (the one region named by none)', async () => {
    s3.on(HeadBucketCommand).rejects(missing);
    scriptConfigured();
    const report = await initStateBucket('team-state', factory().clientsFor, 'us-east-1');
    expect(report).toMatchObject({ region: 'us-east-1', created: true, changed: [] });
    expect(s3.commandCalls(CreateBucketCommand)[0]!.args[0].input).toEqual({ Bucket: 'team-state', CreateBucketConfiguration: undefined });
  });

  it('an existing bucket with every setting is left as it is — its own encryption (a KMS key) kept — in its own region', async () => {
    // GIVEN the bucket, in eu-central-1, asked from us-east-1
    s3.on(HeadBucketCommand).resolves({ BucketRegion: 'eu-central-1' });
    scriptConfigured();
    const f = factory();
    const report = await initStateBucket('team-state', f.clientsFor, 'us-east-1');
    expect(report).toEqual({ bucket: 'team-state', region: 'eu-central-1', created: false, changed: [], prefix: 'ecs-wizard' });
    expect(f.regions).toEqual(['us-east-1', 'eu-central-1']);
    expect(s3.commandCalls(CreateBucketCommand)).toHaveLength(0);
    expect(writes()).toEqual([0, 0, 0, 0]);
  });

  it("adds the state prefix's lifecycle rule beside the bucket's own rules, which go back unchanged (S3 replaces the whole configuration)", async () => {
    // GIVEN a bucket with every setting but our rule: it has two rules of its owner's, and a minimum object size setting
    s3.on(HeadBucketCommand).resolves({ BucketRegion: 'us-east-1' });
    scriptConfigured();
    const theirs: LifecycleRule[] = [
      { ID: 'logs-to-glacier', Status: 'Enabled', Filter: { Prefix: 'logs/' }, Transitions: [{ Days: 90, StorageClass: 'GLACIER' }] },
      { ID: 'tmp', Status: 'Disabled', Filter: { Tag: { Key: 'tmp', Value: 'yes' } }, Expiration: { Days: 1 } },
    ];
    s3.on(GetBucketLifecycleConfigurationCommand).resolves({ Rules: theirs, TransitionDefaultMinimumObjectSize: 'varies_by_storage_class' });
    // WHEN state init runs for the prefix teams/web
    const report = await initStateBucket('team-state', factory().clientsFor, 'us-east-1', 'teams/web');
    // THEN their rules and setting are sent back as they were, with ours for teams/web/ added; nothing else changed
    expect(report.changed).toEqual(['lifecycle']);
    expect(s3.commandCalls(PutBucketLifecycleConfigurationCommand)[0]!.args[0].input).toEqual({
      Bucket: 'team-state',
      LifecycleConfiguration: { Rules: [...theirs, { ...OUR_RULE, ID: 'ecs-wizard teams/web/', Filter: { Prefix: 'teams/web/' } }] },
      TransitionDefaultMinimumObjectSize: 'varies_by_storage_class',
    });
    expect(writes()).toEqual([0, 0, 0, 1]);
  });

  it('our rule, once there, is left as its owner tuned it (found by its id); another prefix gets a rule of its own', async () => {
    s3.on(HeadBucketCommand).resolves({ BucketRegion: 'us-east-1' });
    scriptConfigured();
    const tuned: LifecycleRule = { ...OUR_RULE, NoncurrentVersionExpiration: { NoncurrentDays: 365 } };
    s3.on(GetBucketLifecycleConfigurationCommand).resolves({ Rules: [tuned] });
    expect((await initStateBucket('team-state', factory().clientsFor, 'us-east-1')).changed).toEqual([]);
    expect(writes()).toEqual([0, 0, 0, 0]);
    expect((await initStateBucket('team-state', factory().clientsFor, 'us-east-1', 'other')).changed).toEqual(['lifecycle']);
    expect(s3.commandCalls(PutBucketLifecycleConfigurationCommand)[0]!.args[0].input.LifecycleConfiguration!.Rules!.map((r) => r.ID)).toEqual(['ecs-wizard ecs-wizard/', 'ecs-wizard other/']);
  });

  it('a public access block with any one of its four settings off is set whole; suspended versioning is turned on', async () => {
    for (const off of Object.keys(BLOCK_ALL)) {
      s3.reset();
      s3.on(HeadBucketCommand).resolves({ BucketRegion: 'us-east-1' });
      scriptConfigured();
      s3.on(GetBucketVersioningCommand).resolves({ Status: 'Suspended' });
      s3.on(GetPublicAccessBlockCommand).resolves({ PublicAccessBlockConfiguration: { ...BLOCK_ALL, [off]: false } });
      const report = await initStateBucket('team-state', factory().clientsFor, 'us-east-1');
      expect(report.changed, off).toEqual(['versioning', 'publicAccessBlock']);
    }
  });

  it("a name this account owns already (CreateBucket's answer outside us-east-1) is that bucket, not an error", async () => {
    scriptConfigured();
    s3.on(HeadBucketCommand).rejects(missing);
    s3.on(CreateBucketCommand).rejects(ownedByYou);
    expect(await initStateBucket('team-state', factory().clientsFor, 'eu-west-1')).toMatchObject({ created: false, changed: [] });
  });

  it('a name another account owns is a clear error: bucket names are global', async () => {
    s3.on(HeadBucketCommand).rejects(missing);
    s3.on(CreateBucketCommand).rejects(taken);
    const e = await initStateBucket('team-state', factory().clientsFor, 'eu-west-1').catch((x: unknown) => x);
    expect(isWizardError(e, 'AWS')).toBe(true);
    expect((e as Error).message).toBe('The bucket name "team-state" is taken by another AWS account (bucket names are global).');
    expect((e as { hint: string }).hint).toBe('Choose another name.');
    expect(writes()).toEqual([0, 0, 0, 0]);
  });

  it('any other failure names what could not be done to the bucket, with the wire error as its cause', async () => {
    const cases: [string, () => void][] = [
      ['look at', () => s3.on(HeadBucketCommand).rejects(forbidden)],
      ['create', () => (s3.on(HeadBucketCommand).rejects(missing), s3.on(CreateBucketCommand).rejects(denied))],
      ['read the versioning of', () => s3.on(GetBucketVersioningCommand).rejects(denied)],
      ['turn on versioning of', () => (s3.on(GetBucketVersioningCommand).resolves({}), s3.on(PutBucketVersioningCommand).rejects(denied))],
      ['read the default encryption of', () => s3.on(GetBucketEncryptionCommand).rejects(denied)],
      ['set the default encryption of', () => (s3.on(GetBucketEncryptionCommand).rejects(noEncryption), s3.on(PutBucketEncryptionCommand).rejects(denied))],
      ['read the public access block of', () => s3.on(GetPublicAccessBlockCommand).rejects(denied)],
      ['block public access to', () => (s3.on(GetPublicAccessBlockCommand).rejects(noBlock), s3.on(PutPublicAccessBlockCommand).rejects(denied))],
      ['read the lifecycle rules of', () => s3.on(GetBucketLifecycleConfigurationCommand).rejects(denied)],
      ['add the lifecycle rule for old state versions to', () => (s3.on(GetBucketLifecycleConfigurationCommand).rejects(noLifecycle), s3.on(PutBucketLifecycleConfigurationCommand).rejects(denied))],
    ];
    for (const [what, script] of cases) {
      s3.reset();
      s3.on(HeadBucketCommand).resolves({ BucketRegion: 'us-east-1' });
      scriptConfigured();
      script();
      const e = await initStateBucket('team-state', factory().clientsFor, 'us-east-1').catch((x: unknown) => x);
      expect(isWizardError(e, 'AWS'), what).toBe(true);
      const cause = (e as { cause: { name: string; message: string } }).cause;
      expect((e as Error).message).toBe(`Could not ${what} the bucket "team-state": ${cause.name}: ${cause.message}`);
      expect([forbidden, denied]).toContain(cause);
      expect((e as { hint: string }).hint).toContain('StateBucketInit');
    }
  });

  it('without a region, stops before any call (preflight), saying how to set one', async () => {
    const saved = { ...process.env };
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    try {
      const e = await initStateBucket('team-state', factory().clientsFor, undefined).catch((x: unknown) => x);
      expect(isWizardError(e, 'CREDENTIALS')).toBe(true);
      expect(s3.calls()).toHaveLength(0);
    } finally {
      process.env = saved;
    }
  });
});
