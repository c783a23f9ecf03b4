import { afterAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AwsClients } from '../../src/aws/clients.js';
import { connectS3Store, type S3Store } from '../../src/aws/s3-state.js';
import { runCreate, runDestroy } from '../../src/engine/engine.js';
import { StateFile, emptyState } from '../../src/engine/state.js';
import type { StackLock } from '../../src/engine/store.js';
import type { EngineEvent, RunResult, Step } from '../../src/engine/types.js';
import { isWizardError } from '../../src/errors.js';
import { buildPlan } from '../../src/steps/index.js';
import type { StackEnv } from '../../src/steps/env.js';
import type { AnswersInput } from '../../src/wizard/schema.js';
import { StackCounter, duplicates, leftovers, type StackCounts } from '../support/counts.js';
import { FaultInjector, type FaultOptions } from '../support/faults.js';
import { startMoto } from '../support/moto.js';
import { testStack, withBoundary } from '../support/stack.js';
import { failures } from './harness.js';

/**
 * The crash matrix once more with the state in S3 — a few cases, not all of them (the full matrix
 * runs on the local file in crash-matrix.test.ts). A "process" here is S3Proc: its AWS clients AND
 * its state store's S3 client pass through one FaultInjector, so a crash kills both at the same
 * instant: whatever reached S3 or AWS before it stays, nothing is written after it, and the lock
 * object is left behind (a remote lock is never taken over). The next run therefore finds the lock,
 * has it cleared as an operator would (`ecs-wizard unlock`), and must converge from the state the
 * crash left; destroy must then leave nothing, and the verified-empty destroy deletes the state.
 */
const BUCKET = 'crash-state';
const PREFIX = 'matrix';
const answersFor = (stack: string): Partial<AnswersInput> & { stack: string } => ({ stack, service: { ecrRepository: `${stack}-app` } });

const moto = await startMoto();
// The account after `iam bootstrap`: the boundary is there, so every run's calls (and their numbers) are the plan's own.
await withBoundary(moto.endpoint);
const counter = new StackCounter(moto.endpoint);
const admin = new S3Client({ region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
afterAll(async () => {
  counter.destroy();
  admin.destroy();
  await moto.stop();
});

const countOf = (stack: string): Promise<StackCounts> => counter.count(stack, { ecrRepository: `${stack}-app` });
const objectExists = (key: string): Promise<boolean> =>
  admin.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })).then(
    () => true,
    () => false,
  );

const storeFor = (faults?: FaultInjector): Promise<S3Store> =>
  connectS3Store(
    { bucket: BUCKET, prefix: PREFIX },
    (region) => new AwsClients({ region, endpointUrl: moto.endpoint, maxAttempts: 3, middleware: faults?.attach, clientConfig: { forcePathStyle: true } }),
    'us-east-1',
  );

/** One run of the tool, in-process, as a command runs it: lock, read the state, run the engine. */
class S3Proc {
  private constructor(
    readonly faults: FaultInjector,
    readonly env: StackEnv,
    readonly plan: Step<StackEnv>[],
    readonly store: S3Store,
    readonly lock: StackLock,
    readonly state: StateFile,
    private readonly aws: AwsClients,
  ) {}

  static async open(input: Partial<AnswersInput> & { stack: string }, faults: FaultOptions = {}): Promise<S3Proc> {
    const injector = new FaultInjector(faults);
    const t = testStack(input, { endpoint: moto.endpoint });
    t.aws.destroy();
    const aws = new AwsClients({ region: 'us-east-1', endpointUrl: moto.endpoint, onCall: t.log.onCall, maxAttempts: 3, middleware: injector.attach });
    const store = await storeFor(injector);
    const lock = await store.lock(input.stack, 'create');
    const stored = await store.read(input.stack);
    const state = new StateFile({ store, stack: input.stack, revision: stored?.revision }, stored?.state ?? emptyState(input.stack));
    return new S3Proc(injector, { ...t.env, aws }, buildPlan(t.answers), store, lock, state, aws);
  }

  create(opts: { onEvent?: (e: EngineEvent) => void } = {}): Promise<RunResult> {
    return runCreate(this.plan, { env: this.env, state: this.state, wait: false, concurrency: 1, onEvent: opts.onEvent });
  }

  destroy(): Promise<RunResult> {
    return runDestroy(this.plan, { env: this.env, state: this.state, concurrency: 1 });
  }

  /** A live run releases its lock; a crashed one cannot (its lock stays behind, as after kill -9). */
  async close(): Promise<void> {
    if (!this.faults.crashed) await this.lock.release();
    this.store.close();
    this.aws.destroy();
  }
}

/** What an operator does after a crash: the next run is refused by the dead run's lock, `unlock` clears it. */
async function unlockAfterCrash(stack: string): Promise<void> {
  const store = await storeFor();
  try {
    const refused = await store.lock(stack, 'create').catch((e: unknown) => e);
    expect(isWizardError(refused, 'STATE_LOCKED'), 'the dead run left its lock').toBe(true);
    const held = await store.holder(stack);
    expect(held?.command).toBe('create');
    expect(await store.unlock(stack, held!)).toBe(true);
  } finally {
    store.close();
  }
}

