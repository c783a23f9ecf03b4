import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { DeleteVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DEFAULT_TIMING, poll, retryWhile, sleep, type PollTiming } from '../../../src/aws/poll.js';
import { isTransientDependency } from '../../../src/aws/errors.js';
import { lowerTags, stackTags, STACK_TAG, tagMap } from '../../../src/aws/tags.js';
import { isWizardError } from '../../../src/errors.js';
import { sdkError } from '../../support/aws-wire.js';

/** A clock that only moves when the code under test sleeps: every delay is recorded, none is waited. */
function virtualTiming(o: Partial<PollTiming> = {}): PollTiming & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    minDelayMs: 1000,
    maxDelayMs: 15000,
    timeoutMs: 60_000,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
    slept,
    ...o,
  };
}

describe('poll', () => {
  it('checks at once, then backs off ×1.5 up to the maximum, and returns the value when done', async () => {
    // GIVEN a thing that becomes ready on the 8th check
    const timing = virtualTiming();
    let checks = 0;
    const progress: string[] = [];
    // WHEN it is polled
    const v = await poll(async () => (++checks === 8 ? { done: true, value: 'ready' } : { done: false, waitingFor: 'waiting for the thing' }), { timing, progress: (m) => progress.push(m) });
    // THEN it slept 1 s, 1.5 s, 2.25 s, … capped at 15 s, between checks, and said how long it has waited
    expect(v).toBe('ready');
    expect(checks).toBe(8);
    expect(timing.slept).toEqual([1000, 1500, 2250, 3375, 5063, 7595, 11393]);
    expect(progress[0]).toBe('waiting for the thing (0 s)');
    expect(progress[2]).toBe('waiting for the thing (3 s)');
    expect(progress).toHaveLength(7);
  });

  it('never sleeps longer than the maximum delay', async () => {
    const timing = virtualTiming({ minDelayMs: 10_000, maxDelayMs: 12_000, timeoutMs: 1e9 });
    let checks = 0;
    await poll(async () => (++checks === 5 ? { done: true, value: 1 } : { done: false, waitingFor: 'x' }), { timing });
    expect(timing.slept).toEqual([10_000, 12_000, 12_000, 12_000]);
  });

  it('gives up at the timeout, saying what never became ready, with the hint; the last sleep ends at the deadline', async () => {
    // GIVEN a thing that never becomes ready, and a 10 s timeout
    const timing = virtualTiming({ timeoutMs: 10_000 });
    // WHEN it is polled
    const err = await poll(async () => ({ done: false as const, waitingFor: 'waiting for the ALB to become active' }), { timing, timeoutHint: 'check the console' }).catch((e: unknown) => e);
    // THEN a TIMEOUT in plain words, after sleeping exactly up to the deadline
    expect(isWizardError(err, 'TIMEOUT')).toBe(true);
    expect((err as Error).message).toBe('Timed out after 10 s waiting for the ALB to become active.');
    expect((err as { hint?: string }).hint).toBe('check the console');
    expect(timing.slept).toEqual([1000, 1500, 2250, 3375, 1875]);
    expect(timing.slept.reduce((a, b) => a + b, 0)).toBe(10_000);
  });

  it('an aborted signal stops it before the next check, as an interrupt', async () => {
    const controller = new AbortController();
    const timing = virtualTiming();
    let checks = 0;
    const err = await poll(
      async () => {
        if (++checks === 2) controller.abort();
        return { done: false as const, waitingFor: 'x' };
      },
      { timing, signal: controller.signal },
    ).catch((e: unknown) => e);
    expect(isWizardError(err, 'INTERRUPTED')).toBe(true);
    expect((err as Error).message).toBe('Interrupted.');
    expect(checks).toBe(2);
  });

  it('an error from the check is thrown at once', async () => {
    const boom = new Error('boom');
    const timing = virtualTiming();
    await expect(poll(async () => Promise.reject(boom), { timing })).rejects.toBe(boom);
    expect(timing.slept).toEqual([]);
  });
});

