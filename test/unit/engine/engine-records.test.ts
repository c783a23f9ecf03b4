import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { DEFAULT_CONCURRENCY, DependencyPending, runCreate, runDestroy, runDiscover } from '../../../src/engine/engine.js';
import { StateFile, emptyState } from '../../../src/engine/state.js';
import type { EngineEvent, Outputs, ResourceRecord, ResourceStep, StepContext, WaitStep } from '../../../src/engine/types.js';
import { WizardError } from '../../../src/errors.js';
import { tempDir } from '../../support/stack.js';

/**
 * What the engine writes to the state file and tells its listeners, record by record and event by
 * event, for each way a step can go — the promises the crash matrix relies on, checked in the
 * unit tier.
 */

const T = '2025-01-02T03:04:05.000Z';
const clock = (): Date => new Date(T);

/** A state file whose every write is also kept, in order, as it was written. */
function recordingState(resources: Record<string, ResourceRecord> = {}) {
  const state = new StateFile(path.join(tempDir(), 'demo.json'), { ...emptyState('demo'), resources });
  const puts: ResourceRecord[] = [];
  const put = state.put.bind(state);
  state.put = (r) => {
    puts.push(structuredClone(r));
    return put(r);
  };
  return { state, puts };
}

type Behaviour = {
  find?: (ctx: StepContext<null>) => Promise<Outputs | undefined>;
  create?: (ctx: StepContext<null>) => Promise<Outputs>;
  destroy?: ((ctx: StepContext<null>, outputs: Outputs) => Promise<void>) | null;
  external?: boolean;
  dependsOn?: string[];
};

function step(id: string, b: Behaviour = {}): ResourceStep<null> & { calls: string[] } {
  const calls: string[] = [];
  return {
    id,
    title: `Step ${id}`,
    dependsOn: b.dependsOn ?? [],
    external: b.external,
    calls,
    async find(ctx) {
      calls.push('find');
      return b.find ? b.find(ctx) : undefined;
    },
    async create(ctx) {
      calls.push('create');
      return b.create ? b.create(ctx) : { id: `${id}-1` };
    },
    ...(b.destroy === null
      ? {}
      : {
          async destroy(ctx: StepContext<null>, outputs: Outputs) {
            calls.push(`destroy ${JSON.stringify(outputs)}`);
            await b.destroy?.(ctx, outputs);
          },
        }),
  } as ResourceStep<null> & { calls: string[] };
}

const rec = (stepId: string, status: ResourceRecord['status'], outputs: Outputs = {}, more: Partial<ResourceRecord> = {}): ResourceRecord => ({ stepId, status, outputs, updatedAt: 'before', ...more });

