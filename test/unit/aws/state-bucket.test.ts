import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  S3Client,
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

/** A bucket that has every setting already (and accepts any it lacks). */
function scriptConfigured(): void {
  for (const put of [CreateBucketCommand, PutBucketVersioningCommand, PutBucketEncryptionCommand, PutPublicAccessBlockCommand]) s3.on(put as never).resolves({});
  s3.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
  s3.on(GetBucketEncryptionCommand).resolves({ ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'k' } }] } });
  s3.on(GetPublicAccessBlockCommand).resolves({ PublicAccessBlockConfiguration: BLOCK_ALL });
}

const writes = () => [PutBucketVersioningCommand, PutBucketEncryptionCommand, PutPublicAccessBlockCommand].map((c) => s3.commandCalls(c as never).length);

describe('state init: the state bucket', () => {
  it('a new bucket is created in the region asked for, then versioned, encrypted and closed to the public', async () => {
    // GIVEN no such bucket, in eu-west-1
    s3.on(HeadBucketCommand).rejects(missing);
    scriptConfigured();
    s3.on(GetBucketVersioningCommand).resolves({});
    s3.on(GetBucketEncryptionCommand).rejects(noEncryption);
    s3.on(GetPublicAccessBlockCommand).rejects(noBlock);
    const f = factory();
    // WHEN it is initialised
    const report = await initStateBucket('team-state', f.clientsFor, 'eu-west-1');
    // THEN it was created there and given all three settings, in that one region
    expect(report).toEqual({ bucket: 'team-state', region: 'eu-west-1', created: true, changed: ['versioning', 'encryption', 'publicAccessBlock'] });
    expect(f.regions).toEqual(['eu-west-1']);
    expect(s3.commandCalls(CreateBucketCommand)[0]!.args[0].input).toEqual({ Bucket: 'team-state', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } });
    expect(s3.commandCalls(PutBucketVersioningCommand)[0]!.args[0].input).toEqual({ Bucket: 'team-state', VersioningConfiguration: { Status: 'Enabled' } });
    expect(s3.commandCalls(PutBucketEncryptionCommand)[0]!.args[0].input).toEqual({ Bucket: 'team-state', ServerSideEncryptionConfiguration: ENCRYPTION });
    expect(s3.commandCalls(PutPublicAccessBlockCommand)[0]!.args[0].input).toEqual({ Bucket: 'team-state', PublicAccessBlockConfiguration: BLOCK_ALL });
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
    expect(report).toEqual({ bucket: 'team-state', region: 'eu-central-1', created: false, changed: [] });
    expect(f.regions).toEqual(['us-east-1', 'eu-central-1']);
    expect(s3.commandCalls(CreateBucketCommand)).toHaveLength(0);
    expect(writes()).toEqual([0, 0, 0]);
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
    expect(writes()).toEqual([0, 0, 0]);
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