/** Resume: create converges to the clean baseline, destroy leaves nothing, the state object is deleted. */
async function convergeThenDestroy(stack: string): Promise<void> {
  await unlockAfterCrash(stack);
  const resumed = await S3Proc.open(answersFor(stack));
  expect(failures(await resumed.create()), 'resumed create').toEqual([]);
  expect(await countOf(stack), 'resources after the resumed create').toEqual(baseline);
  await destroyAll(resumed, stack);
}

async function destroyAll(proc: S3Proc, stack: string): Promise<void> {
  expect(failures(await proc.destroy()), 'destroy').toEqual([]);
  expect(leftovers(await countOf(stack)), 'left after destroy').toEqual({});
  await proc.state.remove();
  await proc.close();
  expect(await objectExists(`${PREFIX}/${stack}.json`), 'state object after a verified-empty destroy').toBe(false);
  expect(await objectExists(`${PREFIX}/${stack}.lock`), 'lock after the run').toBe(false);
}

// A clean run, to enumerate the mutating calls — the stack's and the state's — in order.
const clean = await S3Proc.open(answersFor('s3m-clean'));
const cleanRun = await clean.create();
const createCalls = [...clean.faults.mutatingSent];
const baseline = await countOf('s3m-clean');
const cleanDestroy = await clean.destroy();
const destroyCalls = clean.faults.mutatingSent.slice(createCalls.length);
await clean.state.remove();
await clean.close();

/** Position (1-based) of the first `op` in `calls` after the first `after`. */
function callNumber(calls: string[], op: string, after?: string): number {
  const from = after === undefined ? 0 : calls.indexOf(after);
  const i = calls.indexOf(op, from < 0 ? calls.length : from + 1);
  if (i < 0) throw new Error(`no ${op}${after ? ` after ${after}` : ''} in: ${calls.join(', ')}`);
  return i + 1;
}

describe('crash matrix with S3 state: the clean run', () => {
  it('creates every resource once, records every step in S3, and destroys to nothing', async () => {
    expect(failures(cleanRun)).toEqual([]);
    expect(duplicates(baseline, { subnets: 2, securityGroups: 2, instances: 2, routeTables: 1 })).toEqual({});
    expect(failures(cleanDestroy)).toEqual([]);
    expect(leftovers(await countOf('s3m-clean'))).toEqual({});
    // The state's own writes are mutating calls the crashes below can land on.
    expect(createCalls[0]).toBe('S3.PutObject');
    expect(createCalls.filter((c) => c === 'S3.PutObject').length).toBeGreaterThan(createCalls.length / 3);
    expect(await objectExists(`${PREFIX}/s3m-clean.json`)).toBe(false);
  });
});

const createCases = [
  ['the VPC create', callNumber(createCalls, 'EC2.CreateVpc')],
  ['the state write after the load balancer was made', callNumber(createCalls, 'S3.PutObject', 'ElasticLoadBalancingV2.CreateLoadBalancer')],
] as const;

describe.concurrent('crash with S3 state in the middle of a mutating call of create (reached AWS, response lost)', () => {
  it.each(createCases)('at %s → the lock stays until unlock; create converges; destroy leaves nothing', async (_what, k) => {
    // GIVEN a create that dies right after mutating call #k reached AWS or S3
    const stack = `s3m-m${k}`;
    const first = await S3Proc.open(answersFor(stack), { crashAtMutatingCall: k });
    const r = await first.create();
    expect(r.ok).toBe(false);
    expect(first.faults.crashed).toContain(createCalls[k - 1]);
    await first.close();
    // WHEN the lock is cleared and create runs again from the state the crash left THEN it converges; destroy cleans up
    await convergeThenDestroy(stack);
  });
});

describe.concurrent('crash with S3 state at a step boundary, and in the middle of destroy', () => {
  it('after "load-balancer" → create converges, destroy leaves nothing', async () => {
    const stack = 's3m-b';
    const first = await S3Proc.open(answersFor(stack));
    await first.create({
      onEvent: (e) => {
        if (e.type === 'end' && e.stepId === 'load-balancer') first.faults.crash('after step load-balancer');
      },
    });
    expect(first.faults.crashed).toBe('after step load-balancer');
    await first.close();
    await convergeThenDestroy(stack);
  });

  it.each([
    ['the load balancer delete', callNumber(destroyCalls, 'ElasticLoadBalancingV2.DeleteLoadBalancer')],
    ['the state write after the VPC delete', callNumber(destroyCalls, 'S3.PutObject', 'EC2.DeleteVpc')],
  ] as const)('destroy dying at %s → destroy again leaves nothing', async (_what, k) => {
    // GIVEN a complete stack, and a destroy that dies right after its mutating call #k
    const stack = `s3m-x${k}`;
    const maker = await S3Proc.open(answersFor(stack));
    expect(failures(await maker.create())).toEqual([]);
    await maker.close();
    // Its mutating call #1 is taking the lock; the destroy's own calls follow.
    const dying = await S3Proc.open(answersFor(stack), { crashAtMutatingCall: 1 + k });
    await dying.destroy();
    expect(dying.faults.crashed).toContain(destroyCalls[k - 1]);
    await dying.close();
    // WHEN the lock is cleared and destroy runs again THEN nothing is left, and the state object goes
    await unlockAfterCrash(stack);
    await destroyAll(await S3Proc.open(answersFor(stack)), stack);
  });
});