describe('runCreate: records and events', () => {
  it('records the intent before the create and the outputs after it, and says so step by step', async () => {
    // GIVEN a step that notes an id half-way through its create
    const { state, puts } = recordingState();
    const events: EngineEvent[] = [];
    const s = step('vpc', {
      create: async (ctx) => {
        await ctx.note({ vpcId: 'vpc-1' });
        return { vpcId: 'vpc-1', cidr: '10.0.0.0/16' };
      },
    });
    // WHEN it runs
    const r = await runCreate([s], { env: null, state, clock, onEvent: (e) => events.push(e) });
    // THEN: intent, the noted id, the result — each written as it happened
    expect(puts).toEqual([
      { stepId: 'vpc', status: 'creating', outputs: {}, startedAt: T, updatedAt: T },
      { stepId: 'vpc', status: 'creating', outputs: { vpcId: 'vpc-1' }, startedAt: T, updatedAt: T },
      { stepId: 'vpc', status: 'created', outputs: { vpcId: 'vpc-1', cidr: '10.0.0.0/16' }, startedAt: T, createdAt: T, updatedAt: T },
    ]);
    expect(events.map((e) => [e.type, e.stepId, e.title, 'action' in e ? e.action : 'outcome' in e ? e.outcome : undefined])).toEqual([
      ['start', 'vpc', 'Step vpc', 'find'],
      ['start', 'vpc', 'Step vpc', 'create'],
      ['end', 'vpc', 'Step vpc', 'created'],
    ]);
    const end = events.at(-1) as Extract<EngineEvent, { type: 'end' }>;
    expect(end.durationMs).toBeGreaterThanOrEqual(0);
    expect(end.durationMs).toBeLessThan(5000);
    expect(r).toEqual({ ok: true, interrupted: false, results: [{ stepId: 'vpc', title: 'Step vpc', outcome: 'created', durationMs: expect.any(Number), outputs: { vpcId: 'vpc-1', cidr: '10.0.0.0/16' } }] });
  });

  it('progress from a step reaches the listener with the step it came from', async () => {
    const events: EngineEvent[] = [];
    await runCreate([step('alb', { create: async (ctx) => (ctx.progress('waiting for the ALB'), { arn: 'a' }) })], { env: null, state: recordingState().state, onEvent: (e) => events.push(e) });
    expect(events.find((e) => e.type === 'progress')).toEqual({ type: 'progress', stepId: 'alb', title: 'Step alb', message: 'waiting for the ALB' });
  });

  it.each([
    ['a WizardError', new WizardError('TIMEOUT', 'Timed out after 9 s waiting for the ALB.'), { code: 'TIMEOUT', message: 'Timed out after 9 s waiting for the ALB.' }],
    ['an AWS error', Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }), { code: 'AccessDeniedException', message: 'not authorized' }],
    ['something thrown that is no error', 'boom', { code: 'Error', message: 'boom' }],
  ])('a create failing with %s is recorded as failed, with its code and message', async (_what, thrown, summary) => {
    const { state, puts } = recordingState();
    const r = await runCreate([step('vpc', { create: async () => Promise.reject(thrown) })], { env: null, state, clock });
    expect(puts.at(-1)).toEqual({ stepId: 'vpc', status: 'failed', outputs: {}, startedAt: T, updatedAt: T, error: summary });
    expect(r.ok).toBe(false);
    expect(r.results[0]).toMatchObject({ outcome: 'failed', error: thrown });
  });

  it('a found resource already recorded as created with the same outputs is not written again', async () => {
    const { state, puts } = recordingState({ vpc: rec('vpc', 'created', { vpcId: 'vpc-1' }) });
    const r = await runCreate([step('vpc', { find: async () => ({ vpcId: 'vpc-1' }) })], { env: null, state, clock });
    expect(r.results[0]).toMatchObject({ outcome: 'exists', outputs: { vpcId: 'vpc-1' } });
    expect(puts).toEqual([]);
  });

  it('a found resource whose outputs changed, or whose create was interrupted, is recorded as created; its creation time is kept', async () => {
    const { state, puts } = recordingState({
      vpc: rec('vpc', 'created', { vpcId: 'vpc-1' }, { createdAt: 'long ago' }),
      sg: rec('sg', 'creating', { groupId: 'sg-1' }, { startedAt: 'earlier' }),
    });
    await runCreate([step('vpc', { find: async () => ({ vpcId: 'vpc-2' }) }), step('sg', { find: async () => ({ groupId: 'sg-1' }) })], { env: null, state, clock, concurrency: 1 });
    expect(puts).toEqual([
      { stepId: 'vpc', status: 'created', outputs: { vpcId: 'vpc-2' }, createdAt: 'long ago', updatedAt: T },
      { stepId: 'sg', status: 'created', outputs: { groupId: 'sg-1' }, startedAt: 'earlier', createdAt: T, updatedAt: T },
    ]);
  });

  it('an external resource is recorded as external, and a found one stays so; a missing one fails without a create', async () => {
    const { state, puts } = recordingState();
    const found = step('vpc', { external: true, find: async () => ({ vpcId: 'vpc-mine' }) });
    await runCreate([found], { env: null, state, clock });
    expect(puts).toEqual([{ stepId: 'vpc', status: 'created', outputs: { vpcId: 'vpc-mine' }, external: true, createdAt: T, updatedAt: T }]);
    // Found again, unchanged: nothing to write.
    await runCreate([found], { env: null, state, clock });
    expect(puts).toHaveLength(1);
    const missing = step('subnets', { external: true });
    const r = await runCreate([missing], { env: null, state: recordingState().state });
    expect(r.results[0]!.outcome).toBe('failed');
    expect((r.results[0]!.error as WizardError).code).toBe('INPUT_INVALID');
    expect((r.results[0]!.error as Error).message).toBe('Step subnets: the existing resource given in the answers was not found.');
    expect(missing.calls).toEqual(['find']);
  });

  it('a resource that was external and is now ours is recorded again without the mark', async () => {
    const { state, puts } = recordingState({ vpc: rec('vpc', 'created', { vpcId: 'vpc-1' }, { external: true }) });
    await runCreate([step('vpc', { find: async () => ({ vpcId: 'vpc-1' }) })], { env: null, state, clock });
    expect(puts).toHaveLength(1);
    expect(puts[0]!.external).toBeUndefined();
  });

  it('the step sees what was recorded, and what it noted since; outputs of a dependency come from this run or the file', async () => {
    const seen: unknown[] = [];
    const { state } = recordingState({ vpc: rec('vpc', 'created', { vpcId: 'vpc-1' }), sg: rec('sg', 'creating', { groupId: 'sg-half' }) });
    await runCreate(
      [
        step('vpc', { find: async () => ({ vpcId: 'vpc-1' }) }),
        step('sg', {
          dependsOn: ['vpc'],
          find: async (ctx) => (seen.push(ctx.recorded, ctx.output('vpc'), ctx.tryOutput('nothing'), ctx.tryOutput('vpc')), undefined),
          create: async (ctx) => {
            await ctx.note({ groupId: 'sg-new' });
            seen.push(ctx.recorded);
            return { groupId: 'sg-new' };
          },
        }),
      ],
      { env: null, state },
    );
    expect(seen).toEqual([{ groupId: 'sg-half' }, { vpcId: 'vpc-1' }, undefined, { vpcId: 'vpc-1' }, { groupId: 'sg-new' }]);
  });

  it('a real create may repair what it finds; a dry run may not, writes nothing, and plans the rest', async () => {
    // GIVEN a found VPC, a subnet step that needs it, and a listener that needs an ALB that would be created
    const repairs: boolean[] = [];
    const { state, puts } = recordingState();
    const steps = [
      step('vpc', { find: async (ctx) => (repairs.push(ctx.repair), await ctx.note({ noted: true }), { vpcId: 'vpc-1' }) }),
      step('alb'),
      step('listener', { dependsOn: ['alb'], find: async (ctx) => (ctx.output('alb'), undefined) }),
      step('broken', { find: async () => Promise.reject(new Error('AccessDenied')) }),
    ];
    // WHEN it is planned
    const dry = await runCreate(steps, { env: null, state, dryRun: true, concurrency: 1 });
    // THEN nothing was created or written, and each step says what would happen
    expect(dry.results.map((x) => [x.stepId, x.outcome])).toEqual([
      ['vpc', 'exists'],
      ['alb', 'would-create'],
      ['listener', 'would-create'],
      ['broken', 'failed'],
    ]);
    expect(puts).toEqual([]);
    expect(steps.flatMap((s) => s.calls)).not.toContain('create');
    // AND in a real run the same step may repair
    await runCreate([steps[0]!], { env: null, state });
    expect(repairs).toEqual([false, true]);
  });

  it('outside a dry run a find that cannot get its dependency\'s outputs fails', async () => {
    const r = await runCreate([step('listener', { find: async (ctx) => (ctx.output('alb'), undefined) })], { env: null, state: recordingState().state });
    expect(r.results[0]!.outcome).toBe('failed');
    expect(r.results[0]!.error).toBeInstanceOf(DependencyPending);
    expect((r.results[0]!.error as Error).message).toBe('outputs of step "alb" are not available');
    expect((r.results[0]!.error as Error).name).toBe('DependencyPending');
  });

  it('wait steps: run after what they wait for, may not write, are skipped without waiting and in a dry run, and fail as steps', async () => {
    const { state, puts } = recordingState();
    const ran: boolean[] = [];
    const events: EngineEvent[] = [];
    const wait = (fail = false): WaitStep<null> => ({
      id: 'alb-active',
      title: 'ALB active',
      kind: 'wait',
      dependsOn: ['alb'],
      async run(ctx) {
        await ctx.note({ x: 1 });
        ran.push(true);
        if (fail) throw new Error('provisioning failed');
      },
    });
    const alb = step('alb', { find: async () => ({ arn: 'a' }) });
    const r = await runCreate([alb, wait()], { env: null, state, onEvent: (e) => events.push(e) });
    expect(r.results.map((x) => x.outcome)).toEqual(['exists', 'waited']);
    expect(events.filter((e) => e.type === 'start').map((e) => (e as { action: string }).action)).toEqual(['find', 'wait']);
    expect(puts.map((p) => p.stepId)).toEqual(['alb']);
    expect((await runCreate([alb, wait()], { env: null, state, wait: false })).results[1]!.outcome).toBe('skipped');
    expect((await runCreate([alb, wait()], { env: null, state, dryRun: true })).results[1]!.outcome).toBe('skipped');
    expect(ran).toHaveLength(1);
    const failed = await runCreate([alb, wait(true)], { env: null, state });
    expect(failed.results[1]).toMatchObject({ outcome: 'failed', error: new Error('provisioning failed') });
    expect(failed.ok).toBe(false);
  });

  it('runs up to 8 steps at once unless told otherwise', async () => {
    // Each create holds on until 8 run at once (or every step has started, or 3 s pass): the most ever seen is the limit.
    // (Once all have started no more can join, so the last few do not wait out the 3 s.)
    let running = 0;
    let started = 0;
    let most = 0;
    const busy = async (): Promise<Outputs> => {
      started++;
      most = Math.max(most, ++running);
      for (const t0 = Date.now(); running < 8 && started < 12 && Date.now() - t0 < 3000; ) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 20));
      running--;
      return {};
    };
    const steps = Array.from({ length: 12 }, (_, i) => step(`s${i}`, { create: busy }));
    await runCreate(steps, { env: null, state: recordingState().state });
    expect(DEFAULT_CONCURRENCY).toBe(8);
    expect(most).toBe(8);
  });

  it('an aborted run starts nothing more and says it was interrupted', async () => {
    const controller = new AbortController();
    const second = step('b', { dependsOn: ['a'] });
    const r = await runCreate([step('a', { create: async () => (controller.abort(), { id: 'a' }) }), second], { env: null, state: recordingState().state, signal: controller.signal });
    expect(r).toMatchObject({ ok: false, interrupted: true });
    expect(second.calls).toEqual([]);
    expect(r.results.map((x) => [x.stepId, x.outcome])).toEqual([
      ['a', 'created'],
      ['b', 'skipped'],
    ]);
  });

  it('a step stopped by Ctrl-C while it waited is interrupted, not failed: its intent stays for the next run, and no error is recorded', async () => {
    // GIVEN a create that noted its id, then waits until Ctrl-C stops the wait; and a wait step stopped the same way
    const controller = new AbortController();
    const { state, puts } = recordingState();
    const events: EngineEvent[] = [];
    const stopped = async (): Promise<never> => {
      controller.abort();
      throw new WizardError('INTERRUPTED', 'Interrupted.');
    };
    const waiting: WaitStep<null> = { id: 'ready', title: 'Step ready', dependsOn: [], kind: 'wait', run: stopped };
    const creating = step('nat', { create: async (ctx) => (await ctx.note({ natGatewayId: 'nat-1' }), stopped()) });
    // WHEN they run and are interrupted
    const r = await runCreate([creating, waiting], { env: null, state, clock, signal: controller.signal, onEvent: (e) => events.push(e) });
    // THEN both say interrupted (the run too), and the record is the intent with the noted id
    expect(r).toMatchObject({ ok: false, interrupted: true });
    expect(r.results.map((x) => [x.stepId, x.outcome])).toEqual([
      ['nat', 'interrupted'],
      ['ready', 'interrupted'],
    ]);
    expect(events.filter((e) => e.type === 'end').map((e) => 'outcome' in e && e.outcome)).toEqual(['interrupted', 'interrupted']);
    expect(puts.at(-1)).toEqual({ stepId: 'nat', status: 'creating', outputs: { natGatewayId: 'nat-1' }, startedAt: T, updatedAt: T });
    expect(state.get('nat')?.error).toBeUndefined();
  });

  it('after a failure in create, nothing new starts: dependents and later independent steps are skipped', async () => {
    const later = step('z');
    const r = await runCreate([step('a', { create: async () => Promise.reject(new Error('no')) }), step('b', { dependsOn: ['a'] }), later], { env: null, state: recordingState().state, concurrency: 1 });
    expect(r.results.map((x) => [x.stepId, x.outcome])).toEqual([
      ['a', 'failed'],
      ['b', 'skipped'],
      ['z', 'skipped'],
    ]);
  });

  it('a record destroyed earlier does not count as outputs a later step can use, though the step itself still sees what it recorded', async () => {
    const { state } = recordingState({ vpc: rec('vpc', 'destroyed', { vpcId: 'vpc-old' }), sg: rec('sg', 'destroyed', { groupId: 'sg-old' }) });
    const seen: unknown[] = [];
    const r = await runCreate([step('sg', { find: async (ctx) => (seen.push(ctx.recorded), { vpc: ctx.output('vpc') }) })], { env: null, state, dryRun: true });
    expect(r.results[0]!.outcome).toBe('would-create');
    expect(seen).toEqual([{ groupId: 'sg-old' }]);
  });

  it('a note on a step with no record yet starts one, merged over what the step recorded before', async () => {
    const { state, puts } = recordingState({ sg: rec('sg', 'destroyed', { groupId: 'sg-old', vpcId: 'vpc-1' }) });
    await runCreate([step('sg', { find: async (ctx) => (await ctx.note({ groupId: 'sg-new' }), undefined), create: async () => ({ ruleIds: ['r-1'] }) })], { env: null, state, clock });
    expect(puts[0]).toEqual({ stepId: 'sg', status: 'destroyed', outputs: { groupId: 'sg-new', vpcId: 'vpc-1' }, updatedAt: T });
    // The create's result is merged over what was noted.
    expect(puts.at(-1)).toMatchObject({ status: 'created', outputs: { groupId: 'sg-new', vpcId: 'vpc-1', ruleIds: ['r-1'] } });
    const fresh = recordingState();
    await runCreate([step('lt', { find: async (ctx) => (await ctx.note({ id: 'lt-1' }), { id: 'lt-1' }) })], { env: null, state: fresh.state, clock });
    expect(fresh.puts[0]).toEqual({ stepId: 'lt', status: 'creating', outputs: { id: 'lt-1' }, updatedAt: T });
  });

  it('a failure that is not even an object is recorded with a code anyway', async () => {
    const { state, puts } = recordingState();
    await runCreate([step('vpc', { create: async () => Promise.reject(undefined) })], { env: null, state, clock });
    expect(puts.at(-1)?.error).toEqual({ code: 'Error', message: 'undefined' });
  });
});

