import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AwsClients } from '../../../src/aws/clients.js';
import { connectS3Store, s3Url, S3Store } from '../../../src/aws/s3-state.js';
import { emptyState } from '../../../src/engine/state.js';
import type { HeldLock } from '../../../src/engine/store.js';
import { isWizardError } from '../../../src/errors.js';
import { sdkError } from '../../support/aws-wire.js';

/**
 * The S3 state store with S3 scripted call by call: which condition each write and delete carries,
 * and what each S3 answer (as the SDK raises it from the wire) means to the store. The same store
 * against moto, end to end, is test/integration/s3-state.test.ts.
 */

// The SDK's own errors, made before S3 is mocked.
const failed = await sdkError(S3Client, PutObjectCommand, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { status: 412 });
const inFlight = await sdkError(S3Client, PutObjectCommand, 'ConditionalRequestConflict', 'A conflicting conditional operation is currently in progress against this resource.', { status: 409 });
const noKey = await sdkError(S3Client, GetObjectCommand, 'NoSuchKey', 'The specified key does not exist.', { status: 404 });
const denied = await sdkError(S3Client, PutObjectCommand, 'AccessDenied', 'Access Denied', { status: 403 });
const noBucket = await sdkError(S3Client, HeadBucketCommand, 'NotFound', 'Not Found', { status: 404 });

const s3 = mockClient(S3Client);
afterEach(() => s3.reset());
afterAll(() => s3.restore());

const STATE = JSON.stringify(emptyState('shop'), null, 2) + '\n';
/** A GetObject answer: the store reads only the body's text and the ETag. */
const object = (text: string, etag: string) => ({ Body: { transformToString: async () => text } as never, ETag: etag });
const inputs = <T>(command: unknown): T[] => s3.commandCalls(command as never).map((c) => c.args[0].input as T);

function store(prefix = 'teams/web'): S3Store {
  return new S3Store({ bucket: 'team-state', prefix }, new AwsClients({ region: 'us-east-1' }));
}

