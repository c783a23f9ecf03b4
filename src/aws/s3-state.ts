import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { WizardError, isWizardError } from '../errors.js';
import { lockHolder, lockedError, waitForLock } from '../engine/lock.js';
import { parseState } from '../engine/state.js';
import { parseLockBody, trackLock, untrackLock, type HeldLock, type LockOptions, type StackLock, type StateStore, type StoredState } from '../engine/store.js';
import type { AwsClients } from './clients.js';
import { isBucketMissing, isConditionFailed, isNotFound } from './errors.js';

/** `s3://BUCKET/PREFIX` taken apart (PREFIX without its slashes at either end; may be empty). */
export interface S3Location {
  bucket: string;
  prefix: string;
}

export function s3Url(loc: S3Location, key?: string): string {
  return `s3://${loc.bucket}${key !== undefined ? `/${key}` : loc.prefix ? `/${loc.prefix}` : ''}`;
}

/** Makes the clients for the state bucket in a region (undefined: the SDK's own chain). */
export type S3ClientsFor = (region: string | undefined) => AwsClients;

/**
 * Connects to the state bucket: same profile and credentials as every other call, in the bucket's
 * own region (HeadBucket tells it, following S3's redirect from any other region), which may
 * differ from the stack's. The bucket must exist: `ecs-wizard state init` makes one.
 */
export async function connectS3Store(loc: S3Location, clientsFor: S3ClientsFor, region: string | undefined): Promise<S3Store> {
  let clients = clientsFor(region);
  let s3 = clients.get(S3Client);
  const known = await s3.config.region().catch(() => '');
  if (!known) {
    // Any region can ask where a bucket is; the answer redirects there.
    clients.destroy();
    clients = clientsFor('us-east-1');
    s3 = clients.get(S3Client);
  }
  try {
    await s3.config.credentials();
  } catch (err) {
    clients.destroy();
    throw new WizardError('CREDENTIALS', `No AWS credentials could be found to reach the state bucket (${(err as Error).message}).`, {
      hint: 'Run `aws configure` or `aws sso login`, pass --profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.',
      cause: err,
    });
  }
  let bucketRegion: string | undefined;
  try {
    bucketRegion = (await s3.send(new HeadBucketCommand({ Bucket: loc.bucket }))).BucketRegion;
  } catch (err) {
    clients.destroy();
    if (isBucketMissing(err)) {
      throw new WizardError('STATE_MISSING', `The state bucket "${loc.bucket}" does not exist.`, {
        hint: `Create it with \`ecs-wizard state init s3://${loc.bucket}\`, or check the name in --state-dir / ECS_WIZARD_STATE_DIR.`,
        cause: err,
      });
    }
    throw stateAwsError(err, `reach the state bucket ${s3Url(loc)}`);
  }
  const current = await s3.config.region();
  if (bucketRegion && bucketRegion !== current) {
    clients.destroy();
    clients = clientsFor(bucketRegion);
  }
  return new S3Store(loc, clients);
}

/** An S3 failure of the state store, in words (the wire code stays on `cause`). */
function stateAwsError(err: unknown, what: string): WizardError {
  if (isWizardError(err)) return err;
  const e = err as { name?: string; message?: string };
  return new WizardError('AWS', `Could not ${what}: ${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`, {
    hint: 'The credentials need the S3 actions of docs/iam-policy.json (statements StateBucket and StateObjects) on this bucket and prefix.',
    cause: err,
  });
}

/**
 * States as S3 objects: `PREFIX/<stack>.json`, each write conditional on the ETag last read
 * (If-Match; If-None-Match: * for a new one) and encrypted at rest by the bucket's own default
 * encryption (SSE-S3, or its KMS key); the lock `PREFIX/<stack>.lock`,
 * created only if absent (If-None-Match: *). Nothing is written locally. A lock is never taken
 * over: another machine's pid cannot be checked, so a dead run's lock waits for `ecs-wizard unlock`.
 */
export class S3Store implements StateStore {
  private readonly s3: S3Client;

  constructor(
    readonly loc: S3Location,
    private readonly clients: AwsClients,
  ) {
    this.s3 = clients.get(S3Client);
  }

  get location(): string {
    return s3Url(this.loc);
  }

  private key(stack: string, ext: '.json' | '.lock'): string {
    return `${this.loc.prefix ? `${this.loc.prefix}/` : ''}${stack}${ext}`;
  }

  where(stack: string): string {
    return s3Url(this.loc, this.key(stack, '.json'));
  }

  private unlockCommand(stack: string): string {
    return `ecs-wizard unlock ${stack} --state-dir ${this.location}`;
  }

  /** An object's text and ETag, or undefined when there is none. */
  private async get(key: string): Promise<{ text: string; etag: string } | undefined> {
    try {
      const r = await this.s3.send(new GetObjectCommand({ Bucket: this.loc.bucket, Key: key }));
      return { text: (await r.Body?.transformToString('utf8')) ?? '', etag: r.ETag ?? '' };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw stateAwsError(err, `read ${s3Url(this.loc, key)}`);
    }
  }

  /**
   * Writes an object only if the condition holds; returns its new ETag. No encryption header: S3
   * applies the bucket's default encryption only to a request that names none (every bucket has
   * one since January 2023), so naming AES256 here would downgrade a KMS bucket to SSE-S3, and a
   * bucket whose policy demands aws:kms would refuse every write.
   */
  private async put(key: string, text: string, condition: { IfMatch: string } | { IfNoneMatch: '*' }): Promise<string> {
    const r = await this.s3.send(new PutObjectCommand({ Bucket: this.loc.bucket, Key: key, Body: text, ContentType: 'application/json', ...condition }));
    return r.ETag ?? '';
  }