describe('runDiscover', () => {
  it('finds parents before children, says each find, never repairs, and a child of a failed find still runs', async () => {
    const events: EngineEvent[] = [];
    const repairs: boolean[] = [];
    const r = await runDiscover(
      [
        step('vpc', { find: async (ctx) => (repairs.push(ctx.repair), { vpcId: 'vpc-1' }) }),
        step('sg', { dependsOn: ['vpc'], find: async (ctx) => ({ groupId: 'sg-1', vpc: ctx.output('vpc') }) }),
        step('broken', { find: async () => Promise.reject(new Error('denied')) }),
        step('child', { dependsOn: ['broken'], find: async () => ({ id: 'c' }) }),
      ],
      { env: null, state: recordingState().state, concurrency: 1, onEvent: (e) => events.push(e) },
    );
    expect(r.results.map((x) => [x.stepId, x.outcome, x.outputs ?? (x.error as Error)?.message])).toEqual([
      ['vpc', 'exists', { vpcId: 'vpc-1' }],
      ['sg', 'exists', { groupId: 'sg-1', vpc: { vpcId: 'vpc-1' } }],
      ['broken', 'failed', 'denied'],
      ['child', 'exists', { id: 'c' }],
    ]);
    expect(repairs).toEqual([false]);
    expect(events.filter((e) => e.type === 'start').map((e) => `${e.stepId} ${(e as { action: string }).action}`)).toEqual(['vpc find', 'sg find', 'broken find', 'child find']);
  });

  it('stops when interrupted, and runs up to 8 finds at once by default', async () => {
    const controller = new AbortController();
    const later = step('b', { dependsOn: ['a'] });
    const stopped = await runDiscover([step('a', { find: async () => (controller.abort(), undefined) }), later], { env: null, state: recordingState().state, signal: controller.signal });
    expect(stopped.interrupted).toBe(true);
    expect(later.calls).toEqual([]);
    expect(stopped.results.map((x) => x.outcome)).toEqual(['absent', 'skipped']);
    let running = 0;
    let most = 0;
    const busy = async (): Promise<undefined> => {
      most = Math.max(most, ++running);
      for (const t0 = Date.now(); running < 8 && Date.now() - t0 < 3000; ) await new Promise((res) => setTimeout(res, 5));
      await new Promise((res) => setTimeout(res, 20));
      running--;
      return undefined;
    };
    await runDiscover(Array.from({ length: 12 }, (_, i) => step(`s${i}`, { find: busy })), { env: null, state: recordingState().state });
    expect(most).toBe(8);
  });

  it('records what it finds (external stays marked), reports the rest absent, goes on past absent parents, and writes nothing else', async () => {
    const { state, puts } = recordingState();
    const r = await runDiscover(
      [
        step('vpc', { find: async (ctx) => (await ctx.note({ half: true }), { vpcId: 'vpc-1' }) }),
        step('mine', { external: true, find: async () => ({ id: 'm' }) }),
        step('alb'),
        step('listener', { dependsOn: ['alb'], find: async (ctx) => (ctx.output('alb'), undefined) }),
        step('tagged', { dependsOn: ['alb'], find: async () => ({ id: 't' }) }),
        step('broken', { find: async () => Promise.reject(new Error('denied')) }),
        { id: 'alb-active', title: 'wait', kind: 'wait', dependsOn: ['alb'], run: async () => undefined } as WaitStep<null>,
      ],
      { env: null, state, clock },
    );
    expect(Object.fromEntries(r.results.map((x) => [x.stepId, x.outcome]))).toEqual({
      vpc: 'exists',
      mine: 'exists',
      alb: 'absent',
      listener: 'absent',
      tagged: 'exists',
      broken: 'failed',
      'alb-active': 'skipped',
    });
    expect(puts).toEqual([
      { stepId: 'vpc', status: 'created', outputs: { vpcId: 'vpc-1' }, updatedAt: T },
      { stepId: 'mine', status: 'created', outputs: { id: 'm' }, external: true, updatedAt: T },
      { stepId: 'tagged', status: 'created', outputs: { id: 't' }, updatedAt: T },
    ]);
  });
});

