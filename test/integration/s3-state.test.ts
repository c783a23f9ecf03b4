import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as os from 'node:os';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutBucketEncryptionCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AwsClients } from '../../src/aws/clients.js';
import { connectS3Store, type S3Location, type S3Store } from '../../src/aws/s3-state.js';
import { runCreate } from '../../src/engine/engine.js';
import { StateFile, emptyState } from '../../src/engine/state.js';
import type { StateStore } from '../../src/engine/store.js';
import { isWizardError } from '../../src/errors.js';
import { buildPlan } from '../../src/steps/index.js';
import { startMoto, type Moto } from '../support/moto.js';
import { startStrictAws, type Rule, type StrictAws } from '../support/strict-aws.js';
import { wireError } from '../support/aws-wire.js';
import { testStack } from '../support/stack.js';

/**
 * The S3 state store, in-process, against moto behind the strict-AWS proxy: conditional writes,
 * the lock object, the bucket's own region, encryption at rest, listing, and refusing what it
 * cannot read. moto answers S3 conditional writes as S3 does (PreconditionFailed, 412).
 */
let moto: Moto;
let aws: StrictAws;
let admin: S3Client;
const BUCKET = 'team-state';

beforeAll(async () => {
  moto = await startMoto();
  aws = await startStrictAws(moto.endpoint, { seed: 5 });
  admin = new S3Client({ region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterEach(() => aws.clear());
afterAll(async () => {
  admin?.destroy();
  await aws?.stop();
  await moto?.stop();
});

const open = (prefix: string, region = 'us-east-1', bucket = BUCKET): Promise<S3Store> =>
  connectS3Store(
    { bucket, prefix },
    (r) => new AwsClients({ region: r, endpointUrl: aws.endpoint, maxAttempts: 3, clientConfig: { forcePathStyle: true, followRegionRedirects: true } }),
    region,
  );

const objectText = async (key: string, bucket = BUCKET): Promise<string> =>
  (await (await admin.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString()) as string;

const putObject = (key: string, body: string, bucket = BUCKET) => admin.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

const exists = (key: string): Promise<boolean> =>
  admin.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })).then(
    () => true,
    () => false,
  );

const KMS_ONLY = 'bucket-policy-kms-only';

/**
 * A "KMS only" bucket policy, as S3 enforces it: a PutObject to `bucket` that names a server-side
 * encryption other than aws:kms is refused (403 AccessDenied, S3's XML error); one that names none
 * gets the bucket's default encryption.
 */
function kmsOnlyBucketPolicy(bucket: string): Rule {
  return {
    name: KMS_ONLY,
    service: 's3',
    operation: 'PutObject',
    when: (req) => req.path.startsWith(`/${bucket}/`) && req.headers['x-amz-server-side-encryption'] !== undefined && req.headers['x-amz-server-side-encryption'] !== 'aws:kms',
    error: { code: 'AccessDenied', message: 'Access Denied', status: 403 },
  };
}

/** A pass-through rule that records the region each S3 request to `bucket` was signed for. */
function regionsSeen(name: string, bucket: string): string[] {
  const seen: string[] = [];
  aws.rule({
    name,
    service: 's3',
    operation: /.*/,
    respond: async (req) => {
      if (req.path.startsWith(`/${bucket}`)) seen.push(/Credential=[^/]+\/[^/]+\/([^/]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? '?');
      return undefined;
    },
  });
  return seen;
}

describe('S3 state store', () => {
  it("finds the bucket's own region and writes the state and lock there as PREFIX/<stack>.json/.lock, under the bucket's own KMS encryption", async () => {
    // GIVEN a state bucket in eu-west-1 (the command's region is us-east-1) whose default encryption is a KMS key,
    // and whose policy refuses any write that names another encryption (as a "KMS only" bucket policy does)
    const bucket = 'team-state-eu';
    const kmsKey = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const eu = new S3Client({ region: 'eu-west-1', endpoint: moto.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    await eu.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    await eu.send(
      new PutBucketEncryptionCommand({ Bucket: bucket, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: kmsKey } }] } }),
    );
    aws.rule(kmsOnlyBucketPolicy(bucket));
    const seen = regionsSeen('regions', bucket);
    // AND the policy rule is live: a write naming SSE-S3 is refused as S3 refuses it
    const probe = new S3Client({ region: 'eu-west-1', endpoint: aws.endpoint, forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const refused = await probe.send(new PutObjectCommand({ Bucket: bucket, Key: 'probe.json', Body: '{}', ServerSideEncryption: 'AES256' })).catch((e: unknown) => e);
    probe.destroy();
    expect(refused).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(aws.fired(KMS_ONLY)).toBe(1);
    // WHEN a store is opened on it, a state written and read back, and the lock taken
    const store = await open('teams/web', 'us-east-1', bucket);
    const state = new StateFile({ store, stack: 'shop' }, emptyState('shop'));
    await state.update((s) => void (s.region = 'us-east-1'));
    const back = await store.read('shop');
    const lock = await store.lock('shop', 'create');
    const heads = await Promise.all(['teams/web/shop.json', 'teams/web/shop.lock'].map((Key) => eu.send(new HeadObjectCommand({ Bucket: bucket, Key }))));
    await lock.release();
    store.close();
    eu.destroy();
    // THEN every call after HeadBucket was signed for eu-west-1, and the objects are where the contract says
    expect(seen[0]).toBe('us-east-1');
    expect(seen.slice(1).length).toBeGreaterThan(1);
    expect(new Set(seen.slice(1))).toEqual(new Set(['eu-west-1']));
    expect(back?.state).toMatchObject({ stack: 'shop', region: 'us-east-1' });
    expect(state.file).toBe(`s3://${bucket}/teams/web/shop.json`);
    // AND no write named an encryption (the policy refused none), so both stay under the bucket's KMS key, not SSE-S3
    expect(aws.fired(KMS_ONLY)).toBe(1);
    for (const head of heads) expect({ sse: head.ServerSideEncryption, key: head.SSEKMSKeyId }).toEqual({ sse: 'aws:kms', key: kmsKey });
  });

  it('a missing bucket is a clear error that names `state init`', async () => {
    const err = await open('x', 'us-east-1', 'no-such-state-bucket').catch((e: unknown) => e);
    expect(isWizardError(err, 'STATE_MISSING')).toBe(true);
    expect((err as Error).message).toContain('no-such-state-bucket');
    expect((err as { hint: string }).hint).toContain('ecs-wizard state init s3://no-such-state-bucket');
  });

  it('every write is conditional on the revision read: a writer that lost the race fails, overwrites nothing, and stays stopped', async () => {
    // GIVEN two runs that read the same state
    const a = await open('race');
    const b = await open('race');
    await new StateFile({ store: a, stack: 'shop' }, emptyState('shop')).save();
    const readA = (await a.read('shop'))!;
    const readB = (await b.read('shop'))!;
    const stateA = new StateFile({ store: a, stack: 'shop', revision: readA.revision }, readA.state);
    const stateB = new StateFile({ store: b, stack: 'shop', revision: readB.revision }, readB.state);
    // WHEN B writes first, then A writes twice
    await stateB.update((s) => void (s.region = 'b-wins'));
    const winner = await objectText('race/shop.json');
    const first = await stateA.update((s) => void (s.region = 'a-loses')).catch((e: unknown) => e);
    const second = await stateA.update((s) => void (s.region = 'a-again')).catch((e: unknown) => e);
    // THEN A's writes fail as a conflict, and B's state is there byte for byte
    expect(isWizardError(first, 'STATE_CONFLICT')).toBe(true);
    expect((first as Error).message).toContain('s3://team-state/race/shop.json');
    expect(second).toBe(first);
    expect(stateA.conflict).toBe(first);
    expect(await objectText('race/shop.json')).toBe(winner);
    expect(JSON.parse(winner).region).toBe('b-wins');
    a.close();
    b.close();
  });

  it('a new state is created only if none exists (If-None-Match: *)', async () => {
    // GIVEN a state someone else created after this run found none
    const store = await open('new');
    await putObject('new/shop.json', JSON.stringify(emptyState('shop')));
    const before = await objectText('new/shop.json');
    // WHEN this run writes its "new" state
    const err = await new StateFile({ store, stack: 'shop' }, emptyState('shop')).save().catch((e: unknown) => e);
    store.close();
    // THEN it fails instead of replacing theirs
    expect(isWizardError(err, 'STATE_CONFLICT')).toBe(true);
    expect(await objectText('new/shop.json')).toBe(before);
  });

  it('a write whose answer was lost and which the SDK retried is recognised as its own, not a conflict', async () => {
    // GIVEN S3 that applies the second state write but loses its answer (HTTP 500), so the SDK sends it again
    aws.rule({
      name: 'answer-lost',
      service: 's3',
      operation: 'PutObject',
      skip: 1,
      times: 1,
      respond: async (req, ctx) => (req.path.includes('/lost/shop.json') ? (await ctx.forward(), wireError('s3', 'InternalError', 'We encountered an internal error. Please try again.', 500)) : undefined),
    });
    const store = await open('lost');
    const state = new StateFile({ store, stack: 'shop' }, emptyState('shop'));
    await state.save();
    // WHEN the second write goes through that, and a third follows
    await state.update((s) => void (s.region = 'second'));
    await state.update((s) => void (s.region = 'third'));
    store.close();
    // THEN the retry met its own write (412) and took it as done; later writes go on
    expect(aws.fired('answer-lost')).toBe(1);
    expect(aws.requests.filter((r) => r.operation === 'PutObject' && r.status === 412)).toHaveLength(1);
    expect(state.conflict).toBeUndefined();
    expect(JSON.parse(await objectText('lost/shop.json')).region).toBe('third');
  });

  it('refuses a corrupt or newer-version object and keeps it byte for byte', async () => {
    const store = await open('bad');
    for (const [stack, text] of [
      ['torn', '{"version": 1, "stack": "torn", "resou'],
      ['future', '{"version": 99, "stack": "future", "resources": {}}'],
    ] as const) {
      await putObject(`bad/${stack}.json`, text);
      const err = await store.read(stack).catch((e: unknown) => e);
      expect(isWizardError(err, 'STATE_INVALID')).toBe(true);
      expect((err as Error).message).toContain(`s3://team-state/bad/${stack}.json`);
      expect(await objectText(`bad/${stack}.json`)).toBe(text);
    }
    store.close();
  });

  it('lists the stacks directly under the prefix only', async () => {
    for (const key of ['list/a.json', 'list/b.json', 'list/b.lock', 'list/nested/c.json', 'listing/d.json', 'other/e.json']) await putObject(key, '{}');
    const store = await open('list');
    expect(await store.list()).toEqual(['a', 'b']);
    store.close();
  });
});

describe('S3 lock', () => {
  it('is the object PREFIX/<stack>.lock holding exactly host, pid, user, command, since — and release deletes it', async () => {
    const store = await open('lock1');
    const before = Date.now();
    const lock = await store.lock('shop', 'create');
    const body = JSON.parse(await objectText('lock1/shop.lock'));
    expect(Object.keys(body).sort()).toEqual(['command', 'host', 'pid', 'since', 'user']);
    expect(body).toMatchObject({ host: os.hostname(), pid: process.pid, command: 'create' });
    expect(Date.parse(body.since)).toBeGreaterThanOrEqual(before - 1000);
    await lock.release();
    expect(await exists('lock1/shop.lock')).toBe(false);
    store.close();
  });

  it('a second run fails at once naming the holder, since when, and the unlock command', async () => {
    // GIVEN a lock held by another machine's run, written as another tool would
    await putObject('lock2/shop.lock', JSON.stringify({ host: 'ci-runner-7', pid: 4242, user: 'deploy-bot', command: 'create', since: '2025-03-01T10:00:00.000Z' }));
    const store = await open('lock2');
    // WHEN this run tries to lock the stack
    const err = await store.lock('shop', 'destroy').catch((e: unknown) => e);
    store.close();
    // THEN it is refused with everything needed to act, and the lock is theirs still
    expect(isWizardError(err, 'STATE_LOCKED')).toBe(true);
    expect((err as Error).message).toBe('Stack "shop" is locked by another ecs-wizard run: user deploy-bot, pid 4242 on ci-runner-7 (create), since 2025-03-01T10:00:00.000Z.');
    expect((err as { hint: string }).hint).toContain('ecs-wizard unlock shop --state-dir s3://team-state/lock2');
    expect(JSON.parse(await objectText('lock2/shop.lock')).pid).toBe(4242);
  });

  it('is never taken over, even when its pid is dead on this very host', async () => {
    await putObject('lock3/shop.lock', JSON.stringify({ host: os.hostname(), pid: 999_999_999, user: 'x', command: 'create', since: '2025-01-01T00:00:00.000Z' }));
    const store = await open('lock3');
    const err = await store.lock('shop', 'create').catch((e: unknown) => e);
    store.close();
    expect(isWizardError(err, 'STATE_LOCKED')).toBe(true);
    expect(await exists('lock3/shop.lock')).toBe(true);
  });

  it('with a timeout, waits (telling once) and takes the lock when the holder releases it', async () => {
    const holder = await open('lock4');
    const waiter = await open('lock4');
    const held = await holder.lock('shop', 'create');
    const told: string[] = [];
    // WHEN a second run waits up to 20 s and the first releases after a moment
    const taking = waiter.lock('shop', 'scale', { timeoutMs: 20_000, onWait: (h) => told.push(h.command) });
    await new Promise((r) => setTimeout(r, 600));
    await held.release();
    const lock = await taking;
    // THEN it was told once who held it, then got the lock
    expect(told).toEqual(['create']);
    expect(JSON.parse(await objectText('lock4/shop.lock')).command).toBe('scale');
    await lock.release();
    holder.close();
    waiter.close();
  });

  it('a wait is stopped by Ctrl-C (the abort signal) without taking anything', async () => {
    await putObject('lock5/shop.lock', JSON.stringify({ host: 'h', pid: 1, user: 'u', command: 'create', since: 's' }));
    const store = await open('lock5');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const err = await store.lock('shop', 'create', { timeoutMs: 60_000, signal: controller.signal }).catch((e: unknown) => e);
    store.close();
    expect(isWizardError(err, 'INTERRUPTED')).toBe(true);
    expect(JSON.parse(await objectText('lock5/shop.lock')).pid).toBe(1);
  });

  it('a lock create whose answer was lost is recognised as its own on the retry', async () => {
    aws.rule({
      name: 'lock-answer-lost',
      service: 's3',
      operation: 'PutObject',
      times: 1,
      respond: async (req, ctx) => (req.path.includes('/lock6/shop.lock') ? (await ctx.forward(), wireError('s3', 'InternalError', 'We encountered an internal error. Please try again.', 500)) : undefined),
    });
    const store = await open('lock6');
    const lock = await store.lock('shop', 'create');
    expect(aws.fired('lock-answer-lost')).toBe(1);
    await lock.release();
    expect(await exists('lock6/shop.lock')).toBe(false);
    store.close();
  });

  it('unlock removes only the lock it showed, not one taken meanwhile', async () => {
    await putObject('lock7/shop.lock', JSON.stringify({ host: 'old', pid: 1, user: 'u', command: 'create', since: 'then' }));
    const store = await open('lock7');
    const shown = (await store.holder('shop'))!;
    await putObject('lock7/shop.lock', JSON.stringify({ host: 'new', pid: 2, user: 'u', command: 'create', since: 'now' }));
    expect(await store.unlock('shop', shown)).toBe(false);
    expect(JSON.parse(await objectText('lock7/shop.lock')).host).toBe('new');
    const now = (await store.holder('shop'))!;
    expect(await store.unlock('shop', now)).toBe(true);
    expect(await exists('lock7/shop.lock')).toBe(false);
    store.close();
  });
});

describe('a state changed by someone else in the middle of a create', () => {
  it('stops the run at its next write: no AWS change after it, and their state kept byte for byte', async () => {
    // GIVEN a create whose state lives in S3, and another writer who replaces it right after the VPC is recorded
    const t = testStack({ stack: 's3-mid' }, { endpoint: moto.endpoint });
    const store = await open('mid');
    const theirs = JSON.stringify({ ...emptyState('s3-mid'), answers: { by: 'someone else' } }, null, 2);
    let armed = false;
    let conflictAt = -1;
    // The other writer goes first at the next write after the VPC step: deterministic, no race with the engine.
    const withOutsider: StateStore = Object.assign(Object.create(store) as StateStore, {
      write: async (stack: string, text: string, revision: string | undefined) => {
        if (armed) {
          armed = false;
          await putObject('mid/s3-mid.json', theirs);
          conflictAt = t.log.mutating.length;
        }
        return store.write(stack, text, revision);
      },
    });
    const state = new StateFile({ store: withOutsider, stack: 's3-mid' }, emptyState('s3-mid'));
    // WHEN the create runs
    const result = await runCreate(buildPlan(t.answers), {
      env: t.env,
      state,
      concurrency: 1,
      wait: false,
      onEvent: (e) => {
        if (e.type === 'end' && e.stepId === 'vpc') armed = true;
      },
    });
    t.aws.destroy();
    store.close();
    // THEN it failed on the conflict, made no mutating AWS call after it, and the other writer's state is intact
    expect(conflictAt).toBeGreaterThan(0);
    expect(result.ok).toBe(false);
    expect(state.conflict?.code).toBe('STATE_CONFLICT');
    expect(result.results.some((r) => isWizardError(r.error, 'STATE_CONFLICT'))).toBe(true);
    expect(t.log.mutating.slice(conflictAt)).toEqual([]);
    expect(await objectText('mid/s3-mid.json')).toBe(theirs);
  });
});