describe('S3 state store: the state object', () => {
  it('names its objects PREFIX/<stack>.json and s3:// URLs, with or without a prefix', () => {
    expect(store().where('shop')).toBe('s3://team-state/teams/web/shop.json');
    expect(store().location).toBe('s3://team-state/teams/web');
    expect(store('').where('shop')).toBe('s3://team-state/shop.json');
    expect(store('').location).toBe('s3://team-state');
    expect(s3Url({ bucket: 'b', prefix: 'p' }, 'k')).toBe('s3://b/k');
  });

  it('writes a new state only if none exists, and a known one only over the revision read; with no encryption header (the bucket default applies); returns the new ETag', async () => {
    s3.on(PutObjectCommand).resolvesOnce({ ETag: '"e1"' }).resolvesOnce({ ETag: '"e2"' });
    const st = store();
    expect(await st.write('shop', STATE, undefined)).toBe('"e1"');
    expect(await st.write('shop', STATE, '"e1"')).toBe('"e2"');
    const [first, second] = inputs<Record<string, unknown>>(PutObjectCommand);
    expect(first).toEqual({ Bucket: 'team-state', Key: 'teams/web/shop.json', Body: STATE, ContentType: 'application/json', IfNoneMatch: '*' });
    expect(second).toEqual({ Bucket: 'team-state', Key: 'teams/web/shop.json', Body: STATE, ContentType: 'application/json', IfMatch: '"e1"' });
  });

  it.each([
    ['PreconditionFailed (412)', failed],
    ['ConditionalRequestConflict (409)', inFlight],
    ['NoSuchKey (If-Match on an object someone deleted)', noKey],
  ])('a write refused with %s, over a state someone else changed, is a conflict that overwrites nothing', async (_what, err) => {
    // GIVEN S3 refusing the conditional write, and the object now holding another run's text
    s3.on(PutObjectCommand).rejects(err);
    s3.on(GetObjectCommand).resolves(object(STATE.replace('"shop"', '"theirs"'), '"e9"'));
    // WHEN the state is written  THEN the run stops with STATE_CONFLICT, naming the object
    const e = await store().write('shop', STATE, '"e1"').catch((x: unknown) => x);
    expect(isWizardError(e, 'STATE_CONFLICT')).toBe(true);
    expect((e as Error).message).toContain('s3://team-state/teams/web/shop.json');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(1);
  });

  it('a write whose first attempt landed (its retry then refused) is recognised by its text: our ETag, no conflict', async () => {
    s3.on(PutObjectCommand).rejects(failed);
    s3.on(GetObjectCommand).resolves(object(STATE, '"e7"'));
    expect(await store().write('shop', STATE, '"e1"')).toBe('"e7"');
  });

  it('a refused write with no object there at all is a conflict too', async () => {
    s3.on(PutObjectCommand).rejects(failed);
    s3.on(GetObjectCommand).rejects(noKey);
    expect(isWizardError(await store().write('shop', STATE, '"e1"').catch((x: unknown) => x), 'STATE_CONFLICT')).toBe(true);
  });

  it('any other S3 failure is an AWS error naming what it could not do, with the wire error as its cause', async () => {
    s3.on(PutObjectCommand).rejects(denied);
    s3.on(GetObjectCommand).rejects(denied);
    s3.on(DeleteObjectCommand).rejects(denied);
    s3.on(ListObjectsV2Command).rejects(denied);
    const st = store();
    const cases: [string, Promise<unknown>][] = [
      ['write s3://team-state/teams/web/shop.json', st.write('shop', STATE, undefined)],
      ['read s3://team-state/teams/web/shop.json', st.read('shop')],
      ['delete s3://team-state/teams/web/shop.json', st.remove('shop', '"e1"')],
      ['take the lock s3://team-state/teams/web/shop.lock', st.lock('shop', 'create')],
      ['remove the lock s3://team-state/teams/web/shop.lock', st.unlock('shop', { host: 'h', pid: 1, user: 'u', command: 'c', since: 's', revision: '"l1"' })],
      ['list s3://team-state/teams/web', st.list()],
    ];
    for (const [what, call] of cases) {
      const e = await call.catch((x: unknown) => x);
      expect(isWizardError(e, 'AWS'), what).toBe(true);
      expect((e as Error).message).toBe(`Could not ${what}: AccessDenied: Access Denied`);
      expect((e as { hint: string }).hint).toContain('docs/iam-policy.json');
      expect((e as { cause: unknown }).cause).toBe(denied);
    }
    // No conflict was read into a refusal: nothing was looked up again after the failed write.
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(2);
  });

  it('reads the text, the parsed state and the ETag; no object is no state', async () => {
    s3.on(GetObjectCommand, { Bucket: 'team-state', Key: 'teams/web/shop.json' }).resolves(object(STATE, '"e3"'));
    s3.on(GetObjectCommand, { Bucket: 'team-state', Key: 'teams/web/blog.json' }).rejects(noKey);
    expect(await store().read('shop')).toEqual({ text: STATE, state: JSON.parse(STATE), revision: '"e3"' });
    expect(await store().read('blog')).toBeUndefined();
  });

  it('removes the state only at the revision read (unconditionally when none); gone already is done; changed is a conflict', async () => {
    s3.on(DeleteObjectCommand).resolvesOnce({}).resolvesOnce({}).rejectsOnce(noKey).rejectsOnce(failed);
    const st = store();
    await st.remove('shop', '"e4"');
    await st.remove('shop', undefined);
    await expect(st.remove('shop', '"e4"')).resolves.toBeUndefined();
    expect(isWizardError(await st.remove('shop', '"e4"').catch((x: unknown) => x), 'STATE_CONFLICT')).toBe(true);
    expect(inputs(DeleteObjectCommand).slice(0, 2)).toEqual([
      { Bucket: 'team-state', Key: 'teams/web/shop.json', IfMatch: '"e4"' },
      { Bucket: 'team-state', Key: 'teams/web/shop.json' },
    ]);
  });

  it('lists the stacks directly under the prefix, across pages, sorted: only <stack>.json, not locks or hidden objects', async () => {
    s3.on(ListObjectsV2Command, { ContinuationToken: undefined })
      .resolves({ Contents: [{ Key: 'teams/web/shop.json' }, { Key: 'teams/web/shop.lock' }, { Key: 'teams/web/.draft.json' }], IsTruncated: true, NextContinuationToken: 'p2' })
      .on(ListObjectsV2Command, { ContinuationToken: 'p2' })
      .resolves({ Contents: [{ Key: 'teams/web/blog.json' }, { Key: 'teams/web/notes.txt' }], IsTruncated: false, NextContinuationToken: 'ignored' });
    expect(await store().list()).toEqual(['blog', 'shop']);
    expect(inputs(ListObjectsV2Command)).toEqual([
      { Bucket: 'team-state', Prefix: 'teams/web/', Delimiter: '/', ContinuationToken: undefined },
      { Bucket: 'team-state', Prefix: 'teams/web/', Delimiter: '/', ContinuationToken: 'p2' },
    ]);
    s3.reset();
    s3.on(ListObjectsV2Command).resolves({});
    expect(await store('').list()).toEqual([]);
    expect(inputs<{ Prefix: string }>(ListObjectsV2Command)[0]!.Prefix).toBe('');
  });
});

