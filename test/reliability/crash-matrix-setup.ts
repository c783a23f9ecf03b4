import { afterAll, expect } from 'vitest';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { isWaitStep, type EngineEvent, type RunResult } from '../../src/engine/types.js';
import { topoOrder } from '../../src/engine/graph.js';
import type { AnswersInput } from '../../src/wizard/schema.js';
import { startMoto } from '../support/moto.js';
import { StackCounter, leftovers, type StackCounts } from '../support/counts.js';
import { Proc, failures } from './harness.js';
import { withBoundary } from '../support/stack.js';
import { CREATE_CALLS, DESTROY_CALLS, callsByStep, expectedCalls } from './plan-calls.js';

/**
 * The crash matrix (crash-matrix.test.ts, crash-matrix-destroy.test.ts — two files, so that two
 * moto servers share the cases; each file imports this module afresh and makes its own clean run): the run is stopped at every step boundary and in the middle of every mutating
 * call (the call reached AWS, its response never came back, the process is dead), then the next
 * `create` must converge with exactly one of each resource, and `destroy` must leave nothing. The
 * steps and calls are enumerated from buildPlan() and a clean run, and the clean run is held to
 * the calls plan-calls.ts lists for each step, so the number of cases is exactly what the plan
 * implies. One moto for the file; each case has its own stack name instead of a reset, which keeps
 * the cases independent, so they run concurrently (vitest's maxConcurrency).
 */

// Answers that switch on as many steps and kinds as one plan can hold (ECR repository, a secret).
export const answersFor = (stack: string): Partial<AnswersInput> & { stack: string } => ({
  stack,
  service: { ecrRepository: `${stack}-app`, secrets: { DB_PASSWORD: `arn:aws:ssm:us-east-1:123456789012:parameter/${stack}/db` } },
});

export const moto = await startMoto();
// The account after `iam bootstrap`: the boundary is there, so the clean run's calls are the plan's own.
await withBoundary(moto.endpoint);
const counter = new StackCounter(moto.endpoint);
afterAll(async () => {
  counter.destroy();
  await moto.stop();
});

/** The parameter answersFor(stack) names (create looks it up before anything is made: it must exist). */
export async function putSecretParameter(stack: string): Promise<void> {
  const ssm = new SSMClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  try {
    await ssm.send(new PutParameterCommand({ Name: `/${stack}/db`, Type: 'SecureString', Value: 'not-read', Overwrite: true }));
  } finally {
    ssm.destroy();
  }
}

export const countOf = (stack: string): Promise<StackCounts> => counter.count(stack, { ecrRepository: `${stack}-app` });

/** Runs `run` at concurrency 1, noting how many mutating calls had been made as each step started. */
async function sequential(proc: Proc, run: (onEvent: (e: EngineEvent) => void) => Promise<RunResult>) {
  const from = proc.faults.mutatingSent.length;
  const marks: { stepId: string; at: number }[] = [];
  const result = await run((e) => {
    if (e.type === 'start' && marks.at(-1)?.stepId !== e.stepId) marks.push({ stepId: e.stepId, at: proc.faults.mutatingSent.length - from });
  });
  const calls = proc.faults.mutatingSent.slice(from);
  return { result, calls, byStep: callsByStep(calls, marks) };
}

// A clean run, sequential, to enumerate the plan's steps and mutating calls in order.
export const clean = Proc.fresh(answersFor('cm-clean'), moto.endpoint);
let t0 = Date.now();
export const cleanCreate = await sequential(clean, (onEvent) => clean.create({ concurrency: 1, onEvent }));
const createMs = Date.now() - t0;
export const mutatingCalls = cleanCreate.calls;
export const resourceSteps = topoOrder(clean.plan).filter((id) => !isWaitStep(clean.plan.find((s) => s.id === id)!));
export const baseline = await countOf('cm-clean');
t0 = Date.now();
export const cleanDestroy = await sequential(clean, (onEvent) => clean.destroy({ concurrency: 1, onEvent }));
console.log(`crash matrix: clean create ${createMs} ms (${mutatingCalls.length} mutating calls), destroy ${Date.now() - t0} ms (${cleanDestroy.calls.length})`);
export const destroyCalls = cleanDestroy.calls;
export const afterCleanDestroy = await countOf('cm-clean');
clean.close();

// What the plan says the matrix must hold: one case per mutating call of create (twice: resume,
// and destroy straight away), one per step boundary, one per mutating call of destroy.
export const expectedCreate = expectedCalls(clean.plan, clean.answers, CREATE_CALLS);
export const expectedDestroy = expectedCalls(clean.plan, clean.answers, DESTROY_CALLS);
const total = (byStep: Record<string, string[]>): number => Object.values(byStep).reduce((n, calls) => n + calls.length, 0);
export const expectedCases = 2 * total(expectedCreate) + resourceSteps.length + total(expectedDestroy);

/** After a crash: the next create converges to the clean baseline, then destroy leaves nothing. */
export async function convergeThenDestroy(crashed: Proc, stack: string): Promise<void> {
  const resumed = crashed.next(answersFor(stack), moto.endpoint);
  const again = await resumed.create();
  expect(failures(again), 'resumed create').toEqual([]);
  expect(await countOf(stack), 'resources after the resumed create').toEqual(baseline);
  const gone = await resumed.destroy();
  resumed.close();
  expect(failures(gone), 'destroy').toEqual([]);
  expect(leftovers(await countOf(stack)), 'left after destroy').toEqual({});
}