describe('runDestroy: records and events', () => {
  it('deletes what is recorded as created with its recorded outputs: destroying, then destroyed', async () => {
    const { state, puts } = recordingState({ vpc: rec('vpc', 'created', { vpcId: 'vpc-1' }) });
    const events: EngineEvent[] = [];
    const s = step('vpc');
    const r = await runDestroy([s], { env: null, state, clock, onEvent: (e) => events.push(e) });
    expect(s.calls).toEqual(['destroy {"vpcId":"vpc-1"}']);
    expect(puts).toEqual([
      { stepId: 'vpc', status: 'destroying', outputs: { vpcId: 'vpc-1' }, updatedAt: T },
      { stepId: 'vpc', status: 'destroyed', outputs: { vpcId: 'vpc-1' }, updatedAt: T },
    ]);
    expect(events.map((e) => [e.type, 'action' in e ? e.action : 'outcome' in e ? e.outcome : ''])).toEqual([
      ['start', 'destroy'],
      ['end', 'destroyed'],
    ]);
    expect(r.results[0]!.outcome).toBe('destroyed');
  });

  it('looks up a resource whose create was interrupted; what it cannot find is recorded destroyed without a delete', async () => {
    const { state, puts } = recordingState({ made: rec('made', 'creating', { id: 'x' }), never: rec('never', 'creating') });
    const made = step('made', { find: async () => ({ id: 'x', arn: 'full' }) });
    const never = step('never');
    const events: EngineEvent[] = [];
    await runDestroy([made, never], { env: null, state, clock, concurrency: 1, onEvent: (e) => events.push(e) });
    expect(made.calls).toEqual(['find', 'destroy {"id":"x","arn":"full"}']);
    expect(never.calls).toEqual(['find']);
    expect(puts.filter((p) => p.stepId === 'never')).toEqual([{ stepId: 'never', status: 'destroyed', outputs: {}, updatedAt: T }]);
    expect(events.filter((e) => e.type === 'start' && e.stepId === 'made').map((e) => (e as { action: string }).action)).toEqual(['find', 'destroy']);
  });

  it('a find that cannot run (its parent is gone, or the resource drifted) deletes by the recorded outputs', async () => {
    const { state } = recordingState({ a: rec('a', 'failed', { id: 'a-1' }), b: rec('b', 'destroying', { id: 'b-1' }) });
    const a = step('a', { find: async (ctx) => (ctx.output('gone'), undefined) });
    const b = step('b', { find: async () => Promise.reject(new WizardError('DRIFT', 'changed')) });
    const r = await runDestroy([a, b], { env: null, state });
    expect(a.calls).toEqual(['find', 'destroy {"id":"a-1"}']);
    expect(b.calls).toEqual(['find', 'destroy {"id":"b-1"}']);
    expect(r.ok).toBe(true);
  });

  it('any other error from the lookup or the delete is recorded as failed, and independent branches go on', async () => {
    const { state, puts } = recordingState({ a: rec('a', 'creating'), b: rec('b', 'created', { id: 'b' }), c: rec('c', 'created', { id: 'c' }) });
    const c = step('c');
    const r = await runDestroy(
      [step('a', { find: async () => Promise.reject(new Error('denied')) }), step('b', { destroy: async () => Promise.reject(new WizardError('TIMEOUT', 'slow')) }), c],
      { env: null, state, clock, concurrency: 1 },
    );
    expect(r.results.map((x) => [x.stepId, x.outcome])).toEqual([
      ['a', 'failed'],
      ['b', 'failed'],
      ['c', 'destroyed'],
    ]);
    expect(puts.find((p) => p.stepId === 'a' && p.status === 'failed')?.error).toEqual({ code: 'Error', message: 'denied' });
    expect(puts.find((p) => p.stepId === 'b' && p.status === 'failed')?.error).toEqual({ code: 'TIMEOUT', message: 'slow' });
  });

  it('with keepGoing off, nothing new starts after a failure', async () => {
    const { state } = recordingState({ a: rec('a', 'created', { id: 'a' }), z: rec('z', 'created', { id: 'z' }) });
    const z = step('z');
    // (destroy runs the plan's order backwards: a first)
    const r = await runDestroy([z, step('a', { destroy: async () => Promise.reject(new Error('no')) })], { env: null, state, concurrency: 1, keepGoing: false });
    expect(z.calls).toEqual([]);
    expect(r.results.map((x) => [x.stepId, x.outcome])).toEqual([
      ['z', 'skipped'],
      ['a', 'failed'],
    ]);
  });

  it('keeps external resources (by record or by step), counts unrecorded and destroyed ones absent, skips waits, and deletes nothing without a destroy', async () => {
    const { state, puts } = recordingState({
      byRecord: rec('byRecord', 'created', { id: 1 }, { external: true }),
      byStep: rec('byStep', 'created', { id: 2 }),
      gone: rec('gone', 'destroyed', { id: 3 }),
      noDestroy: rec('noDestroy', 'created', { id: 4 }),
    });
    const events: EngineEvent[] = [];
    const steps = [
      step('byRecord'),
      step('byStep', { external: true }),
      step('gone'),
      step('unrecorded'),
      step('noDestroy', { destroy: null }),
      { id: 'w', title: 'Wait', kind: 'wait', dependsOn: [], run: async () => undefined } as WaitStep<null>,
    ];
    const r = await runDestroy(steps, { env: null, state, clock, concurrency: 1, onEvent: (e) => events.push(e) });
    expect(Object.fromEntries(r.results.map((x) => [x.stepId, x.outcome]))).toEqual({ byRecord: 'kept', byStep: 'kept', gone: 'absent', unrecorded: 'absent', noDestroy: 'absent', w: 'skipped' });
    expect(r.results.find((x) => x.stepId === 'w')).toEqual({ stepId: 'w', title: 'Wait', outcome: 'skipped', durationMs: 0 });
    expect(steps.slice(0, 5).flatMap((s) => (s as ReturnType<typeof step>).calls)).toEqual([]);
    expect(puts).toEqual([{ stepId: 'noDestroy', status: 'destroyed', outputs: { id: 4 }, updatedAt: T }]);
    expect(events.filter((e) => e.type === 'start')).toEqual([]);
  });

  it('an interrupted destroy starts nothing more', async () => {
    const controller = new AbortController();
    const { state } = recordingState({ a: rec('a', 'created', { id: 'a' }), b: rec('b', 'created', { id: 'b' }) });
    const a = step('a');
    const r = await runDestroy([a, step('b', { dependsOn: ['a'], destroy: async () => controller.abort() })], { env: null, state, signal: controller.signal });
    expect(a.calls).toEqual([]);
    expect(r).toMatchObject({ ok: false, interrupted: true });
  });

  it('a destroy sees the outputs of what it deletes through ctx.recorded, may not repair, and may note progress that is persisted', async () => {
    const { state, puts } = recordingState({ asg: rec('asg', 'created', { name: 'g' }) });
    const seen: unknown[] = [];
    await runDestroy([step('asg', { destroy: async (ctx) => (seen.push(ctx.recorded, ctx.repair), await ctx.note({ draining: true })) })], { env: null, state, clock });
    expect(seen).toEqual([{ name: 'g' }, false]);
    expect(puts.map((p) => [p.status, p.outputs])).toEqual([
      ['destroying', { name: 'g' }],
      ['destroying', { name: 'g', draining: true }],
      ['destroyed', { name: 'g', draining: true }],
    ]);
  });
});