const HOLDER = { host: 'build-7', pid: 4242, user: 'alice', command: 'create', since: '2025-01-02T03:04:05.000Z' };

describe('S3 state store: the lock object', () => {
  it('is created only if absent, holding exactly host, pid, user, command, since; release deletes only that very lock, once', async () => {
    s3.on(PutObjectCommand).resolves({ ETag: '"l1"' });
    s3.on(DeleteObjectCommand).resolves({});
    const lock = await store().lock('shop', 'create');
    expect(lock.location).toBe('s3://team-state/teams/web/shop.lock');
    const put = inputs<{ Key: string; Body: string; IfNoneMatch?: string; IfMatch?: string }>(PutObjectCommand)[0]!;
    expect(put).toMatchObject({ Key: 'teams/web/shop.lock', IfNoneMatch: '*' });
    expect(put.IfMatch).toBeUndefined();
    // The bucket's default encryption applies only to a request that names none.
    expect(put).not.toHaveProperty('ServerSideEncryption');
    expect(put.Body.endsWith('}\n')).toBe(true);
    const body = JSON.parse(put.Body) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['host', 'pid', 'user', 'command', 'since']);
    expect(body).toMatchObject({ pid: process.pid, command: 'create' });
    await lock.release();
    await lock.release();
    expect(inputs(DeleteObjectCommand)).toEqual([{ Bucket: 'team-state', Key: 'teams/web/shop.lock', IfMatch: '"l1"' }]);
  });

  it('release: a lock gone or replaced (a forced unlock) is left alone; any other failure is reported', async () => {
    s3.on(PutObjectCommand).resolves({ ETag: '"l1"' });
    s3.on(DeleteObjectCommand).rejectsOnce(noKey).rejectsOnce(failed).rejectsOnce(denied);
    const st = store();
    await expect((await st.lock('shop', 'create')).release()).resolves.toBeUndefined();
    await expect((await st.lock('shop', 'create')).release()).resolves.toBeUndefined();
    const e = await (await st.lock('shop', 'create')).release().catch((x: unknown) => x);
    expect(isWizardError(e, 'AWS')).toBe(true);
    expect((e as Error).message).toContain('release the lock s3://team-state/teams/web/shop.lock');
  });

  it('held by another run, fails at once naming the holder, the lock and the unlock command', async () => {
    s3.on(PutObjectCommand).rejects(failed);
    s3.on(GetObjectCommand).resolves(object(JSON.stringify(HOLDER), '"l9"'));
    const e = await store().lock('shop', 'scale').catch((x: unknown) => x);
    expect(isWizardError(e, 'STATE_LOCKED')).toBe(true);
    expect((e as Error).message).toContain('user alice, pid 4242 on build-7 (create), since 2025-01-02T03:04:05.000Z');
    expect((e as { hint: string }).hint).toContain('ecs-wizard unlock shop --state-dir s3://team-state/teams/web');
    expect((e as { hint: string }).hint).toContain('s3://team-state/teams/web/shop.lock');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(1);
  });

  it('a lock create whose answer was lost, met by its own retry, is ours: taken, with the ETag found', async () => {
    // GIVEN S3 holding exactly the body our create sent (the first attempt landed), refusing the retry
    let sent = '';
    s3.on(PutObjectCommand).callsFake(async ({ Body }: { Body: string }) => {
      sent = Body;
      throw failed;
    });
    s3.on(GetObjectCommand).callsFake(async () => object(sent, '"l5"'));
    s3.on(DeleteObjectCommand).resolves({});
    // WHEN the lock is taken  THEN it is, and its release deletes that lock
    const lock = await store().lock('shop', 'create');
    await lock.release();
    expect(inputs<{ IfMatch: string }>(DeleteObjectCommand)[0]!.IfMatch).toBe('"l5"');
  });

  it("the same host and pid with another start time is someone else's lock (an earlier run of a recycled pid)", async () => {
    s3.on(PutObjectCommand).rejects(failed);
    s3.on(GetObjectCommand).callsFake(async () => object(JSON.stringify({ ...JSON.parse(JSON.stringify(HOLDER)), host: (await import('node:os')).hostname(), pid: process.pid }), '"l6"'));
    expect(isWizardError(await store().lock('shop', 'create').catch((x: unknown) => x), 'STATE_LOCKED')).toBe(true);
  });

  it('with a timeout, waits (telling once) and takes the lock once the holder releases it', async () => {
    s3.on(PutObjectCommand).rejectsOnce(failed).rejectsOnce(failed).resolves({ ETag: '"l2"' });
    s3.on(GetObjectCommand).resolves(object(JSON.stringify(HOLDER), '"l9"'));
    const told: HeldLock[] = [];
    const lock = await store().lock('shop', 'create', { timeoutMs: 60_000, onWait: (h) => told.push(h) });
    expect(lock.location).toBe('s3://team-state/teams/web/shop.lock');
    expect(told).toEqual([{ ...HOLDER, revision: '"l9"' }]);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(3);
  }, 10_000);

  it('a lock released between the refused create and the look is tried again — but not for ever', async () => {
    // GIVEN a lock that is there for each create, and gone for each look, every time
    s3.on(PutObjectCommand).rejects(failed);
    s3.on(GetObjectCommand).rejects(noKey);
    const e = await store().lock('shop', 'create').catch((x: unknown) => x);
    expect(isWizardError(e, 'STATE_LOCKED')).toBe(true);
    expect((e as Error).message).toContain('keeps changing hands');
    // Eleven tries: the first and ten more.
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(11);
  });

  it('a lock released once between create and look is taken on the next try', async () => {
    s3.on(PutObjectCommand).rejectsOnce(failed).resolves({ ETag: '"l3"' });
    s3.on(GetObjectCommand).rejects(noKey);
    expect((await store().lock('shop', 'create')).location).toBe('s3://team-state/teams/web/shop.lock');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(2);
  });

  it('holder(): the lock as found, leniently read, with its ETag; no lock is nobody', async () => {
    s3.on(GetObjectCommand, { Key: 'teams/web/shop.lock' }).resolves(object(JSON.stringify(HOLDER), '"l9"'));
    s3.on(GetObjectCommand, { Key: 'teams/web/blog.lock' }).rejects(noKey);
    s3.on(GetObjectCommand, { Key: 'teams/web/cafe.lock' }).resolves(object('not json', '"l8"'));
    const st = store();
    expect(await st.holder('shop')).toEqual({ ...HOLDER, revision: '"l9"' });
    expect(await st.holder('blog')).toBeUndefined();
    expect(await st.holder('cafe')).toMatchObject({ unreadable: true, revision: '"l8"' });
  });

  it('unlock() removes only the lock it was shown (If-Match its ETag): true when removed, false when changed or gone', async () => {
    s3.on(DeleteObjectCommand).resolvesOnce({}).rejectsOnce(failed).rejectsOnce(noKey);
    const st = store();
    const shown: HeldLock = { ...HOLDER, revision: '"l9"' };
    expect(await st.unlock('shop', shown)).toBe(true);
    expect(await st.unlock('shop', shown)).toBe(false);
    expect(await st.unlock('shop', shown)).toBe(false);
    expect(inputs(DeleteObjectCommand)[0]).toEqual({ Bucket: 'team-state', Key: 'teams/web/shop.lock', IfMatch: '"l9"' });
  });
});

