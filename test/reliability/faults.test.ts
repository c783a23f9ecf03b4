import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnswersInput } from '../../src/wizard/schema.js';
import { startMoto, type Moto } from '../support/moto.js';
import { StackCounter, baselineProblems, leftovers, type StackCounts } from '../support/counts.js';
import { FAULT_KINDS } from '../support/faults.js';
import { Proc, failures } from './harness.js';

/**
 * Throttling and transient faults: a seeded 30 % of all attempts are answered — before they reach
 * AWS — with ThrottlingException, RequestLimitExceeded, HTTP 500, HTTP 503 or a connection reset.
 * The SDK's adaptive retry mode (8 attempts, as the CLI uses) must absorb them: create and destroy
 * complete, with exactly the resources of a fault-free run.
 */

// The crash matrix's answers: every optional kind (ECR repository, log group, a secret's policy).
const answersFor = (stack: string): Partial<AnswersInput> & { stack: string } => ({
  stack,
  service: { ecrRepository: `${stack}-app`, secrets: { DB_PASSWORD: `arn:aws:ssm:us-east-1:123456789012:parameter/${stack}/db` } },
});
const countOf = (stack: string): Promise<StackCounts> => counter.count(stack, { ecrRepository: `${stack}-app` });

let moto: Moto;
let counter: StackCounter;
let baseline: StackCounts;
beforeAll(async () => {
  moto = await startMoto();
  counter = new StackCounter(moto.endpoint);
  // The fault-free run every faulty one is compared with: it must itself be sound.
  const clean = Proc.fresh(answersFor('ft-clean'), moto.endpoint);
  const r = await clean.create();
  expect(failures(r)).toEqual([]);
  baseline = await countOf('ft-clean');
  expect(baselineProblems(baseline, clean.plan, clean.answers)).toEqual([]);
  const gone = await clean.destroy();
  clean.close();
  expect(failures(gone)).toEqual([]);
  expect(leftovers(await countOf('ft-clean'))).toEqual({});
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
    expect(await countOf('ft-30')).toEqual(baseline);
    // AND the faults were injected at the rate asked for, of every kind
    const share = run.faults.totalInjected / run.faults.attempts;
    expect(share, run.faults.summary()).toBeGreaterThan(0.2);
    expect(share, run.faults.summary()).toBeLessThan(0.4);
    for (const kind of FAULT_KINDS) expect(run.faults.injected[kind], kind).toBeGreaterThan(0);
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
    expect(leftovers(await countOf('ft-30'))).toEqual({});
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

    // WHEN the stack is created
    const created = await run.create();
    const counts = await countOf('ft-lost');
    console.log(`create with lost responses: ${run.faults.summary()}; lost: ${run.faults.lostResponses.join(', ')}`);

    // THEN responses were lost at about the rate asked for, and the stack converged with exactly
    // the resources of a fault-free run
    const share = run.faults.responsesLost / run.faults.mutatingSent.length;
    expect(share, run.faults.summary()).toBeGreaterThan(0.05);
    expect(share, run.faults.summary()).toBeLessThan(0.3);
    expect(failures(created)).toEqual([]);
    expect(counts, 'resources after the run with lost responses').toEqual(baseline);

    // WHEN create runs once more  THEN it finds everything: no mutating call, still no duplicate
    const rerun = run.next(answersFor('ft-lost'), moto.endpoint);
    const again = await rerun.create();
    expect(failures(again)).toEqual([]);
    expect(rerun.faults.mutatingSent).toEqual([]);
    expect(await countOf('ft-lost'), 'resources after the rerun').toEqual(baseline);

    // AND destroy leaves nothing
    const gone = await rerun.destroy();
    rerun.close();
    expect(failures(gone)).toEqual([]);
    expect(leftovers(await countOf('ft-lost'))).toEqual({});
  });
});
