import { describe, expect, it } from 'vitest';
import { leftovers } from '../support/counts.js';
import { Proc, failures } from './harness.js';
import { answersFor, convergeThenDestroy, countOf, destroyCalls, moto, mutatingCalls, resourceSteps } from './crash-matrix-setup.js';

/**
 * The crash matrix, second half (see crash-matrix-setup.ts): a crash in every mutating call of
 * create followed straight away by destroy, a crash at every step boundary, and a crash in every
 * mutating call of destroy.
 */

describe.concurrent('crash in the middle of a mutating call of create, then destroy straight away', () => {
  it.each(mutatingCalls.map((op, i) => [i + 1, op] as const))('#%i %s → destroy leaves nothing', async (k) => {
    // GIVEN a create that died right after mutating call #k reached AWS
    const stack = `cm-d${k}`;
    const first = Proc.fresh(answersFor(stack), moto.endpoint, { crashAtMutatingCall: k });
    await first.create({ concurrency: 1 });
    // WHEN the user destroys from that state THEN nothing is left (interrupted creates are looked up)
    const next = first.next(answersFor(stack), moto.endpoint);
    const gone = await next.destroy();
    next.close();
    expect(failures(gone)).toEqual([]);
    expect(leftovers(await countOf(stack))).toEqual({});
  });
});

describe.concurrent('crash at a step boundary of create', () => {
  it.each(resourceSteps)('after "%s" → create converges, destroy leaves nothing', async (stepId) => {
    // GIVEN a create that dies right after the step's outputs were recorded
    const stack = `cm-b${resourceSteps.indexOf(stepId)}`;
    const first = Proc.fresh(answersFor(stack), moto.endpoint);
    await first.create({
      concurrency: 1,
      onEvent: (e) => {
        if (e.type === 'end' && e.stepId === stepId) first.faults.crash(`after step ${stepId}`);
      },
    });
    expect(first.faults.crashed).toBe(`after step ${stepId}`);
    // WHEN create runs again THEN it converges; destroy cleans up
    await convergeThenDestroy(first, stack);
  });
});

describe.concurrent('crash in the middle of a mutating call of destroy', () => {
  it.each(destroyCalls.map((op, i) => [i + 1, op] as const))('#%i %s → destroy again leaves nothing', async (k, op) => {
    // GIVEN a complete stack, and a destroy that dies right after its mutating call #k reached AWS
    const stack = `cm-x${k}`;
    const maker = Proc.fresh(answersFor(stack), moto.endpoint);
    expect(failures(await maker.create())).toEqual([]);
    maker.close();
    const dying = new Proc(answersFor(stack), moto.endpoint, maker.stateDir, { crashAtMutatingCall: k });
    await dying.destroy({ concurrency: 1 });
    expect(dying.faults.crashed).toContain(op);
    // WHEN destroy runs again from the state the crash left THEN nothing is left
    const again = dying.next(answersFor(stack), moto.endpoint);
    const gone = await again.destroy();
    again.close();
    expect(failures(gone)).toEqual([]);
    expect(leftovers(await countOf(stack))).toEqual({});
  });
});

