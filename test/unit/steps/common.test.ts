import { describe, expect, it } from 'vitest';
import { CreateInternetGatewayCommand, CreateRouteCommand, DeleteSubnetCommand, EC2Client } from '@aws-sdk/client-ec2';
import { AmbiguousResponse } from '../../../src/aws/clients.js';
import type { PollTiming } from '../../../src/aws/poll.js';
import type { Outputs, ResourceStep } from '../../../src/engine/types.js';
import type { StackEnv } from '../../../src/steps/env.js';
import { deleteIgnoringNotFound, noteCreated, retryAfterAmbiguousResponse, wasCreatedThisRun, whileNotYetVisible } from '../../../src/steps/common.js';
import { isWizardError } from '../../../src/errors.js';
import { sdkError } from '../../support/aws-wire.js';
import { stepContext } from '../../support/step-context.js';

/** The two helpers every resource step leans on, with AWS's errors as the SDK makes them. */

function virtualEnv(o: Partial<PollTiming> = {}): { env: StackEnv; slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  const timing: PollTiming = {
    minDelayMs: 100,
    maxDelayMs: 1000,
    timeoutMs: 10_000,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
    ...o,
  };
  return { env: { timing } as StackEnv, slept };
}

const gone = await sdkError(EC2Client, DeleteSubnetCommand, 'InvalidSubnetID.NotFound', "The subnet ID 'subnet-1' does not exist");
const busy = await sdkError(EC2Client, DeleteSubnetCommand, 'DependencyViolation', "The subnet 'subnet-1' has dependencies and cannot be deleted.");
const denied = await sdkError(EC2Client, DeleteSubnetCommand, 'UnauthorizedOperation', 'You are not authorized to perform this operation.');
const lost = new AmbiguousResponse('CreateInternetGateway', await sdkError(EC2Client, CreateInternetGatewayCommand, 'InternalError', 'An internal error has occurred', { status: 500 }));

describe('deleteIgnoringNotFound', () => {
  it('a delete that succeeds is done, with no wait', async () => {
    const { env, slept } = virtualEnv();
    let calls = 0;
    await deleteIgnoringNotFound(stepContext(env).ctx, async () => calls++, 'the subnet');
    expect(calls).toBe(1);
    expect(slept).toEqual([]);
  });

  it('"not found" is done: the thing is already gone', async () => {
    const { env } = virtualEnv();
    let calls = 0;
    await expect(deleteIgnoringNotFound(stepContext(env).ctx, async () => (calls++, Promise.reject(gone)), 'the subnet')).resolves.toBeUndefined();
    expect(calls).toBe(1);
  });

  it('retries while AWS reports dependencies, saying what it waits for, until the delete goes through', async () => {
    const { env, slept } = virtualEnv();
    const { ctx, progress } = stepContext(env);
    let calls = 0;
    await deleteIgnoringNotFound(ctx, async () => (++calls < 3 ? Promise.reject(busy) : undefined), 'the subnet subnet-1 to be free');
    expect(calls).toBe(3);
    expect(slept).toEqual([100, 150]);
    expect(progress[0]).toBe('waiting for the subnet subnet-1 to be free (DependencyViolation) (0 s)');
  });

  it('a dependency that lets go only to reveal the thing is gone is done too', async () => {
    const { env } = virtualEnv();
    let calls = 0;
    await deleteIgnoringNotFound(stepContext(env).ctx, async () => Promise.reject(++calls === 1 ? busy : gone), 'the subnet');
    expect(calls).toBe(2);
  });

  it('any other error is thrown at once; dependencies that never clear end at the wait timeout', async () => {
    const { env } = virtualEnv();
    await expect(deleteIgnoringNotFound(stepContext(env).ctx, async () => Promise.reject(denied), 'the subnet')).rejects.toBe(denied);
    const err = await deleteIgnoringNotFound(stepContext(virtualEnv({ timeoutMs: 500 }).env).ctx, async () => Promise.reject(busy), 'the subnet to be free').catch((e: unknown) => e);
    expect(isWizardError(err, 'TIMEOUT')).toBe(true);
    expect((err as Error).message).toMatch(/waiting for the subnet to be free \(DependencyViolation\)/);
  });
});

