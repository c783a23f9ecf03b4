import { describe, expect, it } from 'vitest';
import { destroyGraph, prerequisites, runGraph, topoOrder } from '../../../src/engine/graph.js';
import type { ResourceStep } from '../../../src/engine/types.js';

/** The scheduler on its own: what it starts, in what order, and why it skips what it skips. */

const node = (id: string, dependsOn: string[] = []): ResourceStep<null> => ({ id, title: id, dependsOn, find: async () => undefined, create: async () => ({}) });

/** a ← b ← c, a ← d; e alone. */
const plan = [node('a'), node('b', ['a']), node('c', ['b']), node('d', ['a']), node('e')];

async function schedule(o: { fail?: string[]; throws?: string[]; keepGoing?: boolean; concurrency?: number; stopAfter?: string; reverse?: boolean } = {}) {
  const started: string[] = [];
  const skipped: [string, string][] = [];
  let stop = false;
  await runGraph({
    ...(o.reverse ? destroyGraph(plan) : { order: topoOrder(plan), prerequisites: prerequisites(plan) }),
    concurrency: o.concurrency ?? 1,
    keepGoing: o.keepGoing,
    shouldStop: () => stop,
    run: async (id) => {
      started.push(id);
      if (id === o.stopAfter) stop = true;
      if (o.throws?.includes(id)) throw new Error(`boom ${id}`);
      return !o.fail?.includes(id);
    },
    onSkip: (id, reason) => skipped.push([id, reason]),
  });
  return { started, skipped };
}

describe('runGraph', () => {
  it('runs every node once its prerequisites succeeded, in plan order when one at a time', async () => {
    expect(await schedule()).toEqual({ started: ['a', 'b', 'c', 'd', 'e'], skipped: [] });
  });

  it('in reverse, a node waits for everything that depends on it', async () => {
    expect((await schedule({ reverse: true })).started).toEqual(['e', 'd', 'c', 'b', 'a']);
  });

  it('with keepGoing, a failure skips exactly what depends on it — for that reason — and the rest runs', async () => {
    expect(await schedule({ fail: ['b'], keepGoing: true })).toEqual({
      started: ['a', 'b', 'd', 'e'],
      skipped: [['c', 'dependency-failed']],
    });
  });

  it('skips cascade down the graph', async () => {
    expect(await schedule({ fail: ['a'], keepGoing: true })).toEqual({
      started: ['a', 'e'],
      skipped: [
        ['b', 'dependency-failed'],
        ['c', 'dependency-failed'],
        ['d', 'dependency-failed'],
      ],
    });
  });

  it('skips cascade whatever order the nodes are listed in', async () => {
    const skipped: string[] = [];
    await runGraph({
      order: ['c', 'b', 'a'],
      prerequisites: new Map([
        ['a', []],
        ['b', ['a']],
        ['c', ['b']],
      ]),
      concurrency: 1,
      keepGoing: true,
      run: async () => false,
      onSkip: (id, reason) => skipped.push(`${id} ${reason}`),
    });
    expect(skipped).toEqual(['b dependency-failed', 'c dependency-failed']);
  });

  it('without keepGoing, nothing new starts after a failure: its dependents are skipped for it, the rest as stopped', async () => {
    expect(await schedule({ fail: ['b'] })).toEqual({
      started: ['a', 'b'],
      skipped: [
        ['c', 'dependency-failed'],
        ['d', 'stopped'],
        ['e', 'stopped'],
      ],
    });
  });

  it('a node that throws counts as failed', async () => {
    expect(await schedule({ throws: ['b'], keepGoing: true })).toEqual({ started: ['a', 'b', 'd', 'e'], skipped: [['c', 'dependency-failed']] });
  });

  it('stops starting nodes when asked to, and reports the rest as stopped', async () => {
    expect(await schedule({ stopAfter: 'b', keepGoing: true })).toEqual({
      started: ['a', 'b'],
      skipped: [
        ['c', 'stopped'],
        ['d', 'stopped'],
        ['e', 'stopped'],
      ],
    });
  });

  it('starts independent nodes together up to the limit; a limit below 1 means 1', async () => {
    const concurrent = async (concurrency: number): Promise<number> => {
      let running = 0;
      let most = 0;
      const ids = ['p', 'q', 'r', 's'];
      await runGraph({
        order: ids,
        prerequisites: new Map(ids.map((id) => [id, []])),
        concurrency,
        run: async () => {
          most = Math.max(most, ++running);
          await new Promise((r) => setTimeout(r, 5));
          running--;
          return true;
        },
        onSkip: () => undefined,
      });
      return most;
    };
    expect(await concurrent(3)).toBe(3);
    expect(await concurrent(0)).toBe(1);
    expect(await concurrent(2.9)).toBe(2);
  });

  it('an empty plan is done at once', async () => {
    await expect(runGraph({ order: [], prerequisites: new Map(), concurrency: 1, run: async () => true, onSkip: () => undefined })).resolves.toBeUndefined();
  });
});

describe('topoOrder', () => {
  it('names the cycle it refuses, and unknown and duplicate steps', () => {
    expect(() => topoOrder([node('a', ['c']), node('b', ['a']), node('c', ['b'])])).toThrow('dependency cycle: a → c → b → a');
    expect(() => topoOrder([node('a', ['x'])])).toThrow('step "a" depends on unknown step "x"');
    expect(() => topoOrder([node('a'), node('a')])).toThrow('duplicate step id "a"');
  });
});
