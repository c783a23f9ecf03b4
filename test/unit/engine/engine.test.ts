import { describe, expect, it } from 'vitest';
import { runCreate, runDestroy, runDiscover } from '../../../src/engine/engine.js';
import { teardownOrder, topoOrder } from '../../../src/engine/graph.js';
import type { ResourceStep } from '../../../src/engine/types.js';
import { StateFile, emptyState, readState } from '../../../src/engine/state.js';
import { tempDir } from '../../support/stack.js';
import * as path from 'node:path';
import { FakeCloud, fakeStep, fakeWait } from './fake-steps.js';

function newState(): StateFile {
  return new StateFile(path.join(tempDir(), 'demo.json'), emptyState('demo'));
}

/** a → b, a → c, (b, c) → d: b and c are independent. */
function diamond(cloud: FakeCloud, o: { delayMs?: number; failB?: boolean; failDestroyC?: boolean } = {}) {
  return [
    fakeStep(cloud, 'a', [], { delayMs: o.delayMs }),
    fakeStep(cloud, 'b', ['a'], { delayMs: o.delayMs, failCreate: o.failB }),
    fakeStep(cloud, 'c', ['a'], { delayMs: (o.delayMs ?? 0) * 3, failDestroy: o.failDestroyC }),
    fakeStep(cloud, 'd', ['b', 'c'], { delayMs: o.delayMs }),
  ];
}