  async read(stack: string): Promise<StoredState | undefined> {
    const got = await this.get(this.key(stack, '.json'));
    if (!got) return undefined;
    return { text: got.text, state: parseState(got.text, this.where(stack)), revision: got.etag };
  }

  async write(stack: string, text: string, revision: string | undefined): Promise<string> {
    const key = this.key(stack, '.json');
    try {
      return await this.put(key, text, revision ? { IfMatch: revision } : { IfNoneMatch: '*' });
    } catch (err) {
      // If-Match on an object someone deleted answers NoSuchKey: that is a lost race too.
      if (!isConditionFailed(err) && !isNotFound(err)) throw stateAwsError(err, `write ${this.where(stack)}`);
    }
    // The SDK retries a write whose answer was lost; the retry then fails its own condition. Ours, if the text is.
    const now = await this.get(key);
    if (now && now.text === text) return now.etag;
    throw this.conflict(stack);
  }

  async remove(stack: string, revision: string | undefined): Promise<void> {
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.loc.bucket, Key: this.key(stack, '.json'), ...(revision ? { IfMatch: revision } : {}) }));
    } catch (err) {
      if (isNotFound(err)) return;
      if (isConditionFailed(err)) throw this.conflict(stack);
      throw stateAwsError(err, `delete ${this.where(stack)}`);
    }
  }

  private conflict(stack: string): WizardError {
    return new WizardError('STATE_CONFLICT', `The state of stack "${stack}" (${this.where(stack)}) was changed by someone else during this run: the run stopped, and overwrote nothing.`, {
      hint: `Find out who else manages "${stack}" (a forced \`ecs-wizard unlock\`, another tool or pipeline), then run the command again: it starts from the state as it is now.`,
    });
  }

  async lock(stack: string, command: string, opts: LockOptions = {}): Promise<StackLock> {
    const key = this.key(stack, '.lock');
    const me = lockHolder(command);
    const body = JSON.stringify(me) + '\n';
    const deadline = Date.now() + (opts.timeoutMs ?? 0);
    let delayMs = 1000;
    let told = false;
    for (let vanished = 0; ; ) {
      try {
        return this.heldLock(key, await this.put(key, body, { IfNoneMatch: '*' }));
      } catch (err) {
        if (!isConditionFailed(err)) throw stateAwsError(err, `take the lock ${s3Url(this.loc, key)}`);
      }
      const held = await this.holder(stack);
      if (!held) {
        // Released between our attempt and the look: try again, a few times.
        if (++vanished > 10) throw new WizardError('STATE_LOCKED', `Could not take the lock of stack "${stack}" (${s3Url(this.loc, key)}): it keeps changing hands.`);
        continue;
      }
      // Our own first attempt landed and its answer was lost (the SDK's retry then met it).
      if (held.host === me.host && held.pid === me.pid && held.since === me.since) return this.heldLock(key, held.revision);
      if (Date.now() >= deadline) throw lockedError(stack, held, s3Url(this.loc, key), this.unlockCommand(stack), opts.timeoutMs);
      if (!told) opts.onWait?.(held);
      told = true;
      delayMs = await waitForLock({ delayMs, deadline, signal: opts.signal }, 15_000);
    }
  }

  private heldLock(key: string, etag: string): StackLock {
    let released = false;
    const lock: StackLock = {
      location: s3Url(this.loc, key),
      release: async () => {
        if (released) return;
        released = true;
        untrackLock(lock);
        try {
          // Only our own lock: after a forced unlock, the lock there may be someone else's.
          await this.s3.send(new DeleteObjectCommand({ Bucket: this.loc.bucket, Key: key, IfMatch: etag }));
        } catch (err) {
          if (isNotFound(err) || isConditionFailed(err)) return;
          throw stateAwsError(err, `release the lock ${s3Url(this.loc, key)}`);
        }
      },
    };
    trackLock(lock);
    return lock;
  }

  async holder(stack: string): Promise<HeldLock | undefined> {
    const got = await this.get(this.key(stack, '.lock'));
    return got && parseLockBody(got.text, got.etag);
  }

  async unlock(stack: string, held: HeldLock): Promise<boolean> {
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.loc.bucket, Key: this.key(stack, '.lock'), IfMatch: held.revision }));
      return true;
    } catch (err) {
      if (isNotFound(err) || isConditionFailed(err)) return false;
      throw stateAwsError(err, `remove the lock ${s3Url(this.loc, this.key(stack, '.lock'))}`);
    }
  }

  /** Stacks directly under the prefix: every `PREFIX/<stack>.json`. */
  async list(): Promise<string[]> {
    const prefix = this.loc.prefix ? `${this.loc.prefix}/` : '';
    const names: string[] = [];
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.loc.bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }));
      } catch (err) {
        throw stateAwsError(err, `list ${this.location}`);
      }
      for (const o of page.Contents ?? []) {
        const name = (o.Key ?? '').slice(prefix.length);
        if (name.endsWith('.json') && !name.startsWith('.')) names.push(name.slice(0, -'.json'.length));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return names.sort();
  }

  close(): void {
    this.clients.destroy();
  }
}