describe('retryAfterAmbiguousResponse', () => {
  /** A step whose create fails `failures` times with `error`, and whose find sees what `made` holds. */
  function step(failures: number, error: unknown, made: { found?: Outputs }) {
    const calls: string[] = [];
    const s: ResourceStep<StackEnv> = {
      id: 'internet-gateway',
      title: 'Internet gateway',
      dependsOn: [],
      async find() {
        calls.push('find');
        return made.found;
      },
      async create() {
        calls.push('create');
        if (calls.filter((c) => c === 'create').length <= failures) throw error;
        return { internetGatewayId: 'igw-new' };
      },
      destroy: async () => undefined,
    };
    return { s, calls };
  }

  it('after a lost answer, looks first: what the first try made is adopted, not made again', async () => {
    // GIVEN a create whose answer was lost, though AWS made the gateway
    const { env, slept } = virtualEnv();
    const made = { found: { internetGatewayId: 'igw-made' } };
    const { s, calls } = step(1, lost, made);
    const { ctx, progress } = stepContext(env);
    // WHEN the wrapped create runs
    const out = await retryAfterAmbiguousResponse(s).create(ctx);
    // THEN it found the gateway and created nothing more, after saying why it looked and waiting a moment
    expect(out).toEqual({ internetGatewayId: 'igw-made' });
    expect(calls).toEqual(['create', 'find']);
    expect(progress).toEqual(['the answer to CreateInternetGateway was lost; checking whether it took effect']);
    expect(slept).toEqual([200]);
  });

  it('when the lost call had not taken effect, creates again', async () => {
    const { env } = virtualEnv();
    const { s, calls } = step(1, lost, {});
    expect(await retryAfterAmbiguousResponse(s).create(stepContext(env).ctx)).toEqual({ internetGatewayId: 'igw-new' });
    expect(calls).toEqual(['create', 'find', 'create']);
  });

  it('a first try that works makes no lookup', async () => {
    const { env } = virtualEnv();
    const { s, calls } = step(0, lost, {});
    await retryAfterAmbiguousResponse(s).create(stepContext(env).ctx);
    expect(calls).toEqual(['create']);
  });

  it('any other error is thrown at once, without a lookup', async () => {
    const { env } = virtualEnv();
    const { s, calls } = step(1, denied, {});
    await expect(retryAfterAmbiguousResponse(s).create(stepContext(env).ctx)).rejects.toBe(denied);
    expect(calls).toEqual(['create']);
  });

  it('gives up after the attempts allowed, backing off up to the maximum delay', async () => {
    const { env, slept } = virtualEnv({ minDelayMs: 100, maxDelayMs: 500 });
    const { s, calls } = step(Infinity, lost, {});
    await expect(retryAfterAmbiguousResponse(s, 4).create(stepContext(env).ctx)).rejects.toBe(lost);
    expect(calls).toEqual(['create', 'find', 'create', 'find', 'create', 'find', 'create']);
    expect(slept).toEqual([200, 400, 500]);
  });

  it('keeps everything else of the step as it was', () => {
    const { s } = step(0, lost, {});
    const wrapped = retryAfterAmbiguousResponse(s);
    expect(wrapped).toMatchObject({ id: s.id, title: s.title, dependsOn: s.dependsOn });
    expect(wrapped.find).toBe(s.find);
    expect(wrapped.destroy).toBe(s.destroy);
    expect(wrapped.create).not.toBe(s.create);
  });
});

const notYet = await sdkError(EC2Client, CreateRouteCommand, 'InvalidRouteTableID.NotFound', "The routeTable ID 'rtb-0a1' does not exist");

describe('ids created in this run, and calls that name them', () => {

  it('remembers, per run, the ids each step created', () => {
    const run = virtualEnv().env;
    const other = virtualEnv().env;
    const ctx = stepContext(run).ctx;
    expect(wasCreatedThisRun(ctx, 'rtb-0a1')).toBe(false);
    noteCreated(ctx, 'rtb-0a1', 'igw-0b2');
    noteCreated(ctx, 'subnet-0c3');
    expect(['rtb-0a1', 'igw-0b2', 'subnet-0c3', 'vpc-0d4', undefined].map((id) => wasCreatedThisRun(ctx, id))).toEqual([true, true, true, false, false]);
    // Another run (another env) created none of them.
    expect(wasCreatedThisRun(stepContext(other).ctx, 'rtb-0a1')).toBe(false);
  });

  it('a NotFound for an id this run just created is "not yet": the call is repeated until AWS shows it', async () => {
    const { env, slept } = virtualEnv();
    const { ctx, progress } = stepContext(env);
    noteCreated(ctx, 'rtb-0a1');
    let calls = 0;
    const r = await whileNotYetVisible(ctx, [undefined, 'rtb-0a1', 'igw-9'], async () => (++calls < 3 ? Promise.reject(notYet) : 'route'));
    expect([r, calls, slept]).toEqual(['route', 3, [100, 150]]);
    expect(progress[0]).toBe('waiting for AWS to show rtb-0a1 (InvalidRouteTableID.NotFound) (0 s)');
  });

  it('the same NotFound for ids this run did not create is an error at once', async () => {
    const { env, slept } = virtualEnv();
    const { ctx } = stepContext(env);
    noteCreated(ctx, 'igw-9');
    let calls = 0;
    await expect(whileNotYetVisible(ctx, ['rtb-0a1'], async () => (calls++, Promise.reject(notYet)))).rejects.toBe(notYet);
    expect([calls, slept]).toEqual([1, []]);
    // And with nothing created at all.
    await expect(whileNotYetVisible(stepContext(virtualEnv().env).ctx, ['rtb-0a1', undefined], async () => Promise.reject(notYet))).rejects.toBe(notYet);
  });
});