describe('engine: create', () => {
  it("carries a step's own words for its create and outcomes to the reporters, and a plain and a TTY reporter use them", async () => {
    // GIVEN a step whose create is an update, run twice (created, then found)
    const { plainReporter, ttyReporter } = await import('../../../src/ui/reporter.js');
    const cloud = new FakeCloud();
    const step = { ...fakeStep(cloud, 'svc'), words: { create: 'updating', created: 'updated', exists: 'already on this revision' } };
    const events: import('../../../src/engine/types.js').EngineEvent[] = [];
    const state = newState();
    await runCreate([step], { env: null, state, onEvent: (e) => events.push(e) });
    await runCreate([step], { env: null, state, onEvent: (e) => events.push(e) });
    // THEN the events say so
    expect(events.filter((e) => e.type === 'start' && e.action === 'create').map((e) => (e as { verb?: string }).verb)).toEqual(['updating']);
    expect(events.filter((e) => e.type === 'end').map((e) => (e as { word?: string }).word)).toEqual(['updated', 'already on this revision']);
    // AND the renderers print them instead of "creating" / "created"
    let plain = '';
    const p = plainReporter({ write: (t: string) => ((plain += t), true) } as unknown as NodeJS.WritableStream);
    let tty = '';
    const t = ttyReporter({ columns: 100, write: (x: string) => ((tty += x), true) } as unknown as NodeJS.WritableStream, { colour: false, animate: false, now: () => 0 });
    for (const e of events) {
      p.event(e);
      t.event(e);
    }
    t.close();
    expect(plain).toMatch(/Fake svc: updating\n.*Fake svc: updated \(/);
    expect(plain).not.toContain('creating');
    expect(tty).toContain('Fake svc: updating');
    expect(tty).toContain('✔ Fake svc: updated');
    expect(tty).toContain('✔ Fake svc: already on this revision');
  });

  it('respects dependency order', async () => {
    const cloud = new FakeCloud();
    const r = await runCreate(diamond(cloud), { env: null, state: newState() });
    expect(r.ok).toBe(true);
    const creates = cloud.log.filter((l) => l.startsWith('create:'));
    expect(creates.indexOf('create:a')).toBeLessThan(creates.indexOf('create:b'));
    expect(creates.indexOf('create:a')).toBeLessThan(creates.indexOf('create:c'));
    expect(creates.indexOf('create:d')).toBe(3);
  });

  it('runs independent steps at the same time (each sees the other start before it ends)', async () => {
    // GIVEN b and c, independent after a, each of which ends only once the other has started —
    // or after 5 s, if the engine ran them one after the other (no timing luck either way)
    const started = new Set<string>();
    const meeting = (id: string, other: string): ResourceStep<null> => ({
      id,
      title: id,
      dependsOn: ['a'],
      find: async () => undefined,
      async create() {
        started.add(id);
        for (const t0 = Date.now(); !started.has(other) && Date.now() - t0 < 5000; ) await new Promise((r) => setTimeout(r, 2));
        return { met: started.has(other) };
      },
      destroy: async () => undefined,
    });
    const cloud = new FakeCloud();
    // WHEN they run with room for both
    const state = newState();
    const r = await runCreate([fakeStep(cloud, 'a'), meeting('b', 'c'), meeting('c', 'b')], { env: null, state, concurrency: 4 });
    // THEN each met the other
    expect(r.ok).toBe(true);
    expect([state.get('b')?.outputs, state.get('c')?.outputs]).toEqual([{ met: true }, { met: true }]);
  });

  it('runs strictly one at a time with concurrency 1', async () => {
    const cloud = new FakeCloud();
    await runCreate(diamond(cloud, { delayMs: 5 }), { env: null, state: newState(), concurrency: 1 });
    expect(cloud.maxRunning).toBe(1);
  });

  it('after a failure: dependents are skipped, in-flight siblings finish and are recorded', async () => {
    const cloud = new FakeCloud();
    const state = newState();
    const r = await runCreate(diamond(cloud, { delayMs: 10, failB: true }), { env: null, state });
    expect(r.ok).toBe(false);
    const outcome = Object.fromEntries(r.results.map((x) => [x.stepId, x.outcome]));
    expect(outcome).toEqual({ a: 'created', b: 'failed', c: 'created', d: 'skipped' });
    // c was in flight when b failed: it finished and the state file has it
    const onDisk = await readState(state.file);
    expect(onDisk?.resources.c?.status).toBe('created');
    expect(onDisk?.resources.b).toMatchObject({ status: 'failed', error: { message: 'boom in b' } });
    expect(onDisk?.resources.d).toBeUndefined();
  });

  it('stops starting new steps after a failure', async () => {
    const cloud = new FakeCloud();
    const steps = [fakeStep(cloud, 'x', [], { failCreate: true }), fakeStep(cloud, 'y', [], { delayMs: 5 }), fakeStep(cloud, 'z', [])];
    const r = await runCreate(steps, { env: null, state: newState(), concurrency: 1 });
    expect(r.results.map((x) => x.outcome)).toEqual(['failed', 'skipped', 'skipped']);
    expect(cloud.log).not.toContain('create:y');
  });

  it('records the intent before the mutating call and the outputs after it', async () => {
    const cloud = new FakeCloud();
    const state = newState();
    const seen: string[] = [];
    const step = fakeStep(cloud, 'a');
    const spy = { ...step, async create(ctx: Parameters<typeof step.create>[0]) {
      seen.push((await readState(state.file))!.resources.a!.status);
      return step.create(ctx);
    } };
    await runCreate([spy], { env: null, state });
    expect(seen).toEqual(['creating']);
    expect((await readState(state.file))!.resources.a).toMatchObject({ status: 'created', outputs: { id: 'a-1' } });
  });

  it('a resumed run skips what is done and creates only the rest', async () => {
    const cloud = new FakeCloud();
    const state = newState();
    let failing = true;
    const steps = [fakeStep(cloud, 'a'), fakeStep(cloud, 'b', ['a'], { failCreate: () => failing })];
    await runCreate(steps, { env: null, state });
    failing = false;
    cloud.log.length = 0;
    const r = await runCreate(steps, { env: null, state });
    expect(r.ok).toBe(true);
    expect(r.results.map((x) => x.outcome)).toEqual(['exists', 'created']);
    expect(cloud.log).toEqual(['find:a', 'find:b', 'create:b']);
  });

  it('a rerun with everything in place writes nothing and creates nothing', async () => {
    const cloud = new FakeCloud();
    const state = newState();
    await runCreate(diamond(cloud), { env: null, state });
    const before = (await readState(state.file))!.updatedAt;
    cloud.log.length = 0;
    const r = await runCreate(diamond(cloud), { env: null, state });
    expect(r.results.every((x) => x.outcome === 'exists')).toBe(true);
    expect(cloud.log.every((l) => l.startsWith('find:'))).toBe(true);
    expect((await readState(state.file))!.updatedAt).toBe(before);
  });

  it('dry-run finds, reports what would be created, and never creates or writes state', async () => {
    const cloud = new FakeCloud();
    cloud.resources.set('a', { id: 'a-1' });
    const state = newState();
    const steps = [...diamond(cloud), fakeWait(cloud, 'ready', ['d'])];
    const r = await runCreate(steps, { env: null, state, dryRun: true });
    expect(Object.fromEntries(r.results.map((x) => [x.stepId, x.outcome]))).toEqual({
      a: 'exists',
      b: 'would-create',
      c: 'would-create',
      d: 'would-create',
      ready: 'skipped',
    });
    expect(cloud.log.filter((l) => !l.startsWith('find:'))).toEqual([]);
    expect(await readState(state.file)).toBeUndefined();
  });

  it('runs wait steps unless waiting is off', async () => {
    const cloud = new FakeCloud();
    const steps = [fakeStep(cloud, 'a'), fakeWait(cloud, 'ready', ['a'])];
    const on = await runCreate(steps, { env: null, state: newState() });
    expect(on.results[1]!.outcome).toBe('waited');
    const off = await runCreate(steps, { env: null, state: newState(), wait: false });
    expect(off.results[1]!.outcome).toBe('skipped');
  });

  it('an interrupt stops new steps and reports the run as interrupted', async () => {
    const cloud = new FakeCloud();
    const controller = new AbortController();
    const steps = [fakeStep(cloud, 'a', [], { delayMs: 20 }), fakeStep(cloud, 'b', ['a'])];
    setTimeout(() => controller.abort(), 5);
    const state = newState();
    const r = await runCreate(steps, { env: null, state, signal: controller.signal });
    expect(r.interrupted).toBe(true);
    expect(r.ok).toBe(false);
    expect(r.results.map((x) => x.outcome)).toEqual(['created', 'skipped']);
    expect((await readState(state.file))!.resources.a!.status).toBe('created');
  });

  it('an external resource that is missing fails instead of being created', async () => {
    const cloud = new FakeCloud();
    const r = await runCreate([fakeStep(cloud, 'vpc', [], { external: true })], { env: null, state: newState() });
    expect(r.results[0]!.outcome).toBe('failed');
    expect(cloud.log).not.toContain('create:vpc');
  });
});

describe('engine: destroy', () => {
  it('tears down in reverse dependency order', async () => {
    const cloud = new FakeCloud();
    const state = newState();
    await runCreate(diamond(cloud), { env: null, state });
    cloud.log.length = 0;
    const r = await runDestroy(diamond(cloud), { env: null, state });
    expect(r.ok).toBe(true);
    const order = cloud.log.filter((l) => l.startsWith('destroy:')).map((l) => l.slice(8));
    expect(order[0]).toBe('d');
    expect(order[3]).toBe('a');
    expect(cloud.resources.size).toBe(0);
    expect(teardownOrder(diamond(cloud))).toEqual(['d', 'c', 'b', 'a']);
  });

  it('orders teardown after everything that depends on a step, however the plan is listed', async () => {
    // GIVEN a plan listed out of dependency order: a ← b, a ← c, (b, c) ← d, a ← e
    const cloud = new FakeCloud();
    const steps = [fakeStep(cloud, 'd', ['b', 'c']), fakeStep(cloud, 'e', ['a']), fakeStep(cloud, 'c', ['a']), fakeStep(cloud, 'b', ['a']), fakeStep(cloud, 'a')];
    // WHEN it is ordered  THEN create follows dependencies and teardown the reverse (written out by hand)
    expect(topoOrder(steps)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(teardownOrder(steps)).toEqual(['e', 'd', 'c', 'b', 'a']);
    // AND a sequential destroy deletes in exactly that order
    const state = newState();
    await runCreate(steps, { env: null, state });
    cloud.log.length = 0;
    await runDestroy(steps, { env: null, state, concurrency: 1 });
    expect(cloud.log.filter((l) => l.startsWith('destroy:'))).toEqual(['destroy:e', 'destroy:d', 'destroy:c', 'destroy:b', 'destroy:a']);
  });

  it('a second destroy makes no call', async () => {
    const cloud = new FakeCloud();
    const state = newState();
    await runCreate(diamond(cloud), { env: null, state });
    await runDestroy(diamond(cloud), { env: null, state });
    cloud.log.length = 0;
    const r = await runDestroy(diamond(cloud), { env: null, state });
    expect(r.results.every((x) => x.outcome === 'absent')).toBe(true);
    expect(cloud.log).toEqual([]);
  });

  it('keeps external resources', async () => {
    const cloud = new FakeCloud();
    cloud.resources.set('vpc', { id: 'vpc-1' });
    const steps = [fakeStep(cloud, 'vpc', [], { external: true }), fakeStep(cloud, 'sg', ['vpc'])];
    const state = newState();
    await runCreate(steps, { env: null, state });
    const r = await runDestroy(steps, { env: null, state });
    expect(r.results.map((x) => [x.stepId, x.outcome])).toEqual([
      ['vpc', 'kept'],
      ['sg', 'destroyed'],
    ]);
    expect(cloud.resources.has('vpc')).toBe(true);
  });

  it('looks up a resource whose create was interrupted before deleting it', async () => {
    const cloud = new FakeCloud();
    const state = newState();
    // GIVEN the call reached the cloud but the run died before recording the result
    cloud.resources.set('a', { id: 'a-1' });
    await state.put({ stepId: 'a', status: 'creating', outputs: {}, updatedAt: new Date().toISOString() });
    const r = await runDestroy([fakeStep(cloud, 'a')], { env: null, state });
    expect(r.results[0]!.outcome).toBe('destroyed');
    expect(cloud.log).toEqual(['find:a', 'destroy:a']);
    expect(cloud.resources.size).toBe(0);
  });

  it('a failed delete keeps its dependencies, deletes independent branches, and records the failure', async () => {
    const cloud = new FakeCloud();
    const state = newState();
    await runCreate(diamond(cloud, { failDestroyC: true }), { env: null, state });
    const r = await runDestroy(diamond(cloud, { failDestroyC: true }), { env: null, state });
    expect(r.ok).toBe(false);
    expect(Object.fromEntries(r.results.map((x) => [x.stepId, x.outcome]))).toEqual({ a: 'skipped', b: 'destroyed', c: 'failed', d: 'destroyed' });
    expect(cloud.resources.has('a')).toBe(true);
    expect(state.get('c')?.status).toBe('failed');
  });

  it('discover records what exists without a state file so destroy can remove it', async () => {
    const cloud = new FakeCloud();
    await runCreate(diamond(cloud), { env: null, state: newState() });
    cloud.resources.delete('b');
    const lost = newState();
    const found = await runDiscover(diamond(cloud), { env: null, state: lost });
    expect(Object.fromEntries(found.results.map((x) => [x.stepId, x.outcome]))).toEqual({ a: 'exists', b: 'absent', c: 'exists', d: 'exists' });
    const r = await runDestroy(diamond(cloud), { env: null, state: lost });
    expect(r.ok).toBe(true);
    expect(cloud.resources.size).toBe(0);
  });
});

/**
 * A hand-written stack for the teardown exceptions: `app` runs on `host` behind `lb`, placed through
 * `provider` (which manages `host`); all sit in `net`.
 *   app:      deps host, lb, provider; its slow tail (draining) is `waitUntilGone`;
 *             host and lb may go once app's delete has begun
 *   provider: deps host; host may go first
 */
function teardownStack(cloud: FakeCloud, o: { drain?: (log: string[]) => Promise<void>; failDelete?: string; failTail?: boolean; absent?: boolean } = {}) {
  const step = (id: string, deps: string[], extra: Partial<ResourceStep<null>> = {}): ResourceStep<null> => {
    const base = fakeStep(cloud, id, deps, { failDestroy: o.failDelete === id });
    return { ...base, ...(o.absent && id === 'app' ? { find: async () => undefined } : {}), ...extra };
  };
  return [
    step('net', []),
    step('lb', ['net']),
    step('host', ['net']),
    step('provider', ['host'], { teardown: { mayGoFirst: ['host'] } }),
    step('app', ['host', 'lb', 'provider'], {
      teardown: { mayGoOnceDeleting: ['host', 'lb'] },
      async waitUntilGone() {
        await o.drain?.(cloud.log);
        if (o.failTail) throw new Error('app never finished draining');
        cloud.log.push('gone:app');
      },
    }),
  ];
}

/** Resolves once `entry` is in the log; fails the wait (and so the test) if it never comes. */
async function untilLogged(log: string[], entry: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (log.includes(entry)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`"${entry}" never happened while app drained`);
}

async function created(steps: ReturnType<typeof teardownStack>): Promise<StateFile> {
  const state = newState();
  const r = await runCreate(steps, { env: null, state });
  expect(r.ok).toBe(true);
  return state;
}

describe('engine: teardown exceptions (a step names dependencies that may go sooner)', () => {
  it('deletes host and lb (and then net) while app drains, and provider only once app is gone', async () => {
    // GIVEN the stack, where app's drain ends only after net has been deleted
    const cloud = new FakeCloud();
    const state = await created(teardownStack(cloud));
    cloud.log.length = 0;
    const steps = teardownStack(cloud, { drain: (log) => untilLogged(log, 'destroy:net') });

    // WHEN it is destroyed
    const r = await runDestroy(steps, { env: null, state });

    // THEN app's delete came first; host and lb went during its drain, then net; provider after app was gone
    expect(r.ok).toBe(true);
    const log = cloud.log.filter((l) => !l.startsWith('find:'));
    expect(log[0]).toBe('destroy:app');
    expect([log[1], log[2]].sort()).toEqual(['destroy:host', 'destroy:lb']);
    expect(log.slice(3)).toEqual(['destroy:net', 'gone:app', 'destroy:provider']);
    expect(Object.fromEntries(r.results.map((x) => [x.stepId, x.outcome]))).toEqual({ net: 'destroyed', lb: 'destroyed', host: 'destroyed', provider: 'destroyed', app: 'destroyed' });
    expect(state.get('app')?.status).toBe('destroyed');
    expect(cloud.resources.size).toBe(0);
  });

  it('a failed delete still keeps everything it has not released', async () => {
    // GIVEN app's delete fails
    const cloud = new FakeCloud();
    const state = await created(teardownStack(cloud));
    // WHEN the stack is destroyed
    const r = await runDestroy(teardownStack(cloud, { failDelete: 'app' }), { env: null, state });
    // THEN nothing under it is deleted: releasing needs the delete to have begun
    expect(Object.fromEntries(r.results.map((x) => [x.stepId, x.outcome]))).toEqual({ net: 'skipped', lb: 'skipped', host: 'skipped', provider: 'skipped', app: 'failed' });
    expect([...cloud.resources.keys()].sort()).toEqual(['app', 'host', 'lb', 'net', 'provider']);
  });

  it('a failed tail fails the step and keeps what waits for it to be gone, not what it released', async () => {
    // GIVEN app never finishes draining
    const cloud = new FakeCloud();
    const state = await created(teardownStack(cloud));
    // WHEN the stack is destroyed
    const r = await runDestroy(teardownStack(cloud, { failTail: true }), { env: null, state });
    // THEN host, lb and net are gone, provider (still needed by app) is kept, and app is recorded failed
    expect(Object.fromEntries(r.results.map((x) => [x.stepId, x.outcome]))).toEqual({ net: 'destroyed', lb: 'destroyed', host: 'destroyed', provider: 'skipped', app: 'failed' });
    expect(state.get('app')).toMatchObject({ status: 'failed', error: { message: 'app never finished draining' } });
    expect(cloud.resources.has('provider')).toBe(true);
  });

  it('a dependency that may go first is deleted even when the dependent\'s delete fails', async () => {
    // GIVEN provider's delete fails
    const cloud = new FakeCloud();
    const state = await created(teardownStack(cloud));
    // WHEN the stack is destroyed
    const r = await runDestroy(teardownStack(cloud, { failDelete: 'provider' }), { env: null, state });
    // THEN host (which need not wait for provider) and everything else went
    expect(Object.fromEntries(r.results.map((x) => [x.stepId, x.outcome]))).toEqual({ net: 'destroyed', lb: 'destroyed', host: 'destroyed', provider: 'failed', app: 'destroyed' });
    expect([...cloud.resources.keys()]).toEqual(['provider']);
  });

  it('after a crash mid-drain, a step its find no longer sees still waits for its tail', async () => {
    // GIVEN app's delete went out before the crash (recorded "destroying"), and a find no longer sees it
    const cloud = new FakeCloud();
    const state = await created(teardownStack(cloud));
    await state.put({ ...state.get('app')!, status: 'destroying' });
    cloud.resources.delete('app');
    cloud.log.length = 0;
    // WHEN destroy runs again
    const r = await runDestroy(teardownStack(cloud, { absent: true }), { env: null, state });
    // THEN it makes no delete call for app but waits for its tail before deleting provider
    expect(r.results.find((x) => x.stepId === 'app')!.outcome).toBe('absent');
    expect(cloud.log).not.toContain('destroy:app');
    expect(cloud.log.indexOf('gone:app')).toBeLessThan(cloud.log.indexOf('destroy:provider'));
    expect(state.get('app')?.status).toBe('destroyed');
  });

  it('refuses a teardown exception that names something the step does not depend on', () => {
    const cloud = new FakeCloud();
    const bad = { ...fakeStep(cloud, 'a', ['b']), teardown: { mayGoFirst: ['c'] } };
    expect(() => topoOrder([bad, fakeStep(cloud, 'b'), fakeStep(cloud, 'c')])).toThrow(/teardown names "c", which is not one of its dependencies/);
  });
});

describe('graph', () => {
  it('rejects cycles, unknown dependencies and duplicate ids', () => {
    const cloud = new FakeCloud();
    expect(() => topoOrder([fakeStep(cloud, 'a', ['b']), fakeStep(cloud, 'b', ['a'])])).toThrow(/cycle/);
    expect(() => topoOrder([fakeStep(cloud, 'a', ['nope'])])).toThrow(/unknown step "nope"/);
    expect(() => topoOrder([fakeStep(cloud, 'a'), fakeStep(cloud, 'a')])).toThrow(/duplicate/);
  });
});
