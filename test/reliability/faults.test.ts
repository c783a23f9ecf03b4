import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnswersInput } from '../../src/wizard/schema.js';
import { startMoto, type Moto } from '../support/moto.js';
import { StackCounter, leftovers, type StackCounts } from '../support/counts.js';
import { Proc, failures } from './harness.js';

/**
 * Throttling and transient faults: a seeded 30 % of all attempts are answered — before they reach
 * AWS — with ThrottlingException, RequestLimitExceeded, HTTP 500, HTTP 503 or a connection reset.
 * The SDK's adaptive retry mode (8 attempts, as the CLI uses) must absorb them: create and destroy
 * complete, with exactly the resources of a fault-free run.
 */

const answersFor = (stack: string): Partial<AnswersInput> & { stack: string } => ({ stack, service: { ecrRepository: `${stack}-app` } });

let moto: Moto;
let counter: StackCounter;
let baseline: StackCounts;
beforeAll(async () => {
  moto = await startMoto();
  counter = new StackCounter(moto.endpoint);
  const clean = Proc.fresh(answersFor('ft-clean'), moto.endpoint);
  const r = await clean.create();
  expect(failures(r)).toEqual([]);
  baseline = await counter.count('ft-clean', { ecrRepository: 'ft-clean-app' });
  await clean.destroy();
  clean.close();
});
afterAll(async () => {
  counter?.destroy();
  await moto?.stop();
});

describe('at 30 % injected transient faults', () => {
  it('create and destroy complete without duplicates or leftovers', { timeout: 120_000 }, async () => {
    // GIVEN a run where 30 % of attempts fail before reaching AWS
    const run = Proc.fresh(answersFor('ft-30'), moto.endpoint, { rate: 0.3, seed: 30 });

    // WHEN the stack is created
    const created = await run.create();
    console.log(`create at 30 % faults: ${run.faults.summary()}`);

    // THEN it completes with exactly the resources of a fault-free run
    expect(failures(created)).toEqual([]);
    expect(await counter.count('ft-30', { ecrRepository: 'ft-30-app' })).toEqual(baseline);
    expect(run.faults.totalInjected).toBeGreaterThan(10);
    // Each fault is absorbed by an SDK retry — or, for a create whose answer was lost, by the
    // step looking for what it made before sending the call again (a new call, not an SDK retry).
    expect(run.faults.retries).toBeGreaterThan(0);
    const duringCreate = run.faults.totalInjected;

    // WHEN it is destroyed under the same fault rate
    const gone = await run.destroy();
    console.log(`create + destroy at 30 % faults: ${run.faults.summary()}`);
    run.close();

    // THEN nothing is left
    expect(failures(gone)).toEqual([]);
    expect(leftovers(await counter.count('ft-30', { ecrRepository: 'ft-30-app' }))).toEqual({});
    expect(run.faults.totalInjected).toBeGreaterThan(duringCreate);
  });
});

describe('responses lost after the call reached AWS (retried by the SDK)', () => {
  // The SDK would retry a create whose response was lost and make a second gateway or task
  // definition revision. The client factory turns such failures of non-idempotent calls into an
  // AmbiguousResponse the SDK does not retry, and the step looks for what the first attempt made
  // before sending the call again (src/aws/clients.ts, src/steps/common.ts).
  it('create converges to one of each resource when 15 % of mutating responses are lost', { timeout: 120_000 }, async () => {
    // GIVEN a run where 15 % of mutating calls reach AWS but their response is lost as ECONNRESET,
    // which the SDK retries — even for creates that are not idempotent
    const run = Proc.fresh(answersFor('ft-lost'), moto.endpoint, { responseLostRate: 0.15, seed: 15 });

    // WHEN the stack is created, and created once more (a rerun must find everything)
    const created = await run.create();
    const counts = await counter.count('ft-lost', { ecrRepository: 'ft-lost-app' });
    const extra = Object.fromEntries(Object.entries(counts).filter(([k, v]) => v !== baseline[k]));
    console.log(`create with lost responses: ${run.faults.summary()}; lost: ${run.faults.lostResponses.join(', ')}; counts differing from a clean run: ${JSON.stringify(extra)}`);
    const rerun = run.next(answersFor('ft-lost'), moto.endpoint);
    const again = await rerun.create();

    // THEN the stack converges with exactly the resources of a fault-free run
    expect(run.faults.responsesLost).toBeGreaterThan(0);
    expect(failures(again), `first run: ${failures(created).join('; ')}`).toEqual([]);
    expect(counts, 'resources after the run with lost responses').toEqual(baseline);

    // AND destroy leaves nothing
    const gone = await rerun.destroy();
    rerun.close();
    expect(failures(gone)).toEqual([]);
    expect(leftovers(await counter.count('ft-lost', { ecrRepository: 'ft-lost-app' }))).toEqual({});
  });
});