describe('retryWhile', () => {
  it('retries while AWS answers an error that clears by itself, saying which, then returns the result', async () => {
    // GIVEN a delete AWS refuses twice with DependencyViolation (network interfaces still there)
    const busy = await sdkError(EC2Client, DeleteVpcCommand, 'DependencyViolation', 'The vpc has dependencies and cannot be deleted.');
    const timing = virtualTiming();
    let calls = 0;
    const progress: string[] = [];
    // WHEN it runs
    const r = await retryWhile(async () => (++calls < 3 ? Promise.reject(busy) : 'deleted'), isTransientDependency, { timing, waitingFor: 'waiting for the VPC to be free', progress: (m) => progress.push(m) });
    // THEN it retried with back-off and returned what the last call did
    expect(r).toBe('deleted');
    expect(calls).toBe(3);
    expect(timing.slept).toEqual([1000, 1500]);
    expect(progress).toEqual(['waiting for the VPC to be free (DependencyViolation) (0 s)', 'waiting for the VPC to be free (DependencyViolation) (1 s)']);
  });

  it('throws any other error at once', async () => {
    const denied = await sdkError(EC2Client, DeleteVpcCommand, 'UnauthorizedOperation', 'no');
    const timing = virtualTiming();
    let calls = 0;
    await expect(retryWhile(async () => (calls++, Promise.reject(denied)), isTransientDependency, { timing, waitingFor: 'x' })).rejects.toBe(denied);
    expect(calls).toBe(1);
  });

  it('gives up at the timeout, naming the error it kept getting', async () => {
    const busy = await sdkError(EC2Client, DeleteVpcCommand, 'DependencyViolation', 'busy');
    const timing = virtualTiming({ timeoutMs: 5000 });
    const err = await retryWhile(async () => Promise.reject(busy), isTransientDependency, { timing, waitingFor: 'waiting for the VPC' }).catch((e: unknown) => e);
    expect(isWizardError(err, 'TIMEOUT')).toBe(true);
    expect((err as Error).message).toBe('Timed out after 5 s waiting for the VPC (DependencyViolation).');
  });

  it('names a retryable failure that has no name as "error"', async () => {
    const timing = virtualTiming();
    const progress: string[] = [];
    let calls = 0;
    await retryWhile(async () => (++calls < 2 ? Promise.reject({}) : 'ok'), () => true, { timing, waitingFor: 'waiting for it', progress: (m) => progress.push(m) });
    expect(progress).toEqual(['waiting for it (error) (0 s)']);
  });

  it('a result of undefined is a result, not a reason to retry', async () => {
    const timing = virtualTiming();
    let calls = 0;
    await expect(retryWhile(async () => void calls++, () => true, { timing, waitingFor: 'x' })).resolves.toBeUndefined();
    expect(calls).toBe(1);
  });
});

describe('sleep', () => {
  it('waits, and stops early as an interrupt when the signal aborts', async () => {
    const started = Date.now();
    await sleep(20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    const controller = new AbortController();
    const pending = sleep(60_000, controller.signal);
    controller.abort();
    const err = await pending.catch((e: unknown) => e);
    expect(isWizardError(err, 'INTERRUPTED')).toBe(true);
    // An already-aborted signal never starts the timer.
    expect(isWizardError(await sleep(60_000, controller.signal).catch((e: unknown) => e), 'INTERRUPTED')).toBe(true);
  });

  it('leaves no listener on the run\'s signal, whether it ran out or was aborted (one signal lives through a whole run)', async () => {
    // GIVEN the one signal a run's sleeps all share
    const controller = new AbortController();
    // WHEN sleeps end by themselves  THEN none is still listening
    await sleep(1, controller.signal);
    await sleep(1, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    // AND a sleep the abort ended left none either
    const pending = sleep(60_000, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    await pending.catch(() => undefined);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('the defaults: 1 s first, 15 s at most, 15 minutes in all', () => {
    expect(DEFAULT_TIMING).toMatchObject({ minDelayMs: 1000, maxDelayMs: 15000, timeoutMs: 900_000 });
  });
});

describe('tags', () => {
  it('puts the stack tag and Name first, then the user\'s own, never overriding either', () => {
    expect(stackTags('shop', 'shop-vpc', { team: 'web', Name: 'mine', [STACK_TAG]: 'other' })).toEqual([
      { Key: 'ecs-wizard:stack', Value: 'shop' },
      { Key: 'Name', Value: 'shop-vpc' },
      { Key: 'team', Value: 'web' },
    ]);
    expect(stackTags('shop', undefined)).toEqual([{ Key: 'ecs-wizard:stack', Value: 'shop' }]);
  });

  it('spells them as ECS and Application Auto Scaling want', () => {
    const tags = stackTags('shop', 'shop-vpc');
    expect(lowerTags(tags)).toEqual([
      { key: 'ecs-wizard:stack', value: 'shop' },
      { key: 'Name', value: 'shop-vpc' },
    ]);
    expect(tagMap(tags)).toEqual({ 'ecs-wizard:stack': 'shop', Name: 'shop-vpc' });
  });
});