describe('connecting to the state bucket', () => {
  /** A clients factory that records the region of each set of clients it makes. */
  const factory = () => {
    const regions: (string | undefined)[] = [];
    return { regions, clientsFor: (r: string | undefined) => (regions.push(r), new AwsClients({ region: r })) };
  };

  it("asks HeadBucket for the bucket's region and reconnects there", async () => {
    s3.on(HeadBucketCommand).resolves({ BucketRegion: 'eu-west-1' });
    const f = factory();
    const st = await connectS3Store({ bucket: 'team-state', prefix: 'p' }, f.clientsFor, 'us-east-1');
    st.close();
    expect(f.regions).toEqual(['us-east-1', 'eu-west-1']);
    expect(inputs(HeadBucketCommand)).toEqual([{ Bucket: 'team-state' }]);
    expect(st.location).toBe('s3://team-state/p');
  });

  it('stays in its region when the bucket is there (or S3 does not say)', async () => {
    s3.on(HeadBucketCommand).resolvesOnce({ BucketRegion: 'us-east-1' }).resolvesOnce({});
    const f = factory();
    (await connectS3Store({ bucket: 'team-state', prefix: '' }, f.clientsFor, 'us-east-1')).close();
    (await connectS3Store({ bucket: 'team-state', prefix: '' }, f.clientsFor, 'us-east-1')).close();
    expect(f.regions).toEqual(['us-east-1', 'us-east-1']);
  });

  it('without any region, asks from us-east-1 (any region can ask where a bucket is)', async () => {
    const saved = { region: process.env.AWS_REGION, fallback: process.env.AWS_DEFAULT_REGION };
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    try {
      s3.on(HeadBucketCommand).resolves({ BucketRegion: 'eu-west-1' });
      const f = factory();
      (await connectS3Store({ bucket: 'team-state', prefix: '' }, f.clientsFor, undefined)).close();
      expect(f.regions).toEqual([undefined, 'us-east-1', 'eu-west-1']);
    } finally {
      process.env.AWS_REGION = saved.region;
      if (saved.fallback !== undefined) process.env.AWS_DEFAULT_REGION = saved.fallback;
    }
  });

  it('a bucket that does not exist is STATE_MISSING naming `state init`; another failure is an AWS error', async () => {
    s3.on(HeadBucketCommand).rejectsOnce(noBucket).rejectsOnce(denied);
    const missing = await connectS3Store({ bucket: 'gone', prefix: '' }, factory().clientsFor, 'us-east-1').catch((x: unknown) => x);
    expect(isWizardError(missing, 'STATE_MISSING')).toBe(true);
    expect((missing as Error).message).toContain('"gone"');
    expect((missing as { hint: string }).hint).toContain('ecs-wizard state init s3://gone');
    const other = await connectS3Store({ bucket: 'team-state', prefix: 'p' }, factory().clientsFor, 'us-east-1').catch((x: unknown) => x);
    expect(isWizardError(other, 'AWS')).toBe(true);
    expect((other as Error).message).toBe('Could not reach the state bucket s3://team-state/p: AccessDenied: Access Denied');
  });

  it('no credentials is a CREDENTIALS error before any call', async () => {
    const saved = { ...process.env };
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_PROFILE = 'ecs-wizard-test-nonexistent';
    try {
      const e = await connectS3Store({ bucket: 'team-state', prefix: '' }, factory().clientsFor, 'us-east-1').catch((x: unknown) => x);
      expect(isWizardError(e, 'CREDENTIALS')).toBe(true);
      expect((e as { hint: string }).hint).toContain('aws configure');
      expect(s3.commandCalls(HeadBucketCommand)).toHaveLength(0);
    } finally {
      process.env = saved;
    }
  });
});
