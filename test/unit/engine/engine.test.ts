import { describe, expect, it } from 'vitest';
import { runCreate, runDestroy, runDiscover } from '../../../src/engine/engine.js';
import { teardownOrder, topoOrder } from '../../../src/engine/graph.js';
import { StateFile, emptyState, readState } from '../../../src/engine/state.js';
import { tempDir } from '../../support/stack.js';
import * as path from 'node:path';
import { FakeCloud, fakeStep, fakeWait } from './fake-steps.js';
import type { ResourceStep } from '../../../src/engine/types.js';

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

describe('graph', () => {
  it('rejects cycles, unknown dependencies and duplicate ids', () => {
    const cloud = new FakeCloud();
    expect(() => topoOrder([fakeStep(cloud, 'a', ['b']), fakeStep(cloud, 'b', ['a'])])).toThrow(/cycle/);
    expect(() => topoOrder([fakeStep(cloud, 'a', ['nope'])])).toThrow(/unknown step "nope"/);
    expect(() => topoOrder([fakeStep(cloud, 'a'), fakeStep(cloud, 'a')])).toThrow(/duplicate/);
  });
});
